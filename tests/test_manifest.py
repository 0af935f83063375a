"""The Teams app package: template, icons, command menu, build, validation, and the CLI."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from teams_bot.app import command_registry
from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry, build_command
from teams_bot.manifest import (
    BuildError,
    BuildOptions,
    build_manifest,
    command_lists,
    find_schema,
    menu_commands,
    validate_package,
    write_package,
)
from teams_bot.manifest.commandlists import MAX_COMMANDS, MAX_DESCRIPTION, MAX_TITLE, SCOPES
from teams_bot.manifest.icons import icon_problems, read_png
from teams_bot.manifest.template import TemplateError, default_template_dir, fill, placeholders_left
from teams_bot.manifest.validate import BUNDLED_SCHEMA, SCHEMA_URL, schema_problems
from teams_bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = default_template_dir()
BOT_ID = "11111111-2222-3333-4444-555555555555"
NPM_SCHEMA = (
    REPO / "tests/js/node_modules/@microsoft/app-manifest/build/json-schemas/teams/v1.29"
    "/MicrosoftTeams.schema.json"
)


@pytest.fixture(autouse=True)
def _no_bot_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("Microsoft", "TEAMS_BOT_")):
            monkeypatch.delenv(name)


def schema_path() -> Path:
    """The schema every validation test uses: the one the installed package ships."""
    schema = find_schema()
    assert schema == BUNDLED_SCHEMA and schema.is_file()
    return schema


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_png(width: int, height: int, pixel: tuple[int, int, int, int]) -> bytes:
    """An 8-bit RGBA PNG of one colour (filter type 1 on every row, to exercise unfiltering)."""
    row = b"\x01" + bytes(pixel) + bytes(4 * (width - 1))  # Sub filter: later pixels repeat

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def registry_of(*specs: tuple[str, str, str, bool]) -> CommandRegistry:
    """A registry of (name, group, summary, hidden) commands."""
    registry = CommandRegistry()
    for name, group, summary, hidden in specs:

        async def func(ctx: CommandContext) -> Reply:
            return "ok"

        func.__doc__ = summary
        registry.add(build_command(func, name, permission="p", group=group, hidden=hidden))
    return registry


def build_zip(tmp_path: Path, **options: Any) -> Path:
    options.setdefault("domains", ("opsbot.example.com",))
    opts = BuildOptions(bot_id=BOT_ID, **options)
    manifest = build_manifest(settings(), opts, command_registry(), TEMPLATE_DIR)
    out = tmp_path / "app.zip"
    write_package(manifest, TEMPLATE_DIR, out)
    return out


def rewrite(package: Path, change: Any, **files: bytes) -> Path:
    """A copy of `package` with manifest.json changed by `change(manifest)` and files replaced."""
    with zipfile.ZipFile(package) as archive:
        contents = {i.filename: archive.read(i) for i in archive.infolist()}
    manifest = json.loads(contents["manifest.json"])
    change(manifest)
    contents["manifest.json"] = json.dumps(manifest).encode()
    contents.update({name.replace("_", "."): data for name, data in files.items()})
    out = package.with_name("changed.zip")
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return out


# --- template and icons ---


def test_template_is_v1_29_with_the_published_schema_url() -> None:
    template = json.loads((TEMPLATE_DIR / "manifest.json").read_text())
    assert template["manifestVersion"] == "1.29"
    assert template["$schema"] == SCHEMA_URL
    assert template["bots"][0]["scopes"] == ["team", "personal", "groupChat"]
    assert template["webApplicationInfo"] == {
        "id": "${{BOT_ID}}",
        "resource": "api://botid-${{BOT_ID}}",
    }
    names = {name for _, name in placeholders_left(template)}
    assert {
        "TEAMS_APP_ID",
        "BOT_ID",
        "APP_NAME_SHORT",
        "APP_DESCRIPTION_SHORT",
        "DEVELOPER_NAME",
        "VALID_DOMAINS",
        "COMMAND_LISTS",
    } <= names


def test_committed_icons_have_teams_sizes_and_the_outline_is_white_on_transparent() -> None:
    color = (TEMPLATE_DIR / "color.png").read_bytes()
    outline = (TEMPLATE_DIR / "outline.png").read_bytes()
    assert (read_png(color).width, read_png(color).height) == (192, 192)
    assert icon_problems(color, 192, outline=False) == []
    assert icon_problems(outline, 32, outline=True) == []


@pytest.mark.parametrize(
    ("data", "size", "expected"),
    [
        (make_png(32, 32, (255, 255, 255, 0)), 192, "is 32x32, must be 192x192"),
        (make_png(32, 32, (0, 0, 0, 255)), 32, "non-white pixels"),
        (make_png(32, 32, (255, 255, 255, 255)), 32, "no transparent pixels"),
        (b"GIF89a", 32, "not a PNG"),
    ],
)
def test_icon_problems_are_found(data: bytes, size: int, expected: str) -> None:
    problems = icon_problems(data, size, outline=True)
    assert any(expected in p for p in problems), problems


# --- placeholders ---


def test_fill_replaces_whole_values_and_text() -> None:
    filled = fill(
        {"a": "${{LIST}}", "b": "id-${{X}}", "c": [1, "${{ X }}"]}, {"LIST": [1], "X": "y"}
    )
    assert filled == {"a": [1], "b": "id-y", "c": [1, "y"]}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ({"a": ["x", "${{MISSING}}"]}, "$.a[1]: no value for placeholder ${{MISSING}}"),
        ({"a": "see ${{LIST}}"}, "$.a: placeholder ${{LIST}} inside text needs a text value"),
    ],
)
def test_fill_names_the_path_of_a_bad_placeholder(template: Any, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("$", r"\$").replace("[", r"\[")):
        fill(template, {"LIST": [1]})


# --- command menu ---


def test_menu_excludes_hidden_and_long_names_and_keeps_ten_in_a_fixed_order() -> None:
    specs = [(f"ops{i:02d}", "Ops", f"Ops command {i}.", False) for i in range(12)]
    specs += [
        ("secret", "General", "Hidden.", True),
        ("x" * (MAX_TITLE + 1), "General", "Too long a name.", False),
        ("whoami", "General", "Who am I.", False),
        ("help", "Zeta", "Help.", False),
        ("alpha beta", "Alpha", "Sub-command.", False),
        ("alpha", "Alpha", "Top level. " + "word " * 60, False),
    ]
    registry = registry_of(*specs)
    names = [c.name for c in menu_commands(registry)]
    assert names == ["help", "whoami", "alpha", "alpha beta"] + [f"ops{i:02d}" for i in range(6)]
    assert [c.name for c in menu_commands(registry_of(*reversed(specs)))] == names
    lists = command_lists(registry)
    assert [entry["scopes"] for entry in lists] == [[scope] for scope in SCOPES]
    alpha = lists[0]["commands"][2]
    assert len(alpha["description"]) == MAX_DESCRIPTION and alpha["description"].endswith("…")


def test_menu_matches_the_real_registry() -> None:
    visible = [c.name for c in command_registry().commands() if not c.hidden]
    titles = [c["title"] for c in command_lists(command_registry())[0]["commands"]]
    assert titles[0] == "help"
    assert len(titles) == min(MAX_COMMANDS, len(visible))
    assert set(titles) <= set(visible)
    if len(visible) <= MAX_COMMANDS:
        assert sorted(titles) == sorted(visible)


# --- build ---


def test_build_fills_every_placeholder_and_zips_manifest_and_icons_at_the_root(
    tmp_path: Path,
) -> None:
    package = build_zip(tmp_path, domains=("opsbot.example.com", "*.example.org"))
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
    assert list(placeholders_left(manifest)) == []
    assert manifest["id"] == manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["webApplicationInfo"]["resource"] == f"api://botid-{BOT_ID}"
    assert manifest["validDomains"] == ["opsbot.example.com", "*.example.org"]
    assert manifest["developer"]["websiteUrl"] == "https://opsbot.example.com/"
    assert manifest["bots"][0]["commandLists"] == command_lists(command_registry())


TENANT_ID = "99999999-8888-7777-6666-555555555555"


def test_build_takes_the_bot_id_from_microsoft_app_id() -> None:
    configured = settings(
        MicrosoftAppId=BOT_ID,
        MicrosoftAppTenantId=TENANT_ID,
        MicrosoftAppPassword="p",
        bot_name="ops",
        action_secret="s" * 32,
    )
    manifest = build_manifest(
        configured, BuildOptions(domains=("a.example.com",)), command_registry(), TEMPLATE_DIR
    )
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["name"]["short"] == "ops"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (BuildOptions(domains=("a.example.com",)), "MicrosoftAppId or pass --bot-id"),
        (BuildOptions(bot_id="bot", domains=("a.example.com",)), "not a GUID"),
        (BuildOptions(bot_id=BOT_ID), "--domain"),
        (BuildOptions(bot_id=BOT_ID, domains=("https://a.example.com/x",)), "not a host name"),
    ],
)
def test_build_refuses_missing_or_malformed_values(options: BuildOptions, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        build_manifest(settings(), options, command_registry(), TEMPLATE_DIR)


# --- validation ---


def test_built_package_is_valid_against_the_v1_29_schema(tmp_path: Path) -> None:
    assert validate_package(build_zip(tmp_path), schema_path()) == []


def test_schema_limits_are_no_looser_than_the_menu_limits() -> None:
    schema = json.loads(schema_path().read_text())
    commands = schema["properties"]["bots"]["items"]["properties"]["commandLists"]["items"][
        "properties"
    ]["commands"]
    assert MAX_COMMANDS <= commands["maxItems"]
    assert MAX_TITLE <= commands["items"]["properties"]["title"]["maxLength"]
    assert MAX_DESCRIPTION <= commands["items"]["properties"]["description"]["maxLength"]


def _set(path: list[Any], value: Any) -> Any:
    def change(manifest: Any) -> None:
        node = manifest
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "files", "expected"),
    [
        (_set(["bots", 0, "botId"], "not-a-guid"), {}, "$.bots[0].botId"),
        (
            _set(["name", "short"], "${{APP_NAME_SHORT}}"),
            {},
            "$.name.short: placeholder ${{APP_NAME_SHORT}} left unfilled",
        ),
        (_set(["manifestVersion"], "1.17"), {}, "$.manifestVersion"),
        (
            lambda m: None,
            {"color_png": make_png(96, 96, (1, 2, 3, 255))},
            "$.icons.color: color.png is 96x96, must be 192x192",
        ),
        (
            _set(["icons", "outline"], "missing.png"),
            {},
            "$.icons.outline: missing.png is not in the package",
        ),
        (
            _set(["bots", 0, "commandLists", 0, "commands"], [{"title": "t"}] * 11),
            {},
            "$.bots[0].commandLists[0].commands: 11 commands; Teams shows at most 10",
        ),
    ],
)
def test_validation_reports_each_problem_with_its_json_path(
    tmp_path: Path, change: Any, files: dict[str, bytes], expected: str
) -> None:
    broken = rewrite(build_zip(tmp_path), change, **files)
    problems = [str(p) for p in validate_package(broken, schema_path())]
    assert any(p.startswith(expected) for p in problems), problems


def test_validation_without_a_schema_is_a_problem_not_a_pass(tmp_path: Path) -> None:
    problems = validate_package(build_zip(tmp_path), None)
    assert [str(p) for p in problems] == [
        "$: schema validation did not run: no schema file: pass --schema PATH or set "
        "TEAMS_BOT_MANIFEST_SCHEMA"
    ]


def test_validation_of_something_that_is_not_a_package(tmp_path: Path) -> None:
    bogus = tmp_path / "app.zip"
    bogus.write_text("not a zip")
    assert "cannot read" in str(validate_package(bogus, None)[0])


def test_schema_problems_are_sorted_by_path() -> None:
    problems = schema_problems({"manifestVersion": "1.29", "id": "x"}, schema_path())
    assert [p.path for p in problems] == sorted(p.path for p in problems)
    assert any(p.path == "$.id" for p in problems)


# --- the command line, run as a user runs it ---


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "teams_bot.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_builds_then_validates(tmp_path: Path) -> None:
    env = {
        "MicrosoftAppId": BOT_ID,
        "MicrosoftAppTenantId": TENANT_ID,
        "MicrosoftAppPassword": "p",
        "TEAMS_BOT_ACTION_SECRET": "s" * 32,
        "TEAMS_BOT_MANIFEST_SCHEMA": str(schema_path()),
    }
    built = run_cli(
        "manifest",
        "build",
        "--out",
        "out/app.zip",
        "--domain",
        "bot.example.com",
        cwd=tmp_path,
        env=env,
    )
    assert built.returncode == 0, built.stderr
    assert "commands in the menu: help" in built.stdout
    checked = run_cli("manifest", "validate", "out/app.zip", cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stderr
    assert "valid" in checked.stdout


def test_cli_validate_fails_with_problems_and_build_fails_without_a_bot_id(tmp_path: Path) -> None:
    build_zip(tmp_path)
    checked = run_cli(
        "manifest", "validate", "--schema", str(tmp_path / "nope.json"), cwd=tmp_path, env={}
    )
    assert checked.returncode == 1
    assert "$: schema validation did not run: cannot read the schema" in checked.stderr
    built = run_cli("manifest", "build", "--domain", "bot.example.com", cwd=tmp_path, env={})
    assert built.returncode == 2
    assert "MicrosoftAppId or pass --bot-id" in built.stderr


# --- the schema's source, and the package as installed ---


def test_the_bundled_schema_is_the_pinned_npm_package_s_v1_29_file() -> None:
    if not NPM_SCHEMA.is_file():
        pytest.fail(
            "tests/js/node_modules has no @microsoft/app-manifest: run ./scripts/test (npm ci "
            "--prefix tests/js) to install the package the bundled schema is copied from"
        )
    assert BUNDLED_SCHEMA.read_bytes() == NPM_SCHEMA.read_bytes()
    lock = json.loads((REPO / "tests/js/package-lock.json").read_text())
    pinned = json.loads((REPO / "tests/js/package.json").read_text())["dependencies"]
    assert pinned["@microsoft/app-manifest"] == "1.1.2"
    assert lock["packages"]["node_modules/@microsoft/app-manifest"]["version"] == "1.1.2"
    assert json.loads(BUNDLED_SCHEMA.read_text())["properties"]["manifestVersion"]["const"] == (
        "1.29"
    )


def test_template_and_icons_live_inside_the_python_package() -> None:
    package_dir = Path(__import__("teams_bot").__file__).resolve().parent
    assert TEMPLATE_DIR == package_dir / "manifest" / "files"
    assert sorted(p.name for p in TEMPLATE_DIR.iterdir()) == [
        "color.png",
        "manifest.json",
        "outline.png",
    ]
    assert BUNDLED_SCHEMA.parent == package_dir / "manifest" / "schemas"


def run_standalone(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "teams_bot.manifest", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_build_needs_no_runtime_secrets_and_validate_no_schema_option(tmp_path: Path) -> None:
    # MicrosoftAppId alone: the runtime settings would refuse this (no password, action secret,
    # tenant id); the package needs only the bot id, its name and a domain.
    (tmp_path / ".env").write_text("TEAMS_BOT_BOT_NAME=ops\n")
    env = {"MicrosoftAppId": BOT_ID}
    built = run_standalone("build", "--domain", "bot.example.com", cwd=tmp_path, env=env)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["name"]["short"] == "ops"
    checked = run_standalone("validate", "app.zip", cwd=tmp_path, env={})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "app.zip: valid (the bundled v1.29 schema)"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", "app.zip"]


def _pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_installed_package_builds_and_validates_outside_the_checkout(tmp_path: Path) -> None:
    """`pip install .` (as a wheel, into a directory of its own), then `teams-bot manifest ...`
    run from an empty directory: template, icons and schema come from the installed files."""
    import os

    wheels, site, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(REPO))
    (wheel,) = wheels.glob("teams_chatops_bot-*.whl")
    _pip("install", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "TEAMS_BOT_"))}
    env = {**clean, "PYTHONPATH": str(site)}

    def teams_bot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, str(site / "bin" / "teams-bot"), *args]
        return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)

    where = subprocess.run(
        [sys.executable, "-c", "import teams_bot.manifest as m; print(m.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    built = teams_bot("manifest", "build", "--bot-id", BOT_ID, "--domain", "bot.example.com")
    assert built.returncode == 0, built.stderr
    assert "commands in the menu: help" in built.stdout
    checked = teams_bot("manifest", "validate", "app.zip")
    assert checked.returncode == 0, checked.stderr
    assert "valid (the bundled v1.29 schema)" in checked.stdout
    assert sorted(p.name for p in work.iterdir()) == ["app.zip"]
