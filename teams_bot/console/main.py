"""`teams-bot console`: chat with the real bot in a terminal, in-process, as a chosen person.

Type bot commands as you would in Teams; type a button's number to press it; `/help` lists the
console's own commands. Works interactively (readline) and with piped input.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from typing import Any

from teams_bot.console.activities import CONSOLE_TENANT_ID, Person, is_uuid
from teams_bot.console.hints import role_hint
from teams_bot.console.render import Button
from teams_bot.console.session import ConsoleSession
from teams_bot.console.terminal import LineReader, Terminal
from teams_bot.policy import load_policy
from teams_bot.settings import Settings
from teams_bot.startup import StartupError, prepare

HELP = """\
Console commands (anything else is sent to the bot, as in Teams; `help` lists the bot's):
  <number>          press that button on the most recent card that has it
  /user NAME [ID]   talk as someone else (the AAD object id comes from the name unless given)
  /whois            who you are right now (name, AAD object id, Teams id, tenant)
  /show             show the latest card with buttons, as the current person sees it
  /wait [SECONDS]   wait for late messages (default 2 s), e.g. a running job's result
  /help             this list
  /quit             leave (also /exit or Ctrl-D); running jobs get up to 10 s to finish"""
MAX_WAIT_S = 600.0
_APP_SETTINGS = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
)


def add_parser(sub: Any) -> None:
    """Add `console` to the CLI's subparsers."""
    console = sub.add_parser(
        "console",
        help="chat with the bot in this terminal (in-process; no Azure or Teams)",
        description="Chat with the real bot in this process, as a chosen person. Type bot "
        "commands as in Teams, a number to press that card button, /help for more. Settings, "
        "policy and config files are the usual ones; MicrosoftAppId is ignored.",
    )
    console.add_argument(
        "--user", default=_default_user(), help="your display name (default: $USER)"
    )
    console.add_argument("--aad-id", help="your AAD object id (default: derived from the name)")
    console.add_argument(
        "--channel",
        action="store_true",
        help="talk in a team channel thread, @mentioning the bot (default: a personal chat)",
    )
    console.add_argument(
        "--tenant",
        default=CONSOLE_TENANT_ID,
        help=f"tenant id on the activities (default {CONSOLE_TENANT_ID})",
    )
    console.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="bot log lines shown on stderr (default WARNING)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.aad_id and not is_uuid(args.aad_id):
        return _fail(f"--aad-id must be an AAD object id (a GUID), not {args.aad_id!r}")
    if settings.allowed_tenants and args.tenant not in settings.allowed_tenants:
        return _fail(
            f"TEAMS_BOT_ALLOWED_TENANTS ({', '.join(settings.allowed_tenants)}) does not include "
            f"the console's tenant {args.tenant}, so the bot would refuse everything you type. "
            "Add it to TEAMS_BOT_ALLOWED_TENANTS, or pass --tenant with an allowed tenant id."
        )
    app_id_set = bool(settings.microsoft_app_id)
    try:  # as `serve` starts: paths made absolute, local defaults, every file checked
        prepared = prepare(local_settings(settings))
    except StartupError as exc:
        return _fail(str(exc))
    _quiet_logs(args.log_level)
    person = Person.named(args.user, args.aad_id)
    scope = "channel" if args.channel else "personal"
    terminal = Terminal()
    if app_id_set:
        terminal.emit("(MicrosoftAppId is set; the console ignores it: local development mode)")
    for note in prepared.notes:
        terminal.emit(f"({note})")
    try:
        return asyncio.run(_chat(prepared.settings, person, scope, args.tenant, terminal))
    except KeyboardInterrupt:
        return 130


def local_settings(settings: Settings) -> Settings:
    """The same settings in local development mode: no app id, so no token checks."""
    for name in _APP_SETTINGS:
        os.environ.pop(name, None)  # this process only
    return settings.model_copy(
        update={
            "microsoft_app_id": None,
            "microsoft_app_password": None,
            "microsoft_app_tenant_id": None,
            "microsoft_app_type": "MultiTenant",
        }
    )


async def _chat(
    settings: Settings, person: Person, scope: str, tenant: str, terminal: Terminal
) -> int:
    session = ConsoleSession(
        settings, person, "channel" if scope == "channel" else "personal", tenant, terminal.emit
    )
    try:
        await session.start()
    except Exception as exc:  # config files, database: say what failed, no traceback
        await session.close()
        return _fail(f"could not start the bot: {exc}")
    console = Console(session, terminal)
    status = 0
    try:
        await console.run()
    except asyncio.CancelledError:  # Ctrl-C
        terminal.emit("(interrupted)")
        status = 130
    finally:
        terminal.close()
        terminal.emit("(stopping the bot; running jobs get up to 10 s to finish)")
        await session.close()
    return status


class Console:
    """The read-eval-print loop."""

    def __init__(self, session: ConsoleSession, terminal: Terminal) -> None:
        self.session = session
        self.terminal = terminal
        self.reader = LineReader(terminal)

    async def run(self) -> None:
        self.terminal.emit(self.banner())
        while True:
            line = await self.reader.read(f"{self.session.person.name}> ")
            if line is None or not await self.handle(line.strip()):
                return
            await self.session.settle()

    def banner(self) -> str:
        s = self.session
        where = "a team channel thread" if s.scope == "channel" else "a personal chat"
        policy_file = s.settings.policy_file
        hint = role_hint(load_policy(policy_file), policy_file, s.person)
        return "\n".join(
            [
                f"teams-bot console: you talk to {s.bot_name} in {where}, in this process "
                "(local development mode, no Azure or Teams).",
                self.whois(),
                *hint,
                "Type `help` for the bot's commands, /help for the console's, /quit to leave.",
            ]
        )

    def whois(self) -> str:
        p = self.session.person
        return (
            f"You are {p.name} (AAD object id {p.aad_object_id}, Teams id {p.teams_id}, "
            f"tenant {self.session.tenant_id})."
        )

    async def handle(self, line: str) -> bool:
        """Act on one line; False means leave."""
        if not line:
            return True
        if line.isdigit():
            await self.press(int(line))
            return True
        command, _, rest = line.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        if command == "/help":
            self.terminal.emit(HELP)
        elif command == "/whois":
            self.terminal.emit(self.whois())
        elif command == "/user":
            await self.switch_user(rest.strip())
        elif command == "/show":
            if not await self.session.show_latest():
                self.terminal.emit("(no card with buttons yet)")
        elif command == "/wait":
            await self.wait(rest.strip())
        else:
            await self.session.say(line)
        return True

    async def switch_user(self, text: str) -> None:
        if not text:
            self.terminal.emit("usage: /user NAME [AAD_OBJECT_ID]")
            return
        name, _, last = text.rpartition(" ")
        person = Person.named(name.strip(), last) if name and is_uuid(last) else Person.named(text)
        self.session.switch(person)
        self.terminal.emit(self.whois())
        await self.session.show_latest()

    async def wait(self, text: str) -> None:
        try:
            seconds = min(max(float(text or "2"), 0.0), MAX_WAIT_S)
        except ValueError:
            self.terminal.emit("usage: /wait [SECONDS]")
            return
        await asyncio.sleep(seconds)

    async def press(self, number: int) -> None:
        found = self.session.find_button(number)
        if found is None:
            self.terminal.emit(f"(no button [{number}] on the recent cards)")
            return
        view, button = found
        if button is None:
            self.terminal.emit(
                f"(button [{number}] is no longer on its card: it was pressed, or no longer "
                "applies; buttons keep their numbers, so type `/show` to see the ones left)"
            )
            return
        if button.kind == "open_url":
            self.terminal.emit(f"(open {button.url} in a browser)")
            return
        values = await self.fill_in(button)
        if values is None:
            self.terminal.emit("(not pressed)")
            return
        self.terminal.emit(f"(pressing [{number}] {button.title})")
        await self.session.press(view, button, values)

    async def fill_in(self, button: Button) -> dict[str, str] | None:
        """Ask for the button's inputs (e.g. a reason); None if input ended."""
        values: dict[str, str] = {}
        for field in button.inputs:
            hint = f" ({' / '.join(field.choices)})" if field.choices else ""
            hint += "" if field.required else " (optional)"
            while True:
                value = await self.reader.read(f"  {field.label}{hint}: ")
                if value is None:
                    return None
                if value.strip() or not field.required:
                    break
            values[field.id] = value.strip()
        return values


def _default_user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser() or "Console User"
    except (KeyError, OSError):
        return "Console User"


def _quiet_logs(level: str) -> None:
    logging.getLogger().setLevel(level)
    # Inbound tokens are never checked here, so failing to fetch OpenID metadata is no news.
    logging.getLogger("teams_bot.bf.metadata").setLevel(logging.ERROR)


def _fail(message: str) -> int:
    print(f"teams-bot console: {message}", file=sys.stderr)
    return 2
