"""Tokenizer, durations and argument binding (through a small registry)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal, Optional

import pytest

from teams_bot.commands.durations import DurationError, format_duration, parse_duration
from teams_bot.commands.parser import (
    BoundArguments,
    Token,
    join_tokens,
    quote_token,
    scan,
    similar,
    tokenize,
)
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import UsageError

# --- tokenizer ---


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        ("   \t\n ", []),
        ("deploy web 1.2.3", ["deploy", "web", "1.2.3"]),
        ("  deploy\u00a0web\u200bnow  ", ["deploy", "web", "now"]),
        ('say "hello world"', ["say", "hello world"]),
        ("say 'hello world'", ["say", "hello world"]),
        ("say \u201chello world\u201d", ["say", "hello world"]),
        ("say \u201dhello world\u201d", ["say", "hello world"]),
        ("say \u2018hello world\u2019", ["say", "hello world"]),
        ("say \u201ehallo welt\u201c", ["say", "hallo welt"]),
        ('say ""', ["say", ""]),
        ('reason="two words" x', ["reason=two words", "x"]),
        ("--reason='two words'", ["--reason=two words"]),
        ("don't stop", ["don't", "stop"]),
        ("don\u2019t stop", ["don\u2019t", "stop"]),
        ("'it's fine'", ["it's fine"]),
        ("\u2018don\u2019t\u2019", ["don\u2019t"]),
        ('"say \\"hi\\" now"', ['say "hi" now']),
        ('"back\\\\slash"', ["back\\slash"]),
        ('"C:\\temp\\x"', ["C:\\temp\\x"]),
        ("C:\\temp", ["C:\\temp"]),
        ('"@Ada Lovelace" ok', ["@Ada Lovelace", "ok"]),
        ('a"b c"', ['a"b', 'c"']),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_scan_marks_tokens_that_began_with_a_quote() -> None:
    assert scan('"a=b" c=d c="d e"') == [
        Token("a=b", quoted=True),
        Token("c=d"),
        Token("c=d e"),
    ]


@pytest.mark.parametrize("text", ['say "oops', "say 'oops", "say \u201coops", '"a"b', 'x "a\\"'])
def test_unbalanced_quote_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="Unbalanced quote"):
        tokenize(text)


def test_double_quote_is_not_closed_by_a_curly_one() -> None:
    with pytest.raises(UsageError):
        tokenize('"abc\u201d')


@pytest.mark.parametrize(
    ("token", "quoted"),
    [("web", "web"), ("", '""'), ("a b", '"a b"'), ('say "x"', '"say \\"x\\""'),
     ("a\\b", '"a\\\\b"'), ("it's", '"it\'s"')],
)
def test_quote_token(token: str, quoted: str) -> None:
    assert quote_token(token) == quoted
    assert tokenize(quoted) == [token]


def test_join_tokens_round_trips() -> None:
    tokens = ["freeze", "on", "2h", "don't \"touch\"", "", "a\\b", "\u201cx\u201d"]
    assert tokenize(join_tokens(tokens)) == tokens


# --- durations ---


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1H30M", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("90", timedelta(minutes=90)),
        ("2hours", timedelta(hours=2)),
        ("1 hour 30 min", timedelta(minutes=90)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("30d", timedelta(days=30)),
        (" 5m ", timedelta(minutes=5)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "longer than zero"),
        ("0m", "longer than zero"),
        ("0.1s", "longer than zero"),
        ("-5m", "longer than zero"),
        ("31d", "at most 30d"),
        ("30d1s", "at most 30d"),
        ("999999999999d", "at most 30d"),
        ("", "must be a duration"),
        ("abc", "must be a duration"),
        ("5x", "must be a duration"),
        ("1h30", "must be a duration"),
        ("h", "must be a duration"),
        ("1.2.3h", "must be a duration"),
        ("5m!", "must be a duration"),
    ],
)
def test_bad_durations(text: str, reason: str) -> None:
    with pytest.raises(DurationError, match=reason):
        parse_duration(text)


def test_duration_maximum_is_adjustable() -> None:
    assert parse_duration("40d", maximum=timedelta(days=60)) == timedelta(days=40)


@pytest.mark.parametrize(
    ("value", "text"),
    [(timedelta(0), "0s"), (timedelta(seconds=90), "1m30s"), (timedelta(minutes=90), "1h30m"),
     (timedelta(days=1, seconds=1), "1d1s"), (timedelta(minutes=-5), "-5m")],
)
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


# --- binding ---

registry = CommandRegistry()


@registry.command("deploy", permission="deploy.run")
async def deploy(ctx: object, service: str, version: str,
                 env: Literal["dev", "staging", "production"] = "dev",
                 *, dry_run: bool = False, timeout: timedelta = timedelta(minutes=30)) -> str:  # noqa: ASYNC109
    """Deploy a service."""
    return "ok"


@registry.command("scale", permission="scale")
async def scale(ctx: object, replicas: int, ratio: float = 1.0, *,
                ticket: str | None = None, zone: Optional[Literal[1, 2, 3]] = None,  # noqa: UP045
                force: bool = True) -> str:
    """Scale a service."""
    return "ok"


@registry.command("nodes reboot", permission="nodes.reboot")
async def nodes_reboot(ctx: object, *nodes: str, count: int = 1) -> str:
    """Reboot nodes."""
    return "ok"


@registry.command("sum", permission="sum")
async def add(ctx: object, *numbers: int) -> str:
    """Add numbers."""
    return "ok"


def bound(text: str) -> BoundArguments:
    return registry.resolve(text)[1]


def problem(text: str) -> str:
    with pytest.raises(UsageError) as info:
        registry.resolve(text)
    return info.value.problem


HALF_HOUR = timedelta(minutes=30)


@pytest.mark.parametrize(
    "text",
    [
        "deploy web 1.2.3 staging",
        "deploy web version=1.2.3 env=staging",
        "deploy service=web version=1.2.3 env=staging",
        "deploy version=1.2.3 web staging",
        "deploy --env staging web --version=1.2.3",
        "deploy web 1.2.3 ENV=Staging",
        "deploy web 1.2.3 --ENV=staging",
        "/deploy web 1.2.3 staging",
        "DEPLOY web 1.2.3 staging",
    ],
)
def test_positional_and_named_forms_agree(text: str) -> None:
    assert bound(text).args == ("web", "1.2.3", "staging")
    assert bound(text).kwargs == {"dry_run": False, "timeout": HALF_HOUR}


def test_defaults_fill_in() -> None:
    assert bound("deploy web 1").args == ("web", "1", "dev")


@pytest.mark.parametrize(
    ("text", "dry_run"),
    [("--dry-run", True), ("--dry_run", True), ("--DRY-RUN", True), ("--dry-run=false", False),
     ("--dry-run=yes", True), ("--no-dry-run", False), ("dry-run=true", True),
     ("dry_run=off", False), ("--dry-run=1", True)],
)
def test_flags(text: str, dry_run: bool) -> None:
    assert bound(f"deploy web 1 {text}").kwargs["dry_run"] is dry_run


def test_flag_does_not_swallow_the_next_token() -> None:
    assert bound("deploy web --dry-run 1").args == ("web", "1", "dev")


def test_option_value_forms() -> None:
    hours = timedelta(hours=2)
    assert bound("deploy web 1 --timeout 2h").kwargs["timeout"] == hours
    assert bound("deploy web 1 --timeout=2h").kwargs["timeout"] == hours
    assert bound("deploy web 1 timeout=2h").kwargs["timeout"] == hours
    assert bound("deploy web 1 timeout=120").kwargs["timeout"] == hours


def test_quoted_values_and_literal_tokens() -> None:
    assert bound('deploy "my web" "version=1"').args == ("my web", "version=1", "dev")
    assert bound("deploy -- --dry-run x=y").args == ("--dry-run", "x=y", "dev")
    assert bound('deploy web version="1 2"').args == ("web", "1 2", "dev")
    assert bound("deploy http://x/?a=b 1").args == ("http://x/?a=b", "1", "dev")


def test_numbers_optional_and_int_choices() -> None:
    b = bound("scale 3 0.5 --ticket CHG-1 --zone 2 --no-force")
    assert b.args == (3, 0.5)
    assert b.kwargs == {"ticket": "CHG-1", "zone": 2, "force": False}
    assert bound("scale -2").args == (-2, 1.0)
    assert bound("scale 2").kwargs == {"ticket": None, "zone": None, "force": True}


def test_variadic() -> None:
    assert bound("nodes reboot").args == ()
    assert bound("nodes reboot n1 n2 --count 2").args == ("n1", "n2")
    assert bound("nodes reboot n1 count=2 n2").kwargs == {"count": 2}
    assert bound("sum 1 2 -3").args == (1, 2, -3)


def test_for_audit_records_what_was_typed() -> None:
    assert bound("deploy web version=1.2.3 Production --dry-run --timeout 90").for_audit() == {
        "service": "web", "version": "1.2.3", "env": "Production", "dry_run": True,
        "timeout": "90",
    }
    assert bound("nodes reboot a b").for_audit() == {"nodes": ["a", "b"]}
    assert bound("deploy web 1").for_audit() == {"service": "web", "version": "1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deploy", "Missing required arguments 'service', 'version'."),
        ("deploy web", "Missing required argument 'version'."),
        ("deploy web version=1 --dry-run", None),
        ("deploy web 1 prod", "'env' must be one of dev, staging, production (got 'prod'). "
                              "Did you mean 'production'?"),
        ("deploy web 1 env=stagign", "'env' must be one of dev, staging, production "
                                     "(got 'stagign'). Did you mean 'staging'?"),
        ("deploy web 1 env=qa", "'env' must be one of dev, staging, production (got 'qa')."),
        ("deploy web 1 --foo", "Unknown option '--foo'."),
        ("deploy web 1 --dryrun", "Unknown option '--dryrun'. Did you mean '--dry-run'?"),
        ("deploy web 1 environment=dev", "Unknown option 'environment'. Did you mean 'env'?"),
        ("deploy web 1 --no-timeout", "Unknown option '--no-timeout'. Did you mean '--timeout'?"),
        ("deploy web 1 dev extra", "Too many arguments: I don't know what to do with 'extra'."),
        ("deploy web 1 version=2", "'version' given twice."),
        ("deploy web 1 --dry-run --no-dry-run", "'dry-run' given twice."),
        ("deploy web 1 --timeout", "Option '--timeout' needs a value."),
        ("deploy web 1 --timeout soon", "'timeout' must be a duration like 30m, 2h, 1d or 1h30m "
                                        "(a bare number means minutes) (got 'soon')."),
        ("deploy web 1 --timeout 0m", "'timeout' must be longer than zero (got '0m')."),
        ("deploy web 1 --timeout 45d", "'timeout' must be at most 30d (got '45d')."),
        ("deploy web 1 --dry-run=maybe", "'dry-run' must be true or false (got 'maybe')."),
        ("nodes reboot a --count=x", "'count' must be a whole number (got 'x')."),
        ("nodes reboot a --count=1.5", "'count' must be a whole number (got '1.5')."),
        ("scale many", "'replicas' must be a whole number (got 'many')."),
        ("scale 1 nan", "'ratio' must be a number (got 'nan')."),
        ("scale 1 --zone 4", "'zone' must be one of 1, 2, 3 (got '4')."),
        ("sum 1 two", "'numbers' must be a whole number (got 'two')."),
    ],
)
def test_usage_problems(text: str, expected: str | None) -> None:
    if expected is None:
        registry.resolve(text)
    else:
        assert problem(text) == expected


def test_usage_error_carries_the_usage_line() -> None:
    with pytest.raises(UsageError) as info:
        registry.resolve("deploy web")
    usage = "deploy <service> <version> [env=dev|staging|production] [--dry-run] [--timeout=30m]"
    assert info.value.usage == usage
    assert str(info.value).endswith(f"Usage: {usage}")


def test_long_garbage_is_clipped_in_messages() -> None:
    message = problem("deploy web 1 dev " + "x" * 500)
    assert len(message) < 120


@pytest.mark.parametrize(
    ("word", "options", "expected"),
    [("prod", ["dev", "production"], ["production"]), ("--dryrun", ["--dry-run"], ["--dry-run"]),
     ("zzz", ["dev"], []), ("d", ["dev"], [])],
)
def test_similar(word: str, options: list[str], expected: list[str]) -> None:
    assert similar(word, options) == expected
