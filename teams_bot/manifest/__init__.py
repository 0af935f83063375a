"""The Teams app package: fill `files/manifest.json`, zip it with the icons, validate it against
the bundled schema (`schemas/`).

`teams-bot manifest build` and `teams-bot manifest validate` (see `command.py`) use these.
"""

from teams_bot.manifest.build import BuildError, BuildOptions, build_manifest, write_package
from teams_bot.manifest.commandlists import command_lists, menu_commands
from teams_bot.manifest.validate import Problem, find_schema, validate_package

__all__ = [
    "BuildError",
    "BuildOptions",
    "Problem",
    "build_manifest",
    "command_lists",
    "find_schema",
    "menu_commands",
    "validate_package",
    "write_package",
]
