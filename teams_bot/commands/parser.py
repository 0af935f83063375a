"""Chat text to tokens, and tokens to a command function's arguments.

Tokenizing: whitespace separates tokens. A quote (straight, or the curly double and single
quotes Teams clients insert) opens a quoted part at the start of a token or right after `=`
(`reason="two words"`); it closes at a matching quote that is followed by whitespace or the end
of the text, so apostrophes inside words (`don't`, also curly) stay literal. Inside quotes a
backslash escapes a quote or a backslash; elsewhere it is literal.

Binding: `--name value`, `--name=value` and `name=value` set any named parameter (dashes and
underscores are equivalent, names are case-insensitive); `--flag`, `--no-flag`, `--flag=false`
set booleans; other tokens fill positional parameters in order, then `*args`. A quoted token
and every token after `--` is always a value, so `"a=b"` passes a literal `a=b`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, NoReturn

from teams_bot.commands.durations import format_duration
from teams_bot.errors import UsageError

ParamKind = Literal["positional", "variadic", "option"]

# opening quote -> the quotes that may close it (Teams clients mix up curly quote directions)
_DOUBLE, _SINGLE = "\u201c\u201d", "\u2018\u2019"  # curly double, curly single
_CLOSERS: dict[str, str] = {
    '"': '"',
    "'": "'",
    **dict.fromkeys(_DOUBLE + "\u201e", _DOUBLE),  # and low-9
    **dict.fromkeys(_SINGLE + "\u201a", _SINGLE),  # and low-9
}
_INVISIBLE_SPACE = "\u200b\ufeff"
_NAMED = re.compile(r"([^\W\d][\w-]*)=(.*)", re.DOTALL)


@dataclass(frozen=True)
class Token:
    """One token; `quoted` if it began with a quote (then it is always a plain value)."""

    text: str
    quoted: bool = False


def _is_space(ch: str) -> bool:
    return ch.isspace() or ch in _INVISIBLE_SPACE


def scan(text: str) -> list[Token]:
    """Split chat text into tokens; raise UsageError for an unbalanced quote."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if _is_space(text[pos]):
            pos += 1
            continue
        token, pos = _read_token(text, pos)
        tokens.append(token)
    return tokens


def tokenize(text: str) -> list[str]:
    """The texts of `scan(text)`."""
    return [token.text for token in scan(text)]


def _read_token(text: str, start: int) -> tuple[Token, int]:
    pos = start
    while pos < len(text) and not _is_space(text[pos]):
        if text[pos] in _CLOSERS and (pos == start or text[pos - 1] == "="):
            inner, end = _read_quoted(text, pos)
            return Token(text[start:pos] + inner, quoted=pos == start), end
        pos += 1
    return Token(text[start:pos]), pos


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    closers = _CLOSERS[text[start]]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and pos + 1 < len(text) and text[pos + 1] in closers + "\\":
            out.append(text[pos + 1])
            pos += 2
            continue
        if ch in closers and (pos + 1 == len(text) or _is_space(text[pos + 1])):
            return "".join(out), pos + 1
        out.append(ch)
        pos += 1
    raise UsageError(
        f"Unbalanced quote: the {text[start]} before '{_clip(text[start + 1 :])}' is never closed."
    )


def quote_token(token: str) -> str:
    """Quote a token, if needed, so that tokenize() reads it back unchanged."""
    if token and not any(_is_space(ch) or ch in _CLOSERS or ch == "\\" for ch in token):
        return token
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def join_tokens(tokens: Sequence[str]) -> str:
    """The inverse of tokenize(): one line that tokenizes to `tokens`."""
    return " ".join(quote_token(token) for token in tokens)


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BadValue(ValueError):
    """Raised by a converter; `reason` completes "'<name>' ..." and `hint` follows it."""

    def __init__(self, reason: str, hint: str = "") -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(reason)


@dataclass(frozen=True)
class ParamSpec:
    """One command-line parameter, derived from a function parameter."""

    name: str  # the Python parameter name
    kind: ParamKind  # positional (may also be named), variadic (*args), option (keyword-only)
    type_name: str  # for people: text, whole number, number, flag, duration, choice
    required: bool
    default: object = None
    choices: tuple[str, ...] = ()
    help: str = ""
    convert: Callable[[str], object] = field(default=str, repr=False, compare=False)
    aliases: tuple[str, ...] = ()  # other names people may type for it
    takes_terms: bool = False  # variadic only: unknown `name=value` words are its items

    @property
    def display(self) -> str:
        """The name people type: `dry_run` -> `dry-run`, `for_` -> `for`."""
        return self.name.replace("_", "-").rstrip("-")

    @property
    def is_flag(self) -> bool:
        return self.type_name == "flag"


@dataclass(frozen=True)
class BoundArguments:
    """Converted arguments ready for the call, plus what the person actually typed."""

    args: tuple[object, ...]
    kwargs: dict[str, object]
    given: dict[str, object] = field(default_factory=dict)

    def for_audit(self) -> dict[str, object]:
        """Parameter name -> value as given (text; bool for flags; list for *args)."""
        return dict(self.given)


def bind(params: Sequence[ParamSpec], tokens: Sequence[Token], usage: str) -> BoundArguments:
    """Bind tokens to parameters; raise UsageError (with `usage`) on any mismatch."""
    binder = _Binder(params, usage)
    binder.feed(tokens)
    return binder.finish()


class _Binder:
    def __init__(self, params: Sequence[ParamSpec], usage: str) -> None:
        self.params = params
        self.usage = usage
        self.named = {
            key: p
            for p in params
            if p.kind != "variadic"
            for key in (_key(p.name), *(_key(a) for a in p.aliases))
        }
        self.variadic = next((p for p in params if p.kind == "variadic"), None)
        self.values: dict[str, object] = {}
        self.given: dict[str, object] = {}
        self.rest: list[object] = []
        self.rest_given: list[str] = []

    def fail(self, problem: str) -> NoReturn:
        raise UsageError(problem, self.usage)

    def feed(self, tokens: Sequence[Token]) -> None:
        pos, values_only = 0, False
        while pos < len(tokens):
            token = tokens[pos]
            pos += 1
            named = None if token.quoted or values_only else _NAMED.fullmatch(token.text)
            if token.quoted or values_only:
                self.positional(token.text)
            elif token.text == "--":
                values_only = True
            elif token.text.startswith("--") and len(token.text) > 2:
                pos = self.option(token.text[2:], tokens, pos)
            elif named and self.is_term(named.group(1)):
                self.positional(token.text)
            elif named:
                self.set(self.lookup(named.group(1), ""), named.group(2))
            else:
                self.positional(token.text)

    def option(self, body: str, tokens: Sequence[Token], pos: int) -> int:
        key, eq, value = body.partition("=")
        spec = self.named.get(_key(key))
        if spec is None and _key(key).startswith("no-"):
            negated = self.named.get(_key(key)[3:])
            if negated is not None and negated.is_flag and not eq:
                self.set(negated, "false")
                return pos
        spec = spec or self.lookup(key, "--")
        if eq or spec.is_flag:
            self.set(spec, value if eq else "true")
            return pos
        if pos >= len(tokens):
            self.fail(f"Option '--{spec.display}' needs a value.")
        self.set(spec, tokens[pos].text)
        return pos + 1

    def is_term(self, key: str) -> bool:
        """`team=payments` for a command whose words are filter terms, not options."""
        takes = self.variadic is not None and self.variadic.takes_terms
        return takes and _key(key) not in self.named

    def lookup(self, key: str, prefix: str) -> ParamSpec:
        spec = self.named.get(_key(key))
        if spec is not None:
            return spec
        hint = did_you_mean(prefix + _key(key), [prefix + p.display for p in self.named.values()])
        self.fail(f"Unknown option '{prefix}{_clip(key)}'." + (f" {hint}" if hint else ""))

    def set(self, spec: ParamSpec, raw: str) -> None:
        if spec.name in self.values:
            self.fail(f"'{spec.display}' given twice.")
        self.values[spec.name] = value = self.convert(spec, raw)
        self.given[spec.name] = value if spec.is_flag else raw

    def positional(self, raw: str) -> None:
        for spec in self.params:
            if spec.kind == "positional" and not spec.is_flag and spec.name not in self.values:
                self.set(spec, raw)
                return
        if self.variadic is None:
            self.fail(f"Too many arguments: I don't know what to do with '{_clip(raw)}'.")
        self.rest.append(self.convert(self.variadic, raw))
        self.rest_given.append(raw)

    def convert(self, spec: ParamSpec, raw: str) -> object:
        try:
            return spec.convert(raw)
        except BadValue as bad:
            hint = f" {bad.hint}" if bad.hint else ""
            self.fail(f"'{spec.display}' {bad.reason} (got '{_clip(raw)}').{hint}")

    def finish(self) -> BoundArguments:
        missing = [p.display for p in self.params if p.required and p.name not in self.values]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            self.fail(
                f"Missing required argument{plural} " + ", ".join(f"'{m}'" for m in missing) + "."
            )
        args = [self.values.get(p.name, p.default) for p in self.params if p.kind == "positional"]
        kwargs = {
            p.name: self.values.get(p.name, p.default) for p in self.params if p.kind == "option"
        }
        if self.variadic is not None and self.rest_given:
            self.given[self.variadic.name] = list(self.rest_given)
        return BoundArguments((*args, *self.rest), kwargs, self.given)


def _key(name: str) -> str:
    """`dry_run` -> `dry-run`; a trailing `_` (a Python keyword: `for_`) is not typed."""
    return name.lower().replace("_", "-").rstrip("-")


def _or_list(items: Sequence[str]) -> str:
    quoted = [f"'{item}'" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def similar(word: str, options: Sequence[str]) -> list[str]:
    """Options `word` abbreviates or extends (`prod`, `environment`), then close spellings."""
    word = word[:80].lower()
    prefixed = [
        o
        for o in options
        if min(len(word), len(o)) >= 3
        and (o.lower().startswith(word) or word.startswith(o.lower()))
    ]
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    return list(dict.fromkeys([*prefixed, *close]))[:3]


def did_you_mean(word: str, options: Sequence[str]) -> str:
    """`Did you mean 'x'?` for the options most like `word`, or ''."""
    found = similar(word, options)
    return f"Did you mean {_or_list(found)}?" if found else ""


def usage_line(name: str, params: Sequence[ParamSpec]) -> str:
    """E.g. `deploy <service> [env=dev|staging] [--dry-run] [--timeout=30m] [nodes...]`."""
    return " ".join([name, *(_usage_part(p) for p in params)])


def _usage_part(p: ParamSpec) -> str:
    if p.kind == "variadic":
        return f"[{p.display}...]"
    if p.is_flag:
        return f"[--{p.display}]"
    if p.choices:
        value = "|".join(p.choices)
    elif p.required or p.default is None:
        value = f"<{p.type_name}>"
    else:
        value = format_value(p.default)
    if p.kind == "positional" and p.required:
        return f"<{value}>" if p.choices else f"<{p.display}>"
    if p.kind == "positional" and not p.choices and p.default is None:
        return f"[{p.display}]"
    text = ("--" if p.kind == "option" else "") + f"{p.display}={value}"
    return text if p.required else f"[{text}]"


def format_value(value: object) -> str:
    """A default value spelled the way one would type it."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, bool):
        return str(value).lower()
    return quote_token(str(value))
