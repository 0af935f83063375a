"""The Azure deployment matches the app: every setting by name, secrets from Key Vault, the
Teams channel and messaging endpoint, and a container image installed the README's way.

No Bicep compiler runs offline (the `bicep-node` npm package downloads the Bicep binary); the
Bicep is parsed with the pure-Python `pycep-parser` (a test dependency), and what a review of
the template against Microsoft's resource specifications found (issue 16) is asserted on the
parse tree: dependencies, role assignments, allowed values, secure parameters, names.
"""

from __future__ import annotations

import json
import re
import shlex
from functools import cache
from pathlib import Path
from typing import Any

import pycep
import pytest
from pydantic import AliasChoices, SecretStr

from teams_bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
INFRA = REPO / "infra"
BICEP = (INFRA / "main.bicep").read_text(encoding="utf-8")
DOCKERFILE = (INFRA / "Dockerfile").read_text(encoding="utf-8")
README = (INFRA / "README.md").read_text(encoding="utf-8")

# The README's install step; the image must install the package exactly this way.
INSTALL_COMMAND = "pip install -c constraints.txt ."  # pinned, as the image installs

# Built-in role definition ids, as Microsoft's "Azure built-in roles" pages list them
# (Containers: AcrPull; Security: Key Vault Secrets User / Officer).
BUILT_IN_ROLES = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
}

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


@cache
def parsed(name: str = "main.bicep") -> dict[str, Any]:
    tree: dict[str, Any] = pycep.BicepParser().parse(text=(INFRA / name).read_text("utf-8"))
    return tree


def test_bicep_parses_and_the_parser_sees_the_same_settings() -> None:
    tree = parsed()
    variables = tree["variables"]
    seen = _env_entries(variables["plainSettings"]) | _env_entries(variables["secretSettings"])
    assert seen == set(bicep_env())
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
    if (REPO / "constraints.txt").is_file():  # pinned versions, when the repository has them
        assert installs == ["pip install -c constraints.txt ."]
        assert "!constraints.txt" in _ignore_rules(INFRA / "Dockerfile.dockerignore")
    else:
        assert installs == [INSTALL_COMMAND]


def test_readme_install_step_is_the_one_the_image_uses() -> None:
    readme = REPO / "README.md"
    if not readme.is_file():
        pytest.skip("README.md not written yet")
    assert INSTALL_COMMAND in readme.read_text(encoding="utf-8")
    assert INSTALL_COMMAND in (REPO / "infra" / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_is_slim_non_root_authenticated_and_health_checked() -> None:
    steps = _instructions(DOCKERFILE)
    ops = [op for op, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-9][.-]\S*slim\S*", steps[0][1])
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


def _ignore_rules(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_build_context_keeps_what_pip_install_needs() -> None:
    rules = _ignore_rules(INFRA / "Dockerfile.dockerignore")
    assert rules[0] == "*", "deny everything first, then allow what the install needs"
    for needed in ("!pyproject.toml", "!README.md", "!teams_bot/", "!cards/", "!dialogs/"):
        assert needed in rules, needed


def test_root_dockerignore_says_the_same_for_builders_that_read_only_it() -> None:
    root = REPO / ".dockerignore"
    assert root.is_file(), (
        "a root .dockerignore (the legacy builder ignores Dockerfile.dockerignore)"
    )
    assert _ignore_rules(root) == _ignore_rules(INFRA / "Dockerfile.dockerignore")


def test_base_image_is_pinned_by_exact_version_and_digest() -> None:
    base = _instructions(DOCKERFILE)[0][1]
    pinned = re.fullmatch(r"python:3\.11\.(\d+)-slim-(\w+)@sha256:([0-9a-f]{64})", base)
    assert pinned, f"FROM {base}: want python:3.11.<patch>-slim-<debian>@sha256:<digest>"
    assert "docker buildx imagetools inspect" in DOCKERFILE, "say how to move the pin on"


# --- issue 16: a review against Microsoft's resource specifications, asserted on the parse ---


def _body(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's body; a conditional one (`= if (...)`) nests it."""
    config: dict[str, Any] = resource["config"]
    return config["config"] if "condition" in config else config


def _read(node: Any) -> set[str]:
    """Symbols whose properties the node reads (`x.y`, or `${x.y}` in a string)."""
    if isinstance(node, str):
        return set(re.findall(r"\$\{(\w+)\.", node))
    operator = node.get("operator") if isinstance(node, dict) else None
    if isinstance(operator, dict) and operator.get("type") == "property_accessor":
        first = operator["operands"]["operand_1"]  # operand_2 is property names, not symbols
        return {first} if isinstance(first, str) else _read(first)
    items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return set().union(*(_read(item) for item in items)) if items else set()


def _needs(name: str) -> set[str]:
    """What a resource of main.bicep waits for: dependsOn, its parent, what it reads."""
    body = _body(parsed()["resources"][name])
    rest = {key: value for key, value in body.items() if key != "dependsOn"}
    return set(body.get("dependsOn", [])) | _read(rest) | {body.get("parent")} - {None}


def _role_assignments(tree: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Role assignment symbol -> (role definition id, body)."""
    found = {}
    for name, resource in tree["resources"].items():
        if resource["type"] == "Microsoft.Authorization/roleAssignments":
            body = _body(resource)
            role = body["properties"]["roleDefinitionId"]["function"]
            assert role["type"] == "subscription_resource_id", f"{name}: a built-in role"
            assert role["parameters"]["resource_type"] == "Microsoft.Authorization/roleDefinitions"
            found[name] = (tree["variables"][role["parameters"]["resource_name_1"]]["value"], body)
    return found


def _decorator(param: dict[str, Any], kind: str) -> Any:
    return next(d.get("argument") for d in param["decorators"] if d["type"] == kind)


def _section(heading: str) -> str:
    start = README.index(f"\n{heading}")
    level = heading.split(" ", 1)[0]
    ends = [README.find(f"\n{h} ", start + 1) for h in ("#" * n for n in range(2, len(level) + 1))]
    return README[start : min([e for e in ends if e > 0], default=len(README))]


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, re.S)


def _deploy_command() -> str:
    return next(block for block in _bash_blocks() if "az deployment group create" in block)


def test_1_the_identity_gets_acrpull_on_the_existing_registry_before_the_app_pulls() -> None:
    tree = parsed()
    assert "registryServer" not in tree["parameters"]
    assert tree["parameters"]["registryId"].get("default") is None, "the registry is required"
    module = tree["modules"]["acrPull"]
    assert (
        module["detail"]["path"] == "modules/acr-pull.bicep" and "condition" not in module["config"]
    )
    params = module["config"]["params"]
    assert _read(params["principalId"]) == {"identity"} and "principalId" in json.dumps(params)
    acr = parsed("modules/acr-pull.bicep")
    registry = acr["resources"]["registry"]
    assert registry["existing"] and registry["type"] == "Microsoft.ContainerRegistry/registries"
    granted = [(role, body["scope"]) for role, body in _role_assignments(acr).values()]
    assert granted == [(BUILT_IN_ROLES["AcrPull"], "registry")]
    assert _read(acr["outputs"]["loginServer"]["value"]) == {"registry"}
    app = _body(tree["resources"]["app"])["properties"]["configuration"]
    [pull] = app["registries"]
    assert _read(pull["server"]) == {"acrPull"} and _read(pull["identity"]) == {"identity"}
    assert "acrPull" in _needs("app"), "the app is created after the AcrPull assignment"


def test_2_operations_on_the_postgres_server_are_ordered() -> None:
    resources = parsed()["resources"]
    children = sorted(n for n, r in resources.items() if _body(r).get("parent") == "postgres")
    assert children == ["azureServices", "database"]
    assert "database" in _needs("azureServices") and "azureServices" not in _needs("database")


def test_3_single_tenant_by_default_managed_identity_recommended_multi_tenant_existing_only() -> (
    None
):
    param = parsed()["parameters"]["microsoftAppType"]
    assert param["default"] == "SingleTenant" == Settings.model_fields["microsoft_app_type"].default
    assert _decorator(param, "allowed") == ["SingleTenant", "UserAssignedMSI", "MultiTenant"]
    described = _decorator(param, "description")
    assert (
        "UserAssignedMSI (recommended" in described and "MultiTenant (only to redeploy" in described
    )
    tenant = _body(parsed()["resources"]["bot"])["properties"]["msaAppTenantId"]["operator"]
    assert tenant["operands"] == {
        "condition": "isMultiTenant",
        "true_value": None,
        "false_value": "microsoftAppTenantId",
    }, "every bot but a multi-tenant one names its tenant"
    assert "var isMultiTenant = microsoftAppType == 'MultiTenant'" in BICEP
    identity = _section("## 2.")
    assert "**Managed identity (recommended" in identity and "APP_TYPE=UserAssignedMSI" in identity
    assert "**Multi-tenant: existing bots only.**" in identity and "31 July 2025" in identity


def test_4_the_readme_names_the_deployer_roles_and_checks_them_before_deploying() -> None:
    roles = _section("## 0.")
    for role in ("Owner", "Contributor", "User Access Administrator", "Role Based Access Control"):
        assert role in roles, role
    blocks = _bash_blocks()
    check = next(i for i, b in enumerate(blocks) if "az role assignment list" in b)
    assert blocks.index(_deploy_command()) > check
    assert "grep -qx 'Owner'" in blocks[check] and "--include-groups" in blocks[check]


def test_5_the_vault_name_takes_a_suffix_and_the_readme_says_how_to_recover() -> None:
    tree = parsed()
    suffix = tree["parameters"]["vaultNameSuffix"]
    assert suffix["default"] == "" and _decorator(suffix, "max_length") == 6
    assert "vaultNameSuffix" in tree["variables"]["vaultName"]["value"]
    vault = _body(tree["resources"]["vault"])
    assert vault["name"] == "vaultName" and vault["properties"]["enablePurgeProtection"] is True
    longest = ("p" * 12 + "kv" + "u" * 13)[: 24 - 6] + "s" * 6
    assert len(longest) <= 24, "Key Vault names are at most 24 characters"
    recover = _section("### Redeploying into a recreated resource group")
    for needed in ("az keyvault recover", "vaultNameSuffix=", "purge protection", "90 days"):
        assert needed in recover, needed


def test_6_where_the_readme_offers_the_switch_it_says_the_bot_is_recreated() -> None:
    offer = _section("## 2.")
    assert "**Switching later needs a new bot.**" in offer
    assert "`msaAppId`, `msaAppType` and `msaAppTenantId` are set only" in offer
    assert 'az bot delete --resource-group "$RG" --name "$BOT_RESOURCE"' in _section("## 6.")


def test_7_the_deployer_may_write_secrets_and_the_app_only_read_them() -> None:
    assignments = _role_assignments(parsed())
    by_role = {role: body for role, body in assignments.values()}
    officer = by_role[BUILT_IN_ROLES["Key Vault Secrets Officer"]]
    assert officer["scope"] == "vault"
    assert officer["properties"]["principalId"] == "secretsOfficerPrincipalId"
    reader = by_role[BUILT_IN_ROLES["Key Vault Secrets User"]]
    assert reader["scope"] == "vault" and _read(reader["properties"]["principalId"]) == {"identity"}
    everywhere = set(by_role) | {
        r for r, _ in _role_assignments(parsed("modules/acr-pull.bicep")).values()
    }
    assert everywhere == set(BUILT_IN_ROLES.values())
    assert 'secretsOfficerPrincipalId="$ME"' in _deploy_command()
    blocks = _bash_blocks()
    secret_set = next(i for i, b in enumerate(blocks) if "az keyvault secret set" in b)
    assert secret_set > blocks.index(_deploy_command())


_ENV = {"HOME"}  # set by the shell


def test_8_readme_variables_are_defined_before_use_and_outputs_exist() -> None:
    defined = set(_ENV)
    for block in _bash_blocks():
        for line in block.splitlines():
            used = set(re.findall(r"\$\{?([A-Za-z_]\w*)", line))
            assert used <= defined, f"used before it is set: {sorted(used - defined)} in {line!r}"
            defined |= set(re.findall(r"^([A-Za-z_]\w*)=", line))
            defined |= set(re.findall(r"\bfor (\w+) in\b", line))
    outputs = set(parsed()["outputs"])
    read = re.findall(r"\$\(out (\w+)\)", README)
    assert read and set(read) <= outputs
    assert "MI_PRINCIPAL_ID=$(out identityPrincipalId)" in README


def test_8_readme_files_exist_or_are_created_first() -> None:
    created: set[str] = set()
    for block in _bash_blocks():
        for source, target in re.findall(r"\bcp (\S+) (\S+)", block):
            assert (REPO / source).is_file(), source
            created.add(target.strip('"'))
        pattern = (
            r"(?:--template-file |@|\bcat |-f )\"?([\w$./-]+\.(?:bicep|json|toml)|infra/Dockerfile)"
        )
        for path in re.findall(pattern, block):
            assert path in created or (REPO / path).is_file(), f"{path} does not exist"


def test_8_every_parameter_the_readme_passes_is_declared_and_placeholders_are_overridden() -> None:
    declared = set(parsed()["parameters"])
    passed = set(re.findall(r"\b([a-z][A-Za-z]+)=[\"'$]", _deploy_command()))
    mentioned = set(re.findall(r"`([a-z][A-Za-z]+)=", README))
    assert passed and passed | mentioned <= declared, sorted((passed | mentioned) - declared)
    example = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    for per_environment in ("image", "registryId", "microsoftAppId"):
        assert per_environment in passed, f"{per_environment} is a placeholder in the example"
    assert "registryServer" not in example


def test_9_web_test_kind_secure_parameters_lowercase_names_and_the_firewall_trade_off() -> None:
    tree = parsed()
    web_test = _body(tree["resources"]["healthTest"])
    assert "kind" not in web_test and web_test["properties"]["Kind"] == "standard"
    for name, param in tree["parameters"].items():
        if re.search(r"(Password|Secret|Toml)$", name):
            assert any(d["type"] == "secure" for d in param["decorators"]), f"{name}: @secure()"
    prefix = tree["variables"]["prefix"]["value"]["function"]
    assert prefix == {"type": "to_lower", "parameters": {"string_to_change": "namePrefix"}}
    assert len(re.findall(r"\bnamePrefix\b", BICEP)) == 2, "namePrefix is read only by var prefix"
    named = [_body(r)["name"] for r in [*tree["resources"].values(), *tree["modules"].values()]]
    for name in (n for n in named if isinstance(n, str) and "${prefix}" in n):
        literal = re.sub(r"\$\{\w+\}", "", name)
        assert literal == literal.lower(), name
    assert re.search(r"0\.0\.0\.0 admits clients running in ANY Azure tenant", BICEP)
    network = _section("### The database's network: a trade-off")
    assert "**any** Azure subscription" in network and "private" in network
