"""The `teams-bot` command: serve, check-config, audit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from teams_bot import __version__
from teams_bot.console import main as console_command
from teams_bot.hosts import is_loopback
from teams_bot.logs import configure_logging
from teams_bot.manifest import command as manifest_command
from teams_bot.policy import PolicyError, load_policy
from teams_bot.settings import Settings, SettingsError, effective_settings, load_settings

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
    sub.add_parser("check-config", help="print the effective settings (secrets hidden)")
    audit = sub.add_parser("audit", help="show recent audit records")
    audit.add_argument("--user", help="AAD object id, or part of a display name")
    audit.add_argument("--last", type=int, default=20, help="how many records (default 20)")
    manifest_command.add_parser(sub)
    console_command.add_parser(sub)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    }
    return handlers[args.command](settings, args)


def _secrets(settings: Settings) -> list[str]:
    values = [settings.app_password]
    for secret in (settings.database_url, settings.action_secret):
        if secret:
            values.append(secret.get_secret_value())
    return [v for v in values if v]


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    for name, value in effective_settings(settings).items():
        print(f"{name} = {value}")
    try:
        load_policy(settings.policy_file)
    except PolicyError as exc:
        print(f"teams-bot: configuration error: TEAMS_BOT_POLICY_FILE: {exc}", file=sys.stderr)
        return 2
    mode = "authenticated" if settings.auth_enabled else "LOCAL DEVELOPMENT (no token checks)"
    print(f"# mode: {mode}")
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
    try:
        load_policy(settings.policy_file)
    except PolicyError as exc:
        print(f"teams-bot: configuration error: TEAMS_BOT_POLICY_FILE: {exc}", file=sys.stderr)
        return 2
    from teams_bot import workers

    try:  # bind first: a taken port is one clear line, before migrations or workers start
        sock = workers.bind(host, port, reuse_port=args.workers > 1)
    except OSError as exc:
        print(workers.bind_error(host, port, exc), file=sys.stderr)
        return 2
    log.info(
        "teams-bot %s listening on http://%s:%s/api/messages (%d worker process(es))",
        __version__,
        host,
        port,
        args.workers,
    )
    if args.workers > 1:
        sock.close()  # each worker listens on its own socket sharing the port (SO_REUSEPORT)
        return workers.run_many(settings, host, port, args.workers, _secrets(settings))
    workers.run_one(settings, sock)
    return 0


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from teams_bot.commands.builtins import format_record
    from teams_bot.storage.audit import AuditLog
    from teams_bot.storage.db import Database

    async def show() -> int:
        db = await Database.connect(
            settings.resolved_database_url(), schema=settings.database_schema
        )
        try:
            await db.migrate()
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
