"""The Azure deployment matches the app: every setting by name, secrets from Key Vault, the
Teams channel and messaging endpoint, and a container image installed the README's way.

No Bicep compiler runs offline (the `bicep-node` npm package downloads the Bicep binary); the
Bicep is syntax-checked with the pure-Python `pycep-parser` when it is installed.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, SecretStr

from teams_bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
INFRA = REPO / "infra"
BICEP = (INFRA / "main.bicep").read_text(encoding="utf-8")
DOCKERFILE = (INFRA / "Dockerfile").read_text(encoding="utf-8")

# The README's install step; the image must install the package exactly this way.
INSTALL_COMMAND = "pip install ."

# Settings deliberately absent from the Azure app settings, each with its reason.
NOT_SET_IN_AZURE = {
    # Weakens security by name; a deployment that needs it is a mistake.
    "TEAMS_BOT_DANGEROUSLY_ALLOW_UNAUTHENTICATED_REMOTE": "never in Azure",
}

_ENV_ENTRY = re.compile(r"\{\s*name:\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,\s*(value|secretRef):")


def settings_names() -> dict[str, bool]:
    """Environment name -> is it a secret, for every field of Settings."""
    names = {}
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if isinstance(alias, AliasChoices) else None
        name = str(env) if env else f"TEAMS_BOT_{field_name.upper()}"
        names[name] = SecretStr in getattr(field.annotation, "__args__", (field.annotation,))
    return names


def bicep_env() -> dict[str, str]:
    """Env name -> 'value' or 'secretRef', from the container's settings lists in main.bicep."""
    entries = _ENV_ENTRY.findall(BICEP)
    assert entries, "no { name: '...', value|secretRef: ... } entries found in main.bicep"
    found: dict[str, str] = {}
    for name, kind in entries:
        assert name not in found, f"{name} is set twice in main.bicep"
        found[name] = kind
    return found


def test_every_setting_the_app_reads_is_set_in_azure_and_nothing_else() -> None:
    expected = set(settings_names()) - set(NOT_SET_IN_AZURE)
    in_bicep = set(bicep_env())
    assert sorted(expected - in_bicep) == [], "settings the app reads but main.bicep does not set"
    assert sorted(in_bicep - expected) == [], "main.bicep sets names the app does not read"


def test_the_exception_list_is_real_and_documented_in_the_bicep() -> None:
    for name in NOT_SET_IN_AZURE:
        assert name in settings_names(), f"{name} is no longer a setting; drop it from the list"
        assert name not in bicep_env()
        assert re.search(rf"//.*Not set here on purpose:.*{name}", BICEP), name


def test_secret_settings_come_from_key_vault() -> None:
    env = bicep_env()
    secrets = [name for name, secret in settings_names().items() if secret]
    assert secrets, "Settings has no SecretStr fields?"
    for name in secrets:
        assert env.get(name) == "secretRef", f"{name} must be a Key Vault-backed secretRef"
    refs = set(re.findall(r"secretRef:\s*'([a-z0-9-]+)'", BICEP))
    vault_names = re.search(r"var vaultSecretNames = concat\((.*?)\n\)", BICEP, re.S)
    assert vault_names is not None
    assert refs <= set(re.findall(r"'([a-z0-9-]+)'", vault_names.group(1)))
    assert "keyVaultUrl: '${vault.properties.vaultUri}secrets/${n}'" in BICEP
    assert "enableRbacAuthorization: true" in BICEP


def test_bot_has_the_teams_channel_and_the_messages_endpoint() -> None:
    assert "resource bot 'Microsoft.BotService/botServices@" in BICEP
    assert "channelName: 'MsTeamsChannel'" in BICEP
    assert "endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'" in BICEP
    port = re.search(r"^var port = (\d+)$", BICEP, re.M)
    assert port is not None and int(port.group(1)) == Settings.model_fields["port"].default
    assert f"EXPOSE {port.group(1)}" in DOCKERFILE


def test_app_runs_with_a_user_assigned_identity_on_postgres_with_logs() -> None:
    for resource in (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.App/containerApps",
        "Microsoft.DBforPostgreSQL/flexibleServers",
        "Microsoft.KeyVault/vaults",
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.Insights/components",
    ):
        assert f"'{resource}@" in BICEP, resource
    assert "type: 'UserAssigned'" in BICEP
    assert "postgresql+asyncpg://" in BICEP and "?ssl=require" in BICEP


def _env_entries(node: Any) -> set[str]:
    """Names of {name, value|secretRef} objects anywhere in a pycep parse tree."""
    if isinstance(node, dict):
        found = set()
        if isinstance(node.get("name"), str) and ({"value", "secretRef"} & node.keys()):
            found.add(node["name"])
        for value in node.values():
            found |= _env_entries(value)
        return found
    if isinstance(node, list):
        return set().union(*(_env_entries(item) for item in node)) if node else set()
    return set()


def test_bicep_parses_and_the_parser_sees_the_same_settings() -> None:
    pycep = pytest.importorskip("pycep", reason="pycep-parser not installed: no Bicep syntax check")
    tree = pycep.BicepParser().parse(text=BICEP)
    variables = tree["variables"]
    parsed = _env_entries(variables["plainSettings"]) | _env_entries(variables["secretSettings"])
    assert parsed == set(bicep_env())
    declared = set(tree["parameters"])
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(params) <= declared, "main.parameters.json names parameters main.bicep lacks"
    required = {n for n, p in tree["parameters"].items() if p.get("default") is None}
    secure = {
        n
        for n, p in tree["parameters"].items()
        if any(d.get("type") == "secure" for d in p.get("decorators", []))
    }
    assert required - secure <= set(params), "a required parameter has no example"


def test_deployment_readme_passes_the_secure_parameters() -> None:
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    for name in ("actionSecret=", "postgresAdminPassword=", "microsoftAppPassword="):
        assert name in readme, name
    assert "az deployment group create" in readme


# --- the container image ---


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_installs_exactly_as_the_readme_does() -> None:
    runs = [args for op, args in _instructions(DOCKERFILE) if op == "RUN"]
    installs = [cmd.strip() for run in runs for cmd in run.split("&&") if "pip install" in cmd]
    assert installs == [INSTALL_COMMAND]


def test_readme_install_step_is_the_one_the_image_uses() -> None:
    readme = REPO / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not written yet")
    assert INSTALL_COMMAND in readme.read_text(encoding="utf-8")


def test_dockerfile_is_slim_non_root_authenticated_and_health_checked() -> None:
    steps = _instructions(DOCKERFILE)
    ops = [op for op, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-9]-slim\S*", steps[0][1])
    user = [args for op, args in steps if op == "USER"]
    assert user and user[-1] not in ("root", "0"), "the image must run as a non-root user"
    assert ops.index("USER") < ops.index("CMD")
    health = " ".join(args for op, args in steps if op == "HEALTHCHECK")
    assert "/healthz" in health and "urllib" in health
    assert not re.search(r"\b(curl|wget)\b", DOCKERFILE)
    cmd = json.loads([args for op, args in steps if op == "CMD"][-1])
    assert cmd[:2] == ["teams-bot", "serve"] and shlex.join(cmd[2:]) == "--host 0.0.0.0"
    assert "DANGEROUSLY" not in DOCKERFILE.upper()
    assert "MicrosoftAppId" not in DOCKERFILE.replace("without MicrosoftAppId", "")


def test_build_context_keeps_what_pip_install_needs() -> None:
    text = (INFRA / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    rules = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    assert rules[0] == "*", "deny everything first, then allow what the install needs"
    for needed in ("!pyproject.toml", "!README.md", "!teams_bot/", "!cards/", "!dialogs/"):
        assert needed in rules, needed
