"""Registration rules, resolving names and sub-commands, invoking, combining, help text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import pytest

from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.helptext import render_command, render_index
from teams_bot.commands.registry import Command, CommandRegistry, split_docstring
from teams_bot.errors import CommandError, UnknownCommandError, UsageError
from teams_bot.identity import Caller, Where


def make_registry() -> CommandRegistry:
    registry = CommandRegistry()

    @registry.command("deploy", permission="deploy.run", group="Deploy",
                      examples=["deploy web version=1.2.3 env=production"])
    async def deploy(ctx: CommandContext, service: str, version: str,
                     env: Literal["dev", "staging", "production"] = "dev",
                     *, dry_run: bool = False,
                     timeout: timedelta = timedelta(minutes=30)) -> Reply:  # noqa: ASYNC109
        """Deploy a service version to an environment.

        Runs the deploy pipeline and reports progress in this thread.

        Args:
            service: The service to deploy,
                as named in the catalogue.
            env: Where to deploy.
        """
        return f"{ctx.caller.display_name}: {service} {version} {env} {dry_run} {timeout}"

    @registry.command("freeze on", permission="freeze.set", group="Change freeze")
    async def freeze_on(ctx: CommandContext, duration: timedelta, *reason: str) -> Reply:
        """Start a change freeze."""
        return CardReply({"type": "AdaptiveCard"}, f"frozen for {duration}: {' '.join(reason)}")

    @registry.command("freeze off", permission="freeze.set", group="Change freeze")
    async def freeze_off(ctx: CommandContext) -> Reply:
        """End the change freeze."""
        return "thawed"

    @registry.command("debug dump", permission="admin", hidden=True)
    async def debug_dump(ctx: CommandContext) -> Reply:
        """Dump internals."""
        return "dump"

    return registry


@pytest.fixture
def registry() -> CommandRegistry:
    return make_registry()


@pytest.fixture
def ctx() -> CommandContext:
    return CommandContext(Caller("oid-1", "tenant-1", "Ada"), Where("conv-1"), "corr-1")


# --- resolving ---


def test_longest_name_prefix_wins(registry: CommandRegistry) -> None:
    @registry.command("freeze", permission="freeze.show")
    async def freeze(ctx: CommandContext, *words: str) -> Reply:
        """Show the freeze."""
        return "status"

    assert registry.resolve("freeze on 2h")[0].name == "freeze on"
    assert registry.resolve("Freeze  ON 2h")[0].name == "freeze on"
    command, bound = registry.resolve("freeze status now")
    assert command.name == "freeze"
    assert bound.args == ("status", "now")


def test_sub_command_arguments(registry: CommandRegistry) -> None:
    command, bound = registry.resolve("freeze on 2h \u201cdon\u2019t deploy\u201d today")
    assert command.name == "freeze on"
    assert bound.args == (timedelta(hours=2), "don\u2019t deploy", "today")


def test_bare_group_lists_its_sub_commands(registry: CommandRegistry) -> None:
    with pytest.raises(UsageError) as info:
        registry.resolve("freeze")
    assert info.value.problem == "'freeze' needs a sub-command: freeze off, freeze on."
    assert info.value.usage == "freeze off\nfreeze on <duration> [reason...]"


@pytest.mark.parametrize(
    ("text", "name", "suggestions"),
    [
        ("freeze of", "freeze of", ["freeze off", "freeze on"]),
        ("freeze xyzzy 2h", "freeze xyzzy", ["freeze on", "freeze off"]),
        ("freeze qqqqqqqqqqqqqqq", "freeze qqqqqqqqqqqqqqq", ["freeze off", "freeze on"]),
        ("deplyo web", "deplyo", ["deploy"]),
        ("frezee on 2h", "frezee", ["freeze on"]),
        ("launch rockets", "launch", []),
        ("debug", "debug", []),  # the hidden command's group stays hidden
    ],
)
def test_unknown_commands(registry: CommandRegistry, text: str, name: str,
                          suggestions: list[str]) -> None:
    with pytest.raises(UnknownCommandError) as info:
        registry.resolve(text)
    assert info.value.name == name
    assert info.value.suggestions[: len(suggestions)] == suggestions
    assert "debug dump" not in info.value.suggestions


def test_hidden_commands_still_resolve(registry: CommandRegistry) -> None:
    assert registry.resolve("debug dump")[0].name == "debug dump"


@pytest.mark.parametrize("text", ["", "   ", "/"])
def test_empty_text_is_a_usage_error(registry: CommandRegistry, text: str) -> None:
    with pytest.raises(CommandError):
        registry.resolve(text)


def test_unknown_name_is_clipped(registry: CommandRegistry) -> None:
    with pytest.raises(UnknownCommandError) as info:
        registry.resolve("x" * 1000)
    assert len(info.value.name) <= 60


# --- invoking ---


async def test_invoke_passes_bound_arguments(registry: CommandRegistry,
                                             ctx: CommandContext) -> None:
    command, bound = registry.resolve("deploy web 1.2.3 --dry-run --timeout 1h")
    reply = await registry.invoke(command, ctx, bound)
    assert reply == "Ada: web 1.2.3 dev True 1:00:00"


async def test_invoke_variadic_and_card_reply(registry: CommandRegistry,
                                              ctx: CommandContext) -> None:
    command, bound = registry.resolve("freeze on 90 release day")
    reply = await registry.invoke(command, ctx, bound)
    assert isinstance(reply, CardReply)
    assert reply.summary == "frozen for 1:30:00: release day"


# --- the Command object ---


def test_command_metadata(registry: CommandRegistry) -> None:
    command = registry.get("deploy")
    assert isinstance(command, Command)
    assert command.summary == "Deploy a service version to an environment."
    assert command.help == "Runs the deploy pipeline and reports progress in this thread."
    assert command.usage == (
        "deploy <service> <version> [env=dev|staging|production] [--dry-run] [--timeout=30m]"
    )
    assert (command.permission, command.group, command.hidden) == ("deploy.run", "Deploy", False)
    assert command.examples == ("deploy web version=1.2.3 env=production",)
    params = {p.name: p for p in command.params}
    assert [p.kind for p in command.params] == ["positional"] * 3 + ["option"] * 2
    assert params["service"].help == "The service to deploy, as named in the catalogue."
    assert params["env"].choices == ("dev", "staging", "production")
    assert params["env"].default == "dev"
    assert params["timeout"].type_name == "duration"
    assert params["dry_run"].is_flag
    assert params["service"].required and not params["env"].required
    with pytest.raises(AttributeError):
        command.name = "other"  # type: ignore[misc]


def test_usage_line_shapes() -> None:
    registry = CommandRegistry()

    @registry.command("x", permission="p")
    async def x(ctx: CommandContext, mode: Literal["a", "b"], region: str = "west eu",
                note: str | None = None, *items: int, ticket: str,
                limit: int | None = None) -> Reply:
        """X."""
        return ""

    assert registry.get("x") is not None
    assert registry.get("x").usage == (  # type: ignore[union-attr]
        'x <a|b> [region="west eu"] [note] [items...] --ticket=<text> [--limit=<whole number>]'
    )


def test_get_commands_and_visible_to(registry: CommandRegistry) -> None:
    assert registry.get("FREEZE   on") is registry.get("freeze on")
    assert registry.get("nope") is None
    assert [c.name for c in registry.commands()] == [
        "debug dump", "deploy", "freeze off", "freeze on"]
    allowed = {"freeze.set", "admin"}
    assert [c.name for c in registry.visible_to(allowed.__contains__)] == [
        "freeze off", "freeze on"]


def test_include_combines_registries(registry: CommandRegistry) -> None:
    root = CommandRegistry()

    @root.command("help", permission="help")
    async def help_(ctx: CommandContext, *topic: str) -> Reply:
        """Show help."""
        return "help"

    root.include(registry)
    assert [c.name for c in root.commands()] == [
        "debug dump", "deploy", "freeze off", "freeze on", "help"]
    assert root.resolve("freeze on 1h")[0] is registry.get("freeze on")
    with pytest.raises(TypeError, match="registered twice"):
        root.include(make_registry())


# --- registration errors ---


async def _plain(ctx: CommandContext) -> Reply:
    """Plain."""
    return ""


def register(func: Any, name: str = "thing", **options: Any) -> Command:
    registry = CommandRegistry()
    registry.command(name, permission="p", **options)(func)
    command = registry.get(name)
    assert command is not None
    return command


def test_duplicate_names_are_rejected() -> None:
    registry = CommandRegistry()
    registry.command("a", permission="p")(_plain)
    with pytest.raises(TypeError, match="registered twice"):
        registry.command("A", permission="q")(_plain)


@pytest.mark.parametrize("name", ["", "two  ", "bad_name", "9lives", "deploy!", "a /b"])
def test_bad_names_are_rejected(name: str) -> None:
    if name.strip() == "two":
        assert register(_plain, name).name == "two"
        return
    with pytest.raises(TypeError, match="bad command name"):
        register(_plain, name)


def test_missing_docstring_is_rejected() -> None:
    async def nodoc(ctx: CommandContext) -> Reply:
        return ""

    with pytest.raises(TypeError, match="docstring"):
        register(nodoc)


def test_sync_function_is_rejected() -> None:
    def sync(ctx: CommandContext) -> Reply:
        """Sync."""
        return ""

    with pytest.raises(TypeError, match="async"):
        register(sync)


def test_empty_permission_is_rejected() -> None:
    with pytest.raises(TypeError, match="permission"):
        CommandRegistry().command("a", permission="")(_plain)


async def _no_ctx() -> Reply:
    """No context."""
    return ""


async def _kw_ctx(*, ctx: CommandContext) -> Reply:
    """Keyword context."""
    return ""


async def _unannotated(ctx: CommandContext, x) -> Reply:  # type: ignore[no-untyped-def]
    """Unannotated."""
    return ""


async def _list_param(ctx: CommandContext, x: list[str]) -> Reply:
    """List."""
    return ""


async def _union_param(ctx: CommandContext, x: int | str) -> Reply:
    """Union."""
    return ""


async def _float_literal(ctx: CommandContext, x: Literal[1.5]) -> Reply:  # type: ignore[valid-type]
    """Float literal."""
    return ""


async def _bool_no_default(ctx: CommandContext, x: bool) -> Reply:
    """Bool without default."""
    return ""


async def _bool_variadic(ctx: CommandContext, *x: bool) -> Reply:
    """Bool variadic."""
    return ""


async def _var_keyword(ctx: CommandContext, **x: str) -> Reply:
    """Var keyword."""
    return ""


async def _bad_forward_ref(ctx: CommandContext, x: NoSuchType) -> Reply:  # type: ignore[name-defined]  # noqa: F821
    """Unresolvable annotation."""
    return ""


async def _bad_choice_default(ctx: CommandContext, x: Literal["a", "b"] = "c") -> Reply:  # type: ignore[assignment]
    """Default outside the choices."""
    return ""


async def _clashing(ctx: CommandContext, dry_run: str, *, DRY_RUN: str = "") -> Reply:
    """Clashing names."""
    return ""


@pytest.mark.parametrize(
    ("func", "message"),
    [
        (_no_ctx, "first parameter"),
        (_kw_ctx, "first parameter"),
        (_unannotated, "needs a type annotation"),
        (_list_param, "unsupported parameter type"),
        (_union_param, "unsupported parameter type"),
        (_float_literal, "unsupported parameter type"),
        (_bool_no_default, "--flag"),
        (_bool_variadic, "--flag"),
        (_var_keyword, r"\*\*x"),
        (_bad_forward_ref, "cannot resolve annotations"),
        (_clashing, "clash"),
        (_bad_choice_default, "not one of its choices"),
    ],
)
def test_unsupported_signatures_are_rejected(func: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        register(func)


@pytest.mark.parametrize(
    ("example", "message"),
    [("deploy web", "does not start"), ("thing --nope", "Unknown option"),
     ("thing a b", "Too many")],
)
def test_examples_must_parse(example: str, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        register(_plain, examples=[example])


def test_split_docstring() -> None:
    doc = "Summary line.\n\nBody one.\n\nArguments:\n    x (int): The x.\n    *rest: More\n"
    doc += "        of it.\n\nAfter."
    assert split_docstring(doc) == ("Summary line.", "Body one.\n\nAfter.",
                                    {"x": "The x.", "rest": "More of it."})
    assert split_docstring("Only a summary.") == ("Only a summary.", "", {})


# --- help text ---


def test_render_index_groups_and_sorts(registry: CommandRegistry) -> None:
    text = render_index(registry.visible_to(lambda permission: True))
    assert text == (
        "**Change freeze**\n\n"
        "- `freeze off` — End the change freeze.\n"
        "- `freeze on` — Start a change freeze.\n\n"
        "**Deploy**\n\n"
        "- `deploy` — Deploy a service version to an environment.\n\n"
        "Type `help <command>` for details."
    )
    assert "debug" not in text


def test_render_index_puts_general_first_and_handles_empty(registry: CommandRegistry) -> None:
    registry.command("zzz", permission="p")(_plain)
    assert render_index(registry.commands()).startswith("**General**")
    assert render_index([]) == "There are no commands you can use here."


def test_render_command(registry: CommandRegistry) -> None:
    command = registry.get("deploy")
    assert command is not None
    assert render_command(command) == (
        "**deploy** — Deploy a service version to an environment.\n\n"
        "Usage: `deploy <service> <version> [env=dev|staging|production] [--dry-run] "
        "[--timeout=30m]`\n\n"
        "Runs the deploy pipeline and reports progress in this thread.\n\n"
        "**Arguments**\n\n"
        "- `service` (text; required): The service to deploy, as named in the catalogue.\n"
        "- `version` (text; required)\n"
        "- `env` (one of dev, staging, production; default dev): Where to deploy.\n"
        "- `--dry-run` (flag)\n"
        "- `--timeout` (duration; default 30m)\n\n"
        "**Examples**\n\n"
        "- `deploy web version=1.2.3 env=production`"
    )


def test_render_command_minimal_and_variadic(registry: CommandRegistry) -> None:
    off = registry.get("freeze off")
    on = registry.get("freeze on")
    assert off is not None and on is not None
    assert render_command(off) == "**freeze off** — End the change freeze.\n\nUsage: `freeze off`"
    assert "- `reason...` (text; any number)" in render_command(on)


def test_knows_recognises_command_words_only() -> None:
    from teams_bot.app import command_registry

    registry = command_registry()
    assert registry.knows("help me") and registry.knows("/nodes failed")
    assert registry.knows("APPROVE x")
    assert not registry.knows("because prod is down") and not registry.knows("")
