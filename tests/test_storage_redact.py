"""redact(): secret names and secret-looking values, recursively."""

from __future__ import annotations

import base64
import random

import pytest

from teams_bot.storage.redact import REDACTED, is_secret_key, looks_secret, redact

SECRET_KEYS = [
    "password",
    "Password",
    "db_passwd",
    "client-secret",
    "token",
    "access_token",
    "apikey",
    "api_key",
    "API-Key",
    "key",
    "storage_key",
    "credential",
    "credentials",
    "auth",
    "Authorization",
    "pat",
    "gh_pat",
    "connection_string",
    "ConnectionString",
    "passphrase",
]
PLAIN_KEYS = ["env", "author", "authority", "branch", "replicas", "path", "service", "user"]
SECRET_VALUES = [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
    "Bearer abc.def.ghi-123",
    "basic dXNlcjpwYXNzd29yZA==",
    "Server=db;User Id=sa;Password=hunter2;",
    "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc;",
    "0123456789abcdef0123456789abcdef",
    "ghp_abcdefghijklmnopqrstuvwxyz012345",
    "https://user:s3cret@example.com/repo.git",
    "-----BEGIN RSA PRIVATE KEY-----",
    "use KS3cM1M96X2r4xMVOjgZHDgw8aLgFe2Q as the key",
]
PLAIN_VALUES = [
    "prod",
    "/home/user/projects/teams-bot/releases/v2",
    "feature/JIRA-1234-add-login-page-for-users",
    "deploy-production-environment-westeurope-2024",
    "MyApplicationServiceDeploymentPipeline",
    "3f1e2c4a-1b2c-4d5e-8f90-1234567890ab",
    "https://github.com/org/repo/actions/runs/12345678901",
    "The quick brown fox jumps over the lazy dog",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)
    assert redact({key: "anything"}) == {key: REDACTED}


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_plain_keys(key: str) -> None:
    assert not is_secret_key(key)
    assert redact({key: "prod"}) == {key: "prod"}


@pytest.mark.parametrize("value", SECRET_VALUES)
def test_secret_values_whatever_the_key(value: str) -> None:
    assert looks_secret(value)
    assert redact({"note": value}) == {"note": REDACTED}


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_plain_values_survive(value: str) -> None:
    assert not looks_secret(value)


BLOBS = {
    "base64": lambda b: base64.b64encode(b).decode(),
    "base64url": lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="),
    "base32": lambda b: base64.b32encode(b).decode().lower(),
    "hex": lambda b: b.hex(),
}


@pytest.mark.parametrize("encoding", sorted(BLOBS))
def test_random_blobs_are_redacted(encoding: str) -> None:
    rng = random.Random(encoding)  # deterministic: 500 keys of 24..48 random bytes
    blobs = [BLOBS[encoding](rng.randbytes(rng.randint(24, 48))) for _ in range(500)]
    assert [b for b in blobs if not looks_secret(b)] == []


def test_recursive_into_lists_and_dicts() -> None:
    args = {
        "env": "prod",
        "items": ["ok", "Bearer abcdefghijk", {"secret": 1, "n": 2}],
        "nested": {"deeper": {"api_key": ["x"], "keep": 3.5}},
        "count": 3,
        "flag": None,
    }
    assert redact(args) == {
        "env": "prod",
        "items": ["ok", REDACTED, {"secret": REDACTED, "n": 2}],
        "nested": {"deeper": {"api_key": REDACTED, "keep": 3.5}},
        "count": 3,
        "flag": None,
    }


def test_input_is_not_modified() -> None:
    args = {"password": "x", "list": ["Bearer abcdefghijk"]}
    redact(args)
    assert args == {"password": "x", "list": ["Bearer abcdefghijk"]}
