"""Inventory sources: where the list of failed nodes comes from (a local command or HTTP).

Both accept JSON `{"nodes": [...]}` or a bare list of node objects with `name` and `cluster`
(required) and `state`, `since` (ISO 8601; naive means UTC), `last_error`, `release`.
Every failure becomes an InventoryError whose message is safe to show in chat.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import aiohttp

from teams_bot.automation.errors import InventoryError
from teams_bot.automation.models import Job, NodeInfo
from teams_bot.automation.output import OutputTail, clean_text
from teams_bot.automation.process import ProcessExit, minimal_env, run_process
from teams_bot.commands.durations import format_duration

SNIPPET = 200  # at most this much of the offending output reaches chat
MAX_BYTES = 8 * 1024 * 1024


@runtime_checkable
class InventorySource(Protocol):
    async def failed_nodes(self, cluster: str | None) -> list[NodeInfo]:
        """Failed nodes, of one cluster or (None) of all; raises InventoryError."""
        ...


class ExecInventory:
    """Runs a configured executable (same rules as the job runner) and reads JSON from stdout.

    `{cluster}` in the argv becomes the requested cluster, or "" for all clusters.
    """

    def __init__(
        self,
        argv: tuple[str, ...],
        *,
        timeout: timedelta = timedelta(seconds=20),
        cwd: Path | None = None,
        env: tuple[str, ...] = (),
        grace: float = 2.0,
    ) -> None:
        self.job = Job("inventory", argv, {}, timeout, cwd, env)
        self.grace = grace

    async def failed_nodes(self, cluster: str | None) -> list[NodeInfo]:
        argv = replace(self.job, arguments={"cluster": cluster or ""}).render()
        out, err = CappedBytes(MAX_BYTES), OutputTail(max_lines=10, max_chars=1000)
        try:
            outcome = await run_process(
                argv,
                cwd=self.job.cwd,
                env=minimal_env(self.job.env),
                time_limit=self.job.timeout.total_seconds(),
                stdout=out.feed,
                stderr=err.feed,
                grace=self.grace,
            )
        except OSError as exc:
            raise InventoryError(
                f"The inventory command could not start: {exc.strerror or exc}."
            ) from None
        err.close()
        self._check(outcome, err.text(), out.overflow)
        return _only(cluster, parse_nodes(out.data))

    def _check(self, outcome: ProcessExit, stderr: str, overflow: bool) -> None:
        if outcome.timed_out:
            limit = format_duration(self.job.timeout)
            raise InventoryError(f"The inventory command did not answer within {limit}.")
        if outcome.returncode != 0:
            detail = last_line(stderr) or "no error output"
            raise InventoryError(
                f"The inventory command failed (exit code {outcome.returncode}): {detail}"
            )
        if overflow:
            raise InventoryError("The inventory command printed more than 8 MB; refused.")


class HttpInventory:
    """GETs a URL (with `?cluster=` when one is asked for) and reads JSON from the body.

    The bearer token, if any, is read from the environment variable `token_env` on every call.
    Redirects are not followed, so the token never travels to another host.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: timedelta = timedelta(seconds=20),
        token_env: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.token_env = token_env
        self._session = session
        self._where = host_of(url)

    async def failed_nodes(self, cluster: str | None) -> list[NodeInfo]:
        params = {"cluster": cluster} if cluster else {}
        try:
            if self._session is not None:
                body = await self._get(self._session, params)
            else:
                async with aiohttp.ClientSession() as session:
                    body = await self._get(session, params)
        except TimeoutError:
            limit = format_duration(self.timeout)
            raise InventoryError(
                f"The inventory service ({self._where}) did not answer within {limit}."
            ) from None
        except aiohttp.ClientError as exc:
            raise InventoryError(
                f"Could not reach the inventory service ({self._where}): {type(exc).__name__}."
            ) from None
        return _only(cluster, parse_nodes(body))

    async def _get(self, session: aiohttp.ClientSession, params: dict[str, str]) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.timeout.total_seconds())
        async with session.get(
            self.url,
            params=params,
            headers=self._headers(),
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            body = await response.content.read(MAX_BYTES + 1)
            if response.status != 200:
                detail = clean_text(body.decode("utf-8", errors="replace"), SNIPPET)
                raise InventoryError(
                    f"The inventory service ({self._where}) answered HTTP {response.status}"
                    + (f": {detail}" if detail else ".")
                )
            if len(body) > MAX_BYTES:
                raise InventoryError(f"The inventory service ({self._where}) sent over 8 MB.")
            return body

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token_env:
            token = os.environ.get(self.token_env, "")
            if not token:
                raise InventoryError(
                    f"The inventory token is not set (environment variable {self.token_env})."
                )
            headers["Authorization"] = f"Bearer {token}"
        return headers


class CappedBytes:
    """Collects bytes up to a limit and remembers whether more came."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflow = False

    def feed(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.limit:
            self.overflow = True
            return
        self.chunks.append(chunk)
        self.size += len(chunk)

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


def parse_nodes(raw: bytes) -> list[NodeInfo]:
    """Nodes from JSON text; raises InventoryError quoting at most SNIPPET characters."""
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        shown = clean_text(text, SNIPPET) or "(empty)"
        raise InventoryError(f"The inventory answer is not valid JSON: {shown}") from None
    items = data.get("nodes") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InventoryError('The inventory answer must be {"nodes": [...]} or a list of nodes.')
    return [_node(index, item) for index, item in enumerate(items, start=1)]


def _node(index: int, item: object) -> NodeInfo:
    if not isinstance(item, dict):
        raise InventoryError(f"Inventory node #{index} is not an object.")
    return NodeInfo(
        name=_text(index, item, "name", required=True),
        cluster=_text(index, item, "cluster", required=True),
        state=_text(index, item, "state") or "failed",
        since=_since(index, item.get("since")),
        last_error=_text(index, item, "last_error"),
        release=_text(index, item, "release"),
    )


def _text(index: int, item: dict[str, object], key: str, *, required: bool = False) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        kind = "a non-empty string" if required else "a string"
        raise InventoryError(f"Inventory node #{index}: '{key}' must be {kind}.")
    return value


def _since(index: int, value: object) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InventoryError(
            f"Inventory node #{index}: 'since' must be an ISO 8601 time like 2026-11-20T08:15:00Z."
        )
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def host_of(url: str) -> str:
    """host[:port] for messages: never the path, query or user:password of the URL."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def last_line(text: str) -> str:
    """The last non-empty line: for a crashed script its error, not its traceback."""
    lines = [line for line in text.splitlines() if line.strip()]
    return clean_text(lines[-1], SNIPPET) if lines else ""


def _only(cluster: str | None, nodes: list[NodeInfo]) -> list[NodeInfo]:
    """Filter here too, in case a source ignores the cluster it was asked for."""
    return nodes if not cluster else [node for node in nodes if node.cluster == cluster]
