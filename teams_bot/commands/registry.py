"""Commands registered by decorator: the docstring is the help, the signature is the parser.

Built-ins and each feature module own a `CommandRegistry`; the app combines them with
`include()`. `resolve()` finds the command by the longest registered name prefix of the text
(`freeze on 2h` -> "freeze on") and binds the rest to the function's parameters.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
import types
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal, TypeVar

from teams_bot.commands.context import CommandContext, Reply
from teams_bot.commands.durations import DurationError, parse_duration
from teams_bot.commands.parser import (
    BadValue,
    BoundArguments,
    ParamKind,
    ParamSpec,
    Token,
    bind,
    did_you_mean,
    scan,
    usage_line,
)
from teams_bot.errors import UnknownCommandError, UsageError

__all__ = [
    "BoundArguments",
    "Command",
    "CommandFunc",
    "CommandRegistry",
    "ParamSpec",
    "build_command",
    "converter_for",
    "param_specs",
    "split_docstring",
]

CommandFunc = Callable[..., Awaitable[Reply]]
F = TypeVar("F", bound=CommandFunc)

_WORD = re.compile(r"[a-z][a-z0-9-]*")
_ARGS_HEADER = re.compile(r"(args|arguments|parameters):", re.IGNORECASE)
_ARG_LINE = re.compile(r"\s+\*{0,2}(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)")
_KINDS: dict[Any, ParamKind] = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.VAR_POSITIONAL: "variadic",
    inspect.Parameter.KEYWORD_ONLY: "option",
}


@dataclass(frozen=True)
class Command:
    """A registered command: what help shows, what the parser needs, and the function."""

    name: str
    summary: str
    help: str
    usage: str
    permission: str
    group: str
    examples: tuple[str, ...]
    hidden: bool
    params: tuple[ParamSpec, ...]
    func: CommandFunc = field(repr=False, compare=False)

    def bind(self, tokens: Sequence[Token]) -> BoundArguments:
        """Bind the argument tokens (those after the name); raise UsageError on a mismatch."""
        return bind(self.params, tokens, self.usage)


class CommandRegistry:
    """A set of commands; combine several with `include()`."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def command(
        self,
        name: str,
        *,
        permission: str,
        group: str = "General",
        examples: Sequence[str] = (),
        hidden: bool = False,
        aliases: Mapping[str, Sequence[str]] | None = None,
        terms: bool = False,
    ) -> Callable[[F], F]:
        """Register an async function as a command; raise TypeError if it cannot be one.

        `aliases` gives a parameter other names people may type (`{"env": ["environment"]}`);
        `terms` makes `name=value` words items of the *args (filters like `team=payments`).
        """

        def decorate(func: F) -> F:
            self.add(
                build_command(
                    func,
                    name,
                    permission=permission,
                    group=group,
                    examples=examples,
                    hidden=hidden,
                    aliases=aliases,
                    terms=terms,
                )
            )
            return func

        return decorate

    def add(self, command: Command) -> None:
        """Add a built Command; TypeError if the name is taken."""
        if command.name in self._commands:
            raise TypeError(f"command '{command.name}' is registered twice")
        self._commands[command.name] = command

    def include(self, other: CommandRegistry) -> None:
        """Add every command of `other` (as registered so far) to this registry."""
        for command in other.commands():
            self.add(command)

    def get(self, name: str) -> Command | None:
        return self._commands.get(" ".join(name.lower().split()))

    def commands(self) -> list[Command]:
        """All commands, hidden ones included, sorted by name."""
        return sorted(self._commands.values(), key=lambda c: c.name)

    def visible_to(self, permitted: Callable[[str], bool]) -> list[Command]:
        """Commands to list in help for someone: not hidden, and `permitted(permission)`."""
        return [c for c in self.commands() if not c.hidden and permitted(c.permission)]

    def knows(self, text: str) -> bool:
        """True if `text` starts with a registered command word (cheap; no argument parsing)."""
        words = text.strip().lstrip("/").split(maxsplit=1)
        return bool(words) and any(name.split()[0] == words[0].lower() for name in self._commands)

    def resolve(self, text: str) -> tuple[Command, BoundArguments]:
        """Find the command named at the start of `text` and bind the rest to it."""
        tokens = scan(text)
        if tokens and tokens[0].text.startswith("/") and len(tokens[0].text) > 1:
            tokens[0] = Token(tokens[0].text[1:], tokens[0].quoted)
        if not tokens:
            raise UsageError("No command given. Type 'help' to see what I can do.")
        words = [t.text.lower() for t in tokens[: self._depth()]]
        for size in range(len(words), 0, -1):
            command = self._commands.get(" ".join(words[:size]))
            if command is not None:
                return command, command.bind(tokens[size:])
        raise self._unknown(words)

    async def invoke(self, command: Command, ctx: CommandContext, bound: BoundArguments) -> Reply:
        """Call the command function with the bound arguments."""
        return await command.func(ctx, *bound.args, **bound.kwargs)

    def _depth(self) -> int:
        return max((c.name.count(" ") + 1 for c in self._commands.values()), default=1)

    def _visible_names(self) -> list[str]:
        return [c.name for c in self.commands() if not c.hidden]

    def _unknown(self, words: list[str]) -> Exception:
        """The error for words that name no command: a group's sub-command list or a guess."""
        names = self._visible_names()
        for size in range(len(words), 0, -1):
            group = " ".join(words[:size])
            children = [n for n in names if n.startswith(group + " ")]
            if not children:
                continue
            if size == len(words):
                subs = ", ".join(children)
                usages = "\n".join(self._commands[n].usage for n in children)
                return UsageError(f"'{group}' needs a sub-command: {subs}.", usages)
            wrong = " ".join(words[: size + 1])
            return UnknownCommandError(_clip(wrong), _closest(wrong, children) or children)
        return UnknownCommandError(_clip(words[0]), _closest_prefix(words, names))


def build_command(
    func: CommandFunc,
    name: str,
    *,
    permission: str,
    group: str = "General",
    examples: Sequence[str] = (),
    hidden: bool = False,
    aliases: Mapping[str, Sequence[str]] | None = None,
    terms: bool = False,
) -> Command:
    """Make a Command from a function; raise TypeError for anything a command can't be."""
    where = getattr(func, "__qualname__", repr(func))
    name = " ".join(name.lower().split())
    if not name or not all(_WORD.fullmatch(word) for word in name.split()):
        raise TypeError(f"{where}: bad command name {name!r} (words of a-z, 0-9 and -)")
    if not permission:
        raise TypeError(f"{where}: a command needs a permission")
    if not inspect.iscoroutinefunction(func):
        raise TypeError(f"{where}: a command must be an async function")
    doc = inspect.getdoc(func)
    if not doc or not doc.strip():
        raise TypeError(f"{where}: a command needs a docstring (its help text)")
    summary, long_help, arg_help = split_docstring(doc)
    named = aliases or {}
    params = tuple(
        replace(
            p,
            help=arg_help.get(p.name, ""),
            aliases=tuple(named.get(p.name, ())),
            takes_terms=terms and p.kind == "variadic",
        )
        for p in param_specs(func)
    )
    unknown = set(named) - {p.name for p in params}
    if unknown:
        raise TypeError(f"{where}: aliases for unknown parameter(s) {sorted(unknown)}")
    command = Command(
        name,
        summary,
        long_help,
        usage_line(name, params),
        permission,
        group,
        tuple(examples),
        hidden,
        params,
        func,
    )
    for example in examples:
        _check_example(command, example)
    return command


def param_specs(func: CommandFunc) -> tuple[ParamSpec, ...]:
    """Parameter specs from the signature; the first parameter is the CommandContext."""
    where = getattr(func, "__qualname__", repr(func))
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:  # NameError and friends from string annotations
        raise TypeError(f"{where}: cannot resolve annotations: {exc}") from exc
    params = list(inspect.signature(func).parameters.values())
    if not params or _KINDS.get(params[0].kind) != "positional":
        raise TypeError(f"{where}: the first parameter must be the CommandContext")
    specs = tuple(_spec(where, p, hints) for p in params[1:])
    keys = [s.display.lower() for s in specs]
    if len(set(keys)) != len(keys):
        raise TypeError(f"{where}: parameter names clash when case and _/- are ignored")
    return specs


def _spec(where: str, param: inspect.Parameter, hints: dict[str, Any]) -> ParamSpec:
    kind = _KINDS.get(param.kind)
    if kind is None:
        raise TypeError(f"{where}: **{param.name} is not supported")
    if param.name not in hints:
        raise TypeError(f"{where}: parameter '{param.name}' needs a type annotation")
    try:
        type_name, convert, choices = converter_for(hints[param.name])
    except TypeError as exc:
        raise TypeError(f"{where}: parameter '{param.name}': {exc}") from None
    required = param.default is inspect.Parameter.empty and kind != "variadic"
    if type_name == "flag" and (kind == "variadic" or not isinstance(param.default, bool)):
        raise TypeError(
            f"{where}: bool parameter '{param.name}' is a --flag; "
            "give it a default of True or False"
        )
    default = None if param.default is inspect.Parameter.empty else param.default
    if choices and default is not None and str(default) not in choices:
        raise TypeError(f"{where}: default of '{param.name}' is not one of its choices")
    return ParamSpec(param.name, kind, type_name, required, default, choices, "", convert)


def split_docstring(doc: str) -> tuple[str, str, dict[str, str]]:
    """(summary, long help, {parameter: help}) from a docstring with an optional Args: section."""
    lines = doc.strip().splitlines()
    body: list[str] = []
    arg_help: dict[str, str] = {}
    current: str | None = None
    in_args = False
    for line in lines[1:]:
        if _ARGS_HEADER.fullmatch(line.strip()):
            in_args, current = True, None
            continue
        match = _ARG_LINE.fullmatch(line) if in_args else None
        if match:
            current = match.group(1)
            arg_help[current] = match.group(2).strip()
        elif in_args and current and line.startswith((" ", "\t")) and line.strip():
            arg_help[current] += " " + line.strip()
        elif not (in_args and not line.strip()):
            in_args = False
            body.append(line)
    return lines[0].strip(), "\n".join(body).strip(), arg_help


def _check_example(command: Command, example: str) -> None:
    tokens = scan(example)
    words = command.name.split()
    if [t.text.lower() for t in tokens[: len(words)]] != words:
        raise TypeError(f"example {example!r} does not start with '{command.name}'")
    try:
        command.bind(tokens[len(words) :])
    except UsageError as exc:
        raise TypeError(f"example {example!r} of '{command.name}': {exc.problem}") from None


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _closest(word: str, names: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word[:80], names, n=4, cutoff=0.6)


def _closest_prefix(words: Sequence[str], names: Sequence[str]) -> list[str]:
    """Names most like the same number of leading words (so `frezee on` finds `freeze on`)."""
    candidates = set(names) | {n.split()[0] for n in names}
    scored: list[tuple[float, str]] = []
    for name in candidates:
        typed = " ".join(words[: name.count(" ") + 1])[:80]
        ratio = difflib.SequenceMatcher(None, typed, name).ratio()
        if ratio >= 0.6:
            scored.append((ratio, name))
    return [name for _, name in sorted(scored, key=lambda s: (-s[0], s[1]))[:4]]


# --- annotations -> (type name, converter, choices) ---

Converter = Callable[[str], object]
_INT = re.compile(r"[+-]?[0-9]{1,30}")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _to_int(raw: str) -> int:
    if not _INT.fullmatch(raw.strip()):
        raise BadValue("must be a whole number")
    return int(raw)


def _to_float(raw: str) -> float:
    try:
        value = float(raw) if len(raw) <= 60 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise BadValue("must be a number")
    return value


def _to_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise BadValue("must be true or false")


def _to_duration(raw: str) -> timedelta:
    try:
        return parse_duration(raw)
    except DurationError as exc:
        raise BadValue(exc.reason) from None


def _choice_converter(values: tuple[Any, ...]) -> Converter:
    by_text = {str(v): v for v in values}
    folded = {text.casefold(): v for text, v in by_text.items()}
    listing = ", ".join(by_text)

    def convert(raw: str) -> object:
        if raw in by_text:
            return by_text[raw]
        if raw.casefold() in folded:
            return folded[raw.casefold()]
        raise BadValue(f"must be one of {listing}", did_you_mean(raw, list(by_text)))

    return convert


_SCALARS: dict[object, tuple[str, Converter]] = {
    str: ("text", str),
    int: ("whole number", _to_int),
    float: ("number", _to_float),
    bool: ("flag", _to_bool),
    timedelta: ("duration", _to_duration),
}


def converter_for(annotation: object) -> tuple[str, Converter, tuple[str, ...]]:
    """(type name, converter, choices) for a supported annotation; TypeError otherwise."""
    inner = _strip_optional(annotation)
    if inner in _SCALARS:
        name, convert = _SCALARS[inner]
        return name, convert, ()
    if typing.get_origin(inner) is Literal:
        values = typing.get_args(inner)
        if values and all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
            return "choice", _choice_converter(values), tuple(str(v) for v in values)
    raise TypeError(
        f"unsupported parameter type {annotation!r}: use str, int, float, bool, "
        "timedelta, Literal[...] of str/int, or Optional of one of those"
    )


def _strip_optional(annotation: object) -> object:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation
