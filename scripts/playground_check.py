"""Drive the bot through Microsoft's Agents Playground and report what it saw (optional check).

Run it with `scripts/playground-check` (which installs the playground from npm). It starts the
bot in local development mode and the playground on 127.0.0.1, then, through the playground's
own API (the one its web client uses): help, whoami, `nodes failed`, a Reboot press, a Rollback
press with its reason (an approval request), and, as a second person, `pending` and `approve`.
Exit 0 when every step saw what it should; the last line says how many passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
APPROVER_AAD = "00000000-0000-0000-0000-0000000000021"  # the playground's "Megan Bowen"
Message = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user_yaml(user: dict[str, str], first: str, indent: str) -> str:
    given, _, surname = user["name"].partition(" ")
    mail = f"{given.lower()}@example.com"
    fields = [
        ("id", user["id"]),
        ("name", user["name"]),
        ("userPrincipleName", mail),
        ("aadObjectId", user["aad"]),
        ("givenName", given),
        ("surname", surname),
        ("email", mail),
    ]
    lines = [f"{indent}{key}: {value}" for key, value in fields]
    lines[0] = first + lines[0].lstrip()
    return "\n".join(lines) + "\n"


def playground_config(current: dict[str, str], others: list[dict[str, str]]) -> str:
    """The playground's mock tenant (.m365agentsplayground.yml) with `current` as the user."""
    return (
        'version: "0.1.1"\n'
        "tenantId: 00000000-0000-0000-0000-0000000000001\n"
        "bot:\n  id: 00000000-0000-0000-0000-00000000000011\n  name: opsbot\n"
        "currentUser:\n"
        + _user_yaml(current, "  ", "  ")
        + "users:\n"
        + "".join(_user_yaml(u, "  - ", "    ") for u in others)
        + f"personalChat:\n  id: personal-chat-{current['id']}\n"
        "groupChat:\n  id: group-chat-id\n  name: Group Chat\n"
        "team:\n  id: team-id\n  name: My Team\n"
        "  aadGroupId: 00000000-0000-0000-0000-000000000031\n"
        "  channels:\n    - id: channel-announcements-id\n      name: Announcements\n"
    )


def _person(number: int, name: str) -> dict[str, str]:
    return {
        "id": f"user-id-{number}",
        "name": name,
        "aad": f"00000000-0000-0000-0000-00000000000{20 + number}",
    }


# The playground's own mock people (it needs all six); the check plays two of them.
PEOPLE = [
    _person(n, name)
    for n, name in enumerate(
        [
            "Alex Wilber",
            "Megan Bowen",
            "Adele Vance",
            "Isaiah Langer",
            "Patti Fernandez",
            "Lynne Robbins",
        ]
    )
]
ALEX, MEGAN = PEOPLE[0], PEOPLE[1]


def text_of(message: Message) -> str:
    """Everything a person reads in a message: its text and every string in its cards."""
    found: list[str] = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "fallbackText"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("attachments") or [])
    return re.sub(r"\\(.)", r"\1", "\n".join(found))


def buttons(message: Message) -> list[dict[str, Any]]:
    """Every Action.Execute in a message's cards."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("title"):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("attachments") or [])
    return found


class Playground:
    """One running playground process and a client of its API and message stream."""

    def __init__(self, cli: Path, bot_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (workdir / "playground.log").open("w")
        argv = ["node", str(cli), "-e", bot_url, "-c", "msteams", "--dt", "-p", str(self.port)]
        self.proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
            argv,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.messages: list[Message] = []
        self.mark = 0  # messages before this index came before the last say() or press()
        self.session: aiohttp.ClientSession | None = None
        self.config: dict[str, Any] = {}

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        for _ in range(150):
            try:
                async with self.session.get(self.base + "/_internal/v1/config") as resp:
                    self.config = (await resp.json())["config"]
                    break
            except (aiohttp.ClientError, ValueError):
                await asyncio.sleep(0.2)
        else:
            raise RuntimeError("the playground did not start (see playground.log)")
        ws = await self.session.ws_connect(self.base + "/_ws_conversation/v1/conversations/stream")
        self._reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            event = json.loads(frame.data)
            message = event.get("message")
            if isinstance(message, dict):
                message["_action"] = event.get("action")
                self.messages.append(message)

    @property
    def user(self) -> str:
        return str(self.config["currentUser"]["id"])

    @property
    def chat(self) -> str:
        return str(self.config["personalChat"]["id"])

    async def say(self, text: str) -> None:
        assert self.session is not None
        self.mark = len(self.messages)
        body = {"from": {"id": self.user}, "text": text, "textFormat": "plain"}
        url = f"{self.base}/_conversation/v1/conversations/{self.chat}/messages"
        async with self.session.post(url, json=body) as resp:
            resp.raise_for_status()

    async def press(self, message: Message, action: dict[str, Any]) -> Any:
        assert self.session is not None
        self.mark = len(self.messages)
        body = {
            "name": "adaptiveCard/action",
            "value": {"action": action, "trigger": "manual"},
            "from": {"id": self.user},
            "conversation": {"id": self.chat},
            "replyToId": message["messageId"],
        }
        async with self.session.post(self.base + "/_conversation/v1/invoke", json=body) as resp:
            return await resp.json(content_type=None)

    async def wait_for(self, check: Callable[[Message], bool], seconds: float = 20) -> Message:
        """The first message since the last say() or press() that passes `check`."""
        deadline = time.monotonic() + seconds
        seen = self.mark
        while time.monotonic() < deadline:
            for message in self.messages[seen:]:
                if check(message):
                    return message
            seen = len(self.messages)
            await asyncio.sleep(0.1)
        raise TimeoutError("no such message from the bot")

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()


class Report:
    def __init__(self) -> None:
        self.results: list[bool] = []

    def step(self, name: str, ok: bool, seen: str) -> None:
        self.results.append(ok)
        summary = " ".join(seen.split())[:160]
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {summary}", flush=True)


def start_bot(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    policy = (ROOT / "infra" / "policy.trial.toml").read_text(encoding="utf-8")
    assert APPROVER_AAD in policy, "the trial policy binds the playground's Megan Bowen"
    (workdir / "policy.toml").write_text(policy, encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    env.update(
        TEAMS_BOT_DATA_DIR=str(workdir / "data"),
        TEAMS_BOT_CONFIG_FILE=str(ROOT / "infra" / "config.example.toml"),
        TEAMS_BOT_POLICY_FILE=str(workdir / "policy.toml"),
        TEAMS_BOT_ACTION_SECRET="playground-check-secret-0123456789",  # noqa: S106 - local run
        OPSBOT_EXAMPLE_STATE=str(workdir / "nodes.json"),
        PYTHONPATH=str(ROOT),
    )
    log = (workdir / "bot.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
        [sys.executable, "-m", "teams_bot.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(150):
            try:
                async with session.get(url + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not start (see bot.log)")


async def as_requester(pg: Playground, report: Report) -> None:
    await pg.say("help")
    message = await pg.wait_for(lambda m: "whoami" in text_of(m))
    report.step("help", "nodes failed" in text_of(message), text_of(message))

    await pg.say("whoami")
    message = await pg.wait_for(lambda m: ALEX["aad"] in text_of(m))
    report.step("whoami", "Alex Wilber" in text_of(message), text_of(message))

    await pg.say("nodes failed")
    card = await pg.wait_for(lambda m: any("Reboot" in b["title"] for b in buttons(m)))
    report.step("nodes failed", bool(buttons(card)), ", ".join(b["title"] for b in buttons(card)))

    reboot = next(b for b in buttons(card) if b["title"] == "Reboot")
    answer = await pg.press(card, reboot)
    shown = text_of({"attachments": [answer.get("value") or {}]}) if answer else ""
    progress = re.search(r"Rebooting (\S+), requested by Alex Wilber", shown)
    report.step("press Reboot", progress is not None, progress[0] if progress else shown)
    if progress:
        node = progress[1]
        done = await pg.wait_for(lambda m: node in text_of(m) and progress[0] not in text_of(m))
        line = " / ".join(t for t in text_of(done).splitlines() if "Alex Wilber" in t)
        report.step("reboot finished (card updated)", "Alex Wilber" in text_of(done), line)

    rollback = next(b for b in buttons(card) if b["title"].startswith("Rollback"))
    await pg.press(card, rollback)
    question = await pg.wait_for(lambda m: "reason" in text_of(m).lower())
    report.step(f"press {rollback['title']}", "approval" in text_of(question), text_of(question))
    await pg.say("the 11.20 release breaks the health probe")
    request = await pg.wait_for(lambda m: "health probe" in text_of(m))
    report.step("approval requested", "ops-lead" in text_of(request), text_of(request))


async def as_approver(pg: Playground, report: Report) -> None:
    await pg.say("pending")
    listing = await pg.wait_for(lambda m: "decision" in text_of(m))
    found = re.search(r"`(\w+)` release rollback", text_of(listing))
    report.step("pending (as Megan Bowen)", found is not None, text_of(listing))
    if found is None:
        return
    await pg.say(f"approve {found.group(1)}")
    decided = await pg.wait_for(lambda m: found.group(1) in text_of(m) or "pprov" in text_of(m))
    report.step("approve", "approved" in text_of(decided).lower(), text_of(decided))


async def main(cli: Path) -> int:
    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix="playground-check-"))
    bot, bot_url = start_bot(workdir)
    try:
        await wait_ready(bot_url)
        for person, steps in ((ALEX, as_requester), (MEGAN, as_approver)):
            home = workdir / person["id"]
            home.mkdir()
            others = [p for p in PEOPLE if p is not person]
            (home / ".m365agentsplayground.yml").write_text(playground_config(person, others))
            pg = Playground(cli, bot_url + "/api/messages", home)
            try:
                await pg.start()
                await steps(pg, report)
            except (TimeoutError, StopIteration, RuntimeError, aiohttp.ClientError) as exc:
                report.step(f"{person['name']}'s steps", False, f"{type(exc).__name__}: {exc}")
            finally:
                await pg.stop()
    finally:
        bot.terminate()
        bot.wait(timeout=30)
    passed = sum(report.results)
    print(f"playground-check: {passed} passed, {len(report.results) - passed} failed")
    if all(report.results):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs (bot.log, playground.log): {workdir}")
    return 0 if report.results and all(report.results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playground", type=Path, required=True, help="the playground's cli.js")
    raise SystemExit(asyncio.run(main(parser.parse_args().playground)))
