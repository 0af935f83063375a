"""Argv templates: literal elements and whole-element placeholders, never a shell.

`{name}` becomes exactly one argv element holding the value; `{name*}` splices a list of
values as that many elements (possibly none). Values are never split, globbed or interpreted.
Any other use of braces is a template error, and the executable (element 0) must be literal.

Parameter templates do the same for pipeline runners: each remote parameter is a literal or a
whole `{name}` placeholder, and its value travels as one JSON string (or form field).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from teams_bot.automation.errors import ArgumentError, TemplateError

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\*?)\}")
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Fixed:
    text: str


@dataclass(frozen=True)
class Placeholder:
    name: str
    splice: bool


Element = Fixed | Placeholder


@dataclass(frozen=True)
class ArgvTemplate:
    elements: tuple[Element, ...]

    @classmethod
    def parse(cls, argv: Sequence[str]) -> ArgvTemplate:
        if isinstance(argv, str) or not argv:
            raise TemplateError("must be a non-empty list of strings")
        elements = tuple(_element(index, item) for index, item in enumerate(argv))
        first = elements[0]
        if not isinstance(first, Fixed) or not first.text:
            raise TemplateError("element 0 (the executable) must be a literal, non-empty string")
        return cls(elements)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(e.name for e in self.elements if isinstance(e, Placeholder))

    def render(self, arguments: Mapping[str, str | Sequence[str]]) -> list[str]:
        """Substitute values; extra arguments are ignored (the config decides what it uses)."""
        argv: list[str] = []
        for element in self.elements:
            if isinstance(element, Fixed):
                argv.append(element.text)
            else:
                argv.extend(_values(element, arguments))
        return argv


@dataclass(frozen=True)
class ParameterTemplate:
    """Remote parameter name -> literal text or one whole `{name}` placeholder."""

    items: tuple[tuple[str, Element], ...]

    @classmethod
    def parse(cls, parameters: Mapping[str, object]) -> ParameterTemplate:
        items: list[tuple[str, Element]] = []
        for name, value in parameters.items():
            if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
                raise TemplateError(
                    f"parameter name {name!r} must be letters, digits, '_', '-' or '.'"
                )
            element = _element(0, value, what=f"parameter {name!r}")
            if isinstance(element, Placeholder) and element.splice:
                raise TemplateError(f"parameter {name!r}: lists ('{{name*}}') are not allowed")
            items.append((name, element))
        return cls(tuple(items))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(e.name for _, e in self.items if isinstance(e, Placeholder))

    def render(self, arguments: Mapping[str, str | Sequence[str]]) -> dict[str, str]:
        rendered: dict[str, str] = {}
        for name, element in self.items:
            if isinstance(element, Fixed):
                rendered[name] = element.text
            else:
                rendered[name] = _values(element, arguments)[0]
        return rendered


def _element(index: int, item: object, what: str = "") -> Element:
    what = what or f"element {index}"
    if not isinstance(item, str):
        raise TemplateError(f"{what} must be a string, not {type(item).__name__}")
    if "\0" in item:
        raise TemplateError(f"{what} contains a NUL byte")
    match = _PLACEHOLDER.fullmatch(item)
    if match:
        return Placeholder(match.group(1), splice=bool(match.group(2)))
    if "{" in item or "}" in item:
        raise TemplateError(
            f"{what} ({item[:60]!r}): braces are only allowed as a whole-element "
            "placeholder like '{node}' or '{nodes*}'"
        )
    return Fixed(item)


def _values(element: Placeholder, arguments: Mapping[str, str | Sequence[str]]) -> list[str]:
    if element.name not in arguments:
        raise ArgumentError(f"Missing a value for '{element.name}'.")
    value = arguments[element.name]
    if element.splice:
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ArgumentError(f"'{element.name}' must be a list of strings.")
        values = list(value)
    else:
        if not isinstance(value, str):
            raise ArgumentError(f"'{element.name}' must be a single string.")
        values = [value]
    for value in values:
        _check_passable(element.name, value)
    return values


def _check_passable(name: str, value: str) -> None:
    if "\0" in value:
        raise ArgumentError(f"The value for '{name}' contains a NUL byte; refused.")
    try:
        os.fsencode(value)
    except UnicodeError:
        raise ArgumentError(
            f"The value for '{name}' has characters that cannot be passed to a program."
        ) from None
