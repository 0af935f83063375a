"""Properties: resolve never crashes, quoting round-trips, durations round-trip."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.durations import (
    MAX_DURATION,
    DurationError,
    format_duration,
    parse_duration,
)
from teams_bot.commands.parser import join_tokens, quote_token, tokenize
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError

registry = CommandRegistry()


@registry.command("deploy", permission="deploy.run")
async def deploy(ctx: CommandContext, service: str, version: str,
                 env: Literal["dev", "staging", "production"] = "dev", *, dry_run: bool = False,
                 timeout: timedelta = timedelta(minutes=30), ratio: float = 1.0) -> Reply:  # noqa: ASYNC109
    """Deploy."""
    return ""


@registry.command("freeze on", permission="freeze.set")
async def freeze_on(ctx: CommandContext, duration: timedelta, *reason: str) -> Reply:
    """Freeze."""
    return ""


@registry.command("freeze off", permission="freeze.set")
async def freeze_off(ctx: CommandContext) -> Reply:
    """Thaw."""
    return ""


@registry.command("nodes reboot", permission="nodes.reboot")
async def nodes_reboot(ctx: CommandContext, *nodes: int, count: int | None = None) -> Reply:
    """Reboot."""
    return ""


QUOTES = "\"'\u201c\u201d\u2018\u2019\u201e\u201a"
pieces = st.sampled_from([
    "deploy", "freeze", "on", "off", "nodes", "reboot", "--", "--dry-run", "--no-dry-run",
    "--timeout", "env=", "--ratio=", "count=", "=", "\\", " ", "\t", "\u00a0", "\u200b", "-1",
    "2h", "1h30m", "99999999d", "1e308", "nan", "/", *QUOTES,
])
chatty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=2000),
    st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=30).map("".join),
    st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=30).map(" ".join),
)


@settings(max_examples=300)
@given(chatty_text)
def test_resolve_returns_or_raises_a_command_error(text: str) -> None:
    try:
        command, bound = registry.resolve(text)
    except CommandError as exc:
        assert str(exc)
    else:
        assert registry.get(command.name) is command
        assert isinstance(bound.for_audit(), dict)


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=500))
def test_resolve_after_a_command_name_never_crashes(tail: str) -> None:
    for name in ("deploy ", "freeze on ", "nodes reboot "):
        try:
            registry.resolve(name + tail)
        except CommandError:
            pass


safe_token = st.text(min_size=1).filter(
    lambda s: not any(ch.isspace() or ch in QUOTES or ch in "\\\u200b\ufeff" for ch in s))


@settings(max_examples=300)
@given(st.lists(st.one_of(safe_token, st.text()), max_size=12))
def test_join_then_tokenize_round_trips(tokens: list[str]) -> None:
    assert tokenize(join_tokens(tokens)) == tokens


@settings(max_examples=300)
@given(st.lists(safe_token, max_size=12))
def test_safe_tokens_need_no_quoting(tokens: list[str]) -> None:
    assert all(quote_token(token) == token for token in tokens)
    assert tokenize(" ".join(tokens)) == tokens


seconds = st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds()))


@settings(max_examples=300)
@given(seconds)
def test_format_then_parse_round_trips(count: int) -> None:
    value = timedelta(seconds=count)
    assert parse_duration(format_duration(value)) == value


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_parse_duration_raises_only_duration_error(text: str) -> None:
    try:
        value = parse_duration(text)
    except DurationError:
        return
    assert timedelta(0) < value <= MAX_DURATION
    assert format_duration(parse_duration(format_duration(value))) == format_duration(value)
