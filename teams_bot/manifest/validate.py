"""Check a Teams app package: the v1.29 JSON schema, icons, unfilled placeholders, menu limits.

The schema is Microsoft's, from the npm package `@microsoft/app-manifest`, shipped as package data
(`schemas/`, see its README); `find_schema` takes --schema, then TEAMS_BOT_MANIFEST_SCHEMA, then
that bundled file.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teams_bot.manifest.commandlists import MAX_COMMANDS, MAX_DESCRIPTION, MAX_TITLE
from teams_bot.manifest.icons import COLOR_SIZE, OUTLINE_SIZE, icon_problems
from teams_bot.manifest.template import TEMPLATE_FILE, json_path, placeholders_left

SCHEMA_ENV = "TEAMS_BOT_MANIFEST_SCHEMA"
BUNDLED_SCHEMA = Path(__file__).resolve().parent / "schemas" / "MicrosoftTeams.v1.29.schema.json"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at a JSON path in manifest.json (or `$` for the package itself)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SchemaUnavailable(Exception):
    """No schema file, or no jsonschema package: schema validation cannot run."""


def find_schema(explicit: Path | None = None) -> Path:
    """The schema file to use: --schema, then $TEAMS_BOT_MANIFEST_SCHEMA, then the bundled one."""
    if explicit is not None:
        return explicit
    if os.environ.get(SCHEMA_ENV):
        return Path(os.environ[SCHEMA_ENV])
    return BUNDLED_SCHEMA


def schema_problems(manifest: Any, schema_path: Path) -> list[Problem]:
    """Every schema violation, sorted by path; SchemaUnavailable if validation cannot run."""
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaUnavailable(f"cannot read the schema {schema_path}: {exc}") from None
    try:
        import jsonschema
    except ImportError:
        raise SchemaUnavailable("the jsonschema package is not installed") from None
    # Microsoft's file declares draft-04 but uses `const` and `if`/`then` (draft-06/07), which a
    # draft-04 validator silently ignores; draft 7 understands every keyword the file uses.
    cls = jsonschema.Draft7Validator
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    found = [Problem(e.json_path, e.message) for e in validator.iter_errors(manifest)]
    return sorted(found, key=lambda p: (p.path, p.message))


def menu_problems(manifest: Any) -> list[Problem]:
    """Teams' documented command-menu limits, stricter than the schema's."""
    problems: list[Problem] = []
    bots = manifest.get("bots") if isinstance(manifest, dict) else None
    for b, bot in enumerate(bots if isinstance(bots, list) else []):
        lists = bot.get("commandLists") if isinstance(bot, dict) else None
        for i, entry in enumerate(lists if isinstance(lists, list) else []):
            path = json_path(json_path(json_path(f"$.bots[{b}]", "commandLists"), i), "commands")
            commands = entry.get("commands") if isinstance(entry, dict) else None
            problems += _command_problems(path, commands if isinstance(commands, list) else [])
    return problems


def _command_problems(path: str, commands: list[Any]) -> list[Problem]:
    problems = []
    if len(commands) > MAX_COMMANDS:
        problems.append(
            Problem(path, f"{len(commands)} commands; Teams shows at most {MAX_COMMANDS}")
        )
    for i, command in enumerate(commands):
        for key, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION)):
            text = command.get(key, "") if isinstance(command, dict) else ""
            if isinstance(text, str) and len(text) > limit:
                problems.append(
                    Problem(
                        json_path(json_path(path, i), key),
                        f"{len(text)} characters; Teams allows {limit}",
                    )
                )
    return problems


def icon_file_problems(manifest: Any, files: dict[str, bytes]) -> list[Problem]:
    icons = manifest.get("icons") if isinstance(manifest, dict) else None
    problems = []
    for key, size in (("color", COLOR_SIZE), ("outline", OUTLINE_SIZE)):
        name = icons.get(key) if isinstance(icons, dict) else None
        path = json_path("$.icons", key)
        if not isinstance(name, str):
            continue  # the schema reports a missing icon entry
        if name not in files:
            problems.append(Problem(path, f"{name} is not in the package"))
            continue
        for message in icon_problems(files[name], size, outline=key == "outline"):
            problems.append(Problem(path, f"{name} {message}"))
    return problems


def read_package(package: Path) -> tuple[Any, dict[str, bytes]]:
    """(parsed manifest.json, {file name: bytes}); Problem-worthy errors raise ValueError."""
    try:
        with zipfile.ZipFile(package) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read {package} as a zip: {exc}") from None
    if TEMPLATE_FILE not in files:
        raise ValueError(f"{package} has no {TEMPLATE_FILE} at its root")
    try:
        return json.loads(files[TEMPLATE_FILE].decode("utf-8-sig")), files
    except ValueError as exc:
        raise ValueError(f"{TEMPLATE_FILE} is not valid JSON: {exc}") from None


def validate_package(package: Path, schema_path: Path | None) -> list[Problem]:
    """Everything wrong with the package; a schema that cannot be used is a problem too."""
    try:
        manifest, files = read_package(package)
    except ValueError as exc:
        return [Problem("$", str(exc))]
    problems = [
        Problem(path, f"placeholder ${{{{{name}}}}} left unfilled")
        for path, name in placeholders_left(manifest)
    ]
    problems += icon_file_problems(manifest, files)
    problems += menu_problems(manifest)
    try:
        if schema_path is None:
            raise SchemaUnavailable(f"no schema file: pass --schema PATH or set {SCHEMA_ENV}")
        return problems + schema_problems(manifest, schema_path)
    except SchemaUnavailable as exc:
        return [*problems, Problem("$", f"schema validation did not run: {exc}")]
