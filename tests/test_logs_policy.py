"""Secrets never reach the logs; the policy file is parsed strictly."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from teams_bot.logs import JsonFormatter, _Scrubber, correlation_id
from teams_bot.policy import PolicyError, allows, load_policy, parse_policy


def capture(fmt: logging.Formatter, secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(_Scrubber(secrets))
    handler.setFormatter(fmt)
    logger = logging.getLogger(f"test.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_known_secrets_bearer_tokens_and_jwts_are_masked() -> None:
    logger, stream = capture(logging.Formatter("%(message)s"), ["app-password-123"])
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
    logger.warning("login with %s and Bearer abcdefghijkl and %s", "app-password-123", jwt)
    out = stream.getvalue()
    assert "app-password-123" not in out and "abcdefghijkl" not in out and jwt not in out
    assert "Bearer ***" in out and "***jwt***" in out


def test_tracebacks_are_scrubbed_too() -> None:
    logger, stream = capture(logging.Formatter("%(message)s"), ["hunter2-secret"])
    try:
        raise RuntimeError("failed with hunter2-secret")
    except RuntimeError:
        logger.exception("boom")
    assert "hunter2-secret" not in stream.getvalue() and "RuntimeError" in stream.getvalue()


def test_json_lines_carry_the_correlation_id() -> None:
    logger, stream = capture(JsonFormatter(), [])
    token = correlation_id.set("abc123")
    try:
        logger.info("hello")
    finally:
        correlation_id.reset(token)
    entry = json.loads(stream.getvalue())
    assert entry["correlation_id"] == "abc123" and entry["message"] == "hello"


def test_wildcard_permissions() -> None:
    assert allows(["nodes.*"], "nodes.reboot")
    assert allows(["*"], "audit.read")
    assert not allows(["nodes.read"], "nodes.reboot")
    assert not allows([], "help")


def test_policy_roles_and_sources() -> None:
    policy = parse_policy(
        {
            "default_roles": ["viewer"],
            "roles": {"viewer": {"permissions": ["help"]}, "ops": {"permissions": ["nodes.*"]}},
            "bindings": {"users": {"oid-1": ["ops"]}},
        }
    )
    assert policy.roles_for("oid-1") == [("viewer", "default"), ("ops", "user binding")]
    assert policy.permissions_of(["viewer", "ops"]) == {"help", "nodes.*"}
    assert policy.roles_for("someone-else") == [("viewer", "default")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('default_roles = ["ghost"]', "unknown role"),
        ("roles = 3", "'roles' must be a table"),
        ('[roles.x]\npermissions = "all"', "list of strings"),
        ("not = = toml", "not valid TOML"),
    ],
)
def test_policy_errors_say_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_missing_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "absent.toml")
