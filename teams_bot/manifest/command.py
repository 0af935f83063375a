"""`teams-bot manifest build|validate`: argparse wiring for the Teams app package.

Neither needs the runtime settings: build reads only the bot id and name (`env.ManifestEnv`),
validate only the package and the schema. `python -m teams_bot.manifest` runs them standalone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from teams_bot.manifest.build import BuildError, BuildOptions, build_manifest, write_package
from teams_bot.manifest.commandlists import command_lists
from teams_bot.manifest.env import ManifestEnv
from teams_bot.manifest.template import default_template_dir
from teams_bot.manifest.validate import (
    BUNDLED_SCHEMA,
    SCHEMA_ENV,
    find_schema,
    validate_package,
)


def add_parser(sub: Any) -> None:
    """Add `manifest` with its `build` and `validate` sub-commands to the CLI's subparsers."""
    add_actions(sub.add_parser("manifest", help="build or validate the Teams app package"))


def add_actions(manifest: argparse.ArgumentParser) -> None:
    """`build` and `validate` under `manifest` (or under a parser of their own)."""
    actions = manifest.add_subparsers(dest="manifest_command", required=True)
    build = actions.add_parser("build", help="fill the manifest template and write the zip")
    build.add_argument("--out", type=Path, default=Path("app.zip"), help="default app.zip")
    build.add_argument("--app-id", help="Teams app id, a GUID (default: the bot id)")
    build.add_argument("--bot-id", help="bot's Azure AD app id (default: MicrosoftAppId)")
    build.add_argument("--name", help="short name, at most 30 characters (TEAMS_BOT_BOT_NAME)")
    build.add_argument("--full-name", help="full name (default: '<name> ChatOps bot')")
    build.add_argument("--description", help="short description, at most 80 characters")
    build.add_argument("--full-description", help="long description")
    build.add_argument(
        "--domain",
        action="append",
        default=[],
        dest="domains",
        help="the bot's public host name; repeat for more validDomains",
    )
    build.add_argument("--developer-name", help="publisher shown in Teams (default: the name)")
    build.add_argument("--website-url", help="default https://<first --domain>/")
    build.add_argument("--privacy-url", help="default: the website URL")
    build.add_argument("--terms-url", help="default: the website URL")
    build.add_argument("--app-version", help="manifest version, semver (default: the package's)")
    build.add_argument(
        "--template-dir", type=Path, help="default: the template shipped in the package"
    )
    check = actions.add_parser("validate", help="check a package against the v1.29 schema")
    check.add_argument("package", nargs="?", type=Path, default=Path("app.zip"))
    check.add_argument(
        "--schema",
        type=Path,
        help=f"schema file (default: ${SCHEMA_ENV}, then the v1.29 schema shipped in the package)",
    )


def run(_settings: object, args: argparse.Namespace) -> int:
    """The CLI's handler; the runtime settings, if the caller loaded them, are not used."""
    if args.manifest_command == "build":
        return _build(args)
    return _validate(args)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m teams_bot.manifest build|validate ...`, without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="python -m teams_bot.manifest")
    add_actions(parser)
    return run(None, parser.parse_args(argv))


def _options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        app_id=args.app_id,
        bot_id=args.bot_id,
        name=args.name,
        full_name=args.full_name,
        description=args.description,
        full_description=args.full_description,
        domains=tuple(args.domains),
        developer_name=args.developer_name,
        website_url=args.website_url,
        privacy_url=args.privacy_url,
        terms_url=args.terms_url,
        app_version=args.app_version,
    )


def _build(args: argparse.Namespace) -> int:
    from teams_bot.app import command_registry

    template_dir = args.template_dir or default_template_dir()
    try:
        manifest = build_manifest(ManifestEnv(), _options(args), command_registry(), template_dir)
        write_package(manifest, template_dir, args.out)
    except BuildError as exc:
        print(f"teams-bot manifest build: {exc}", file=sys.stderr)
        return 2
    titles = [c["title"] for c in command_lists(command_registry())[0]["commands"]]
    print(f"wrote {args.out}: {len(titles)} commands in the menu: {', '.join(titles)}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    schema = find_schema(args.schema)
    problems = validate_package(args.package, schema)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{args.package}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    source = "the bundled v1.29 schema" if schema == BUNDLED_SCHEMA else f"schema {schema}"
    print(f"{args.package}: valid ({source})")
    return 0
