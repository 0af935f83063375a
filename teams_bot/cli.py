"""The `teams-bot` command: serve, check-config, audit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from teams_bot import __version__
from teams_bot.alerts import cli as alerts_cli
from teams_bot.console import main as console_command
from teams_bot.hosts import is_loopback
from teams_bot.logs import configure_logging
from teams_bot.manifest import command as manifest_command
from teams_bot.settings import (
    Settings,
    SettingsError,
    effective_settings,
    load_settings,
    protect_secrets,
)
from teams_bot.startup import StartupError, prepare

log = logging.getLogger("teams_bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="teams-bot", description="Teams ChatOps bot")
    parser.add_argument("--version", action="version", version=f"teams-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bot's web service")
    serve.add_argument("--host", help="address to bind (default TEAMS_BOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default TEAMS_BOT_PORT or 3978)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes sharing the port (default 1; e.g. one per core)",
    )
    serve.add_argument(
        "--dangerously-allow-unauthenticated-remote",
        action="store_true",
        help="without MicrosoftAppId, still bind a non-loopback address (anyone can talk to it)",
    )
    check = sub.add_parser(
        "check-config", help="print the effective settings (secrets hidden), check the files"
    )
    check.add_argument(
        "--online", action="store_true", help="also fetch the bot's own token (checks the password)"
    )
    audit = sub.add_parser("audit", help="show recent audit records")
    audit.add_argument("--user", help="AAD object id, or part of a display name")
    audit.add_argument("--last", type=int, default=20, help="how many records (default 20)")
    manifest_command.add_parser(sub)
    console_command.add_parser(sub)
    alerts_cli.add_parsers(sub)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":  # needs only the bot id and name, no runtime secrets
        return manifest_command.run(None, args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"teams-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, _secrets(settings))
    handlers = {
        "serve": _serve,
        "check-config": _check_config,
        "audit": _audit,
        "manifest": manifest_command.run,
        "console": console_command.run,
        "send-alert": alerts_cli.send_alert,
        "alerts": alerts_cli.failed,
    }
    return handlers[args.command](settings, args)


def _secrets(settings: Settings) -> list[str]:
    values = [settings.app_password]
    for secret in (settings.database_url, settings.action_secret):
        if secret:
            values.append(secret.get_secret_value())
    return [v for v in values if v]


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    """The effective settings (secrets hidden), then policy and config loaded and checked."""
    try:
        prepared = prepare(settings)
    except StartupError as exc:
        print(f"teams-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    for name, value in effective_settings(prepared.settings).items():
        print(f"{name} = {value}")
    mode = "authenticated" if settings.auth_enabled else "LOCAL DEVELOPMENT (no token checks)"
    print(f"# mode: {mode}")
    for line in prepared.notes:
        print(f"# {line}")
    for line in prepared.warnings:
        print(f"# WARNING: {line}")
    if args.online:
        return _check_online(prepared.settings)
    return 0


def _check_online(settings: Settings) -> int:
    """Fetch the bot's own token now, as its replies will (a wrong password shows here)."""
    from teams_bot.bf.auth import GuardedAuthentication
    from teams_bot.bf.credentials import OutboundCredentialError, check_outbound_token

    try:
        claims = asyncio.run(check_outbound_token(GuardedAuthentication(settings)))
    except OutboundCredentialError as exc:
        print(f"teams-bot: the bot cannot get its own token: {exc}", file=sys.stderr)
        return 2
    print(f"# online: token for {claims.get('appid', 'no app id (local mode)')} fetched")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    dangerous = args.dangerously_allow_unauthenticated_remote or (
        settings.dangerously_allow_unauthenticated_remote
    )
    if not settings.auth_enabled:
        if not is_loopback(host) and not dangerous:
            print(
                f"teams-bot: refusing to listen on {host} without MicrosoftAppId: in local "
                "development mode nobody's token is checked. Bind 127.0.0.1, set MicrosoftAppId, "
                "or pass --dangerously-allow-unauthenticated-remote.",
                file=sys.stderr,
            )
            return 2
        log.warning(
            "LOCAL DEVELOPMENT MODE: MicrosoftAppId is not set, inbound tokens are NOT checked%s",
            " and the bot listens on a non-loopback address" if not is_loopback(host) else "",
        )
    from teams_bot import workers

    try:  # bind first: a taken port is one clear line, before migrations or workers start
        sock = workers.bind(host, port, reuse_port=args.workers > 1)
    except OSError as exc:
        print(workers.bind_error(host, port, exc), file=sys.stderr)
        return 2
    try:  # then every file once, before anything is created or migrated
        prepared = prepare(settings)
    except StartupError as exc:
        sock.close()
        print(f"teams-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    settings = prepared.settings
    log.info(
        "teams-bot %s listening on http://%s:%s/api/messages (%d worker process(es))",
        __version__,
        host,
        port,
        args.workers,
    )
    for line in prepared.notes:
        log.info("%s", line)
    for line in prepared.warnings:
        log.warning("%s", line)
    secrets = _secrets(settings)
    configure_logging(settings.log_level, settings.log_format, secrets)  # a generated key too
    protect_secrets(settings)  # out of the environment jobs could read; masked in job output
    if args.workers > 1:  # the workers get the settings object, not the environment
        sock.close()  # each worker listens on its own socket sharing the port (SO_REUSEPORT)
        return workers.run_many(settings, host, port, args.workers, secrets)
    workers.run_one(settings, sock)
    return 0


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from teams_bot.commands.builtins import format_record
    from teams_bot.storage.audit import AuditLog
    from teams_bot.storage.db import SQLITE_FILE, Database

    if settings.database_url is None and not (settings.data_dir / SQLITE_FILE).is_file():
        print(
            f"no audit records: no database at {settings.data_dir.resolve()} yet", file=sys.stderr
        )
        return 0

    async def show() -> int:  # read only: no migration, nothing created
        url = settings.database_url.get_secret_value() if settings.database_url else ""
        url = url or f"sqlite+aiosqlite:///{(settings.data_dir / SQLITE_FILE).resolve()}"
        db = await Database.connect(url, schema=settings.database_schema)
        try:
            records = await AuditLog(db).query(user=args.user, last=args.last)
        finally:
            await db.close()
        for record in records:
            print(format_record(record).removeprefix("- ").replace("**", "").replace("`", ""))
        if not records:
            print("no audit records match", file=sys.stderr)
        return 0

    return asyncio.run(show())


if __name__ == "__main__":
    raise SystemExit(main())
