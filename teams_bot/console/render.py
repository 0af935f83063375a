"""Adaptive Cards and markdown as readable terminal text, with numbered buttons.

Pure functions: a card dict in, lines and buttons out. Nothing here prints or does I/O, and no
card JSON ever reaches the output: unknown elements fall back to their `fallback`, or vanish.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ButtonKind = Literal["execute", "submit", "open_url"]
NBSP = "\u00a0"
MONO_INDENT = "    "
_GAPS = ("medium", "large", "extraLarge")  # spacings shown as a blank line
FACT_INDENT = "  "

# C0/C1 controls (terminal escape sequences included) and bidi overrides; \n and \t stay.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A CommonMark backslash escape, a code span, strong markers, a link, or a heading marker.
_MARKDOWN = re.compile(
    r"\\(?P<esc>[!-/:-@\[-`{-~])"
    r"|(?P<ticks>`+)(?P<code>.+?)(?P=ticks)"
    r"|\*\*|__"
    r"|\[(?P<label>(?:\\.|[^\]\\\n])*)\]\((?P<url>[^)\s]+)\)"
    r"|^#{1,6}[ \t]+",
    re.MULTILINE,
)


@dataclass(frozen=True)
class CardInput:
    """An input the person fills in before a button is pressed (e.g. a reason)."""

    id: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Button:
    """A pressable action, numbered from 1 within its card."""

    number: int
    title: str
    kind: ButtonKind
    verb: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""
    inputs: tuple[CardInput, ...] = ()


@dataclass(frozen=True)
class RenderedCard:
    """A card as lines of text, plus its buttons in the order they were numbered."""

    lines: tuple[str, ...]
    buttons: tuple[Button, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def button(self, number: int) -> Button | None:
        return next((b for b in self.buttons if b.number == number), None)


class ButtonNumbers:
    """Numbers that stay with their buttons for the life of a card (for one person's view): a
    button keeps its number while the card changes around it, a new button gets the next one,
    and a number once given is never given to another button."""

    def __init__(self, first: int = 1) -> None:
        self._first = first
        self._next = first
        self._by_key: dict[str, int] = {}

    def number(self, key: str) -> int:
        if key not in self._by_key:
            self._by_key[key] = self._next
            self._next += 1
        return self._by_key[key]

    def given(self, number: int) -> bool:
        """Whether `number` was ever given on this card (even if its button is gone now)."""
        return self._first <= number < self._next


def button_key(kind: ButtonKind, verb: str, data: Mapping[str, Any], url: str, title: str) -> str:
    """What makes a button the same button across updates: its signed id (in `data`), verb and
    link; the title only when there is nothing else (a count in a title may change)."""
    key: list[Any] = [kind, verb, dict(data), url]
    return json.dumps(key if data or url else [*key, title], sort_keys=True, default=str)


def markdown_text(text: str) -> str:
    """Teams markdown as plain text: escapes resolved, emphasis and code marks dropped."""
    return _MARKDOWN.sub(_plain, clean(text))


def clean(text: str) -> str:
    """Text safe to print: no control sequences, NBSP as space, tabs as spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROLS.sub("", text.replace(NBSP, " "))


def _plain(match: re.Match[str]) -> str:
    if match.group("esc") is not None:
        return match.group("esc")
    if match.group("code") is not None:
        return match.group("code")
    if match.group("url") is not None:
        label = markdown_text(match.group("label"))
        url = match.group("url")
        return url if label in ("", url) else f"{label} <{url}>"
    return ""


def display_width(text: str) -> int:
    """Terminal columns: wide characters count 2, combining marks and selectors 0."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or char in "\ufe0e\ufe0f\u200d":
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def button_line(buttons: Sequence[Button]) -> str:
    """`[1] Reboot  [2] Rollback …`; links show where they go."""
    parts = []
    for button in buttons:
        label = f"[{button.number}] {button.title}"
        if button.kind == "open_url":
            label += f" ({button.url})"
        parts.append(label)
    return "  ".join(parts)


def render_card(
    card: Mapping[str, Any], first_number: int = 1, numbers: ButtonNumbers | None = None
) -> RenderedCard:
    """An Adaptive Card as text; buttons are numbered from `first_number` in reading order, or
    by `numbers` (kept across renderings of the same card)."""
    renderer = _Renderer(numbers or ButtonNumbers(first_number), _inputs(card.get("body")))
    lines = renderer.elements(card.get("body"))
    actions = renderer.actions(card.get("actions"))
    if actions:
        lines += ["", button_line(actions)]
    if not any(line.strip() for line in lines) and isinstance(card.get("fallbackText"), str):
        lines = [markdown_text(card["fallbackText"])]
    return RenderedCard(tuple(_tidy(lines)), tuple(renderer.buttons))


def _tidy(lines: list[str]) -> list[str]:
    """No leading, trailing or doubled blank lines; no trailing spaces."""
    out: list[str] = []
    for line in (line.rstrip() for line in lines):
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _items(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _inputs(elements: object) -> list[CardInput]:
    """Every input in a body (containers and columns included, show-cards excluded)."""
    found: list[CardInput] = []
    for element in _items(elements):
        kind = str(element.get("type", ""))
        if kind.startswith("Input.") and isinstance(element.get("id"), str):
            found.append(_input(element))
        for key in ("items", "columns"):
            found += _inputs(element.get(key))
    return found


def _input(element: Mapping[str, Any]) -> CardInput:
    label = element.get("label") or element.get("placeholder") or element["id"]
    choices = tuple(str(c.get("value", "")) for c in _items(element.get("choices")))
    return CardInput(
        id=str(element["id"]),
        label=markdown_text(str(label)),
        required=bool(element.get("isRequired")),
        choices=choices,
    )


class _Renderer:
    """Walks one card; collects buttons as it meets them so numbers follow reading order."""

    def __init__(self, numbers: ButtonNumbers, inputs: list[CardInput]) -> None:
        self.buttons: list[Button] = []
        self._numbers = numbers
        self._inputs = tuple(inputs)
        self._seen: set[str] = set()

    # -- elements -----------------------------------------------------------------------------
    def elements(self, elements: object) -> list[str]:
        lines: list[str] = []
        for element in _items(elements):
            if element.get("isVisible") is False:
                continue
            if element.get("separator") or element.get("spacing") in _GAPS:
                lines.append("")
            lines += self.element(element)
        return lines

    def element(self, element: Mapping[str, Any]) -> list[str]:
        kind = element.get("type")
        if kind == "TextBlock":
            return _text_block(element)
        if kind == "RichTextBlock":
            inlines = element.get("inlines") or []
            return [markdown_text("".join(_inline(i) for i in inlines))]
        if kind == "FactSet":
            return [_fact(fact) for fact in _items(element.get("facts"))]
        if kind in ("Container", "Column"):
            return self._container(element)
        if kind == "ColumnSet":
            return self._columns(_items(element.get("columns")))
        if kind == "ActionSet":
            buttons = self.actions(element.get("actions"))
            return [button_line(buttons)] if buttons else []
        if kind == "Table":
            return [self._row(row) for row in _items(element.get("rows"))]
        if kind == "Image":
            alt = element.get("altText")
            return [f"[image: {alt}]"] if isinstance(alt, str) and alt else []
        if isinstance(kind, str) and kind.startswith("Input."):
            return [f"({_input(element).label}: fill in when you press a button)"]
        fallback = element.get("fallback")
        return self.element(fallback) if isinstance(fallback, Mapping) else []

    def _container(self, element: Mapping[str, Any]) -> list[str]:
        lines = self.elements(element.get("items"))
        style = element.get("style")
        if style in ("attention", "warning"):
            return [f"! {line}" if line else line for line in lines]
        if style == "emphasis":  # shaded: output tails and the like
            return [MONO_INDENT + line if line else line for line in lines]
        return lines

    def _columns(self, columns: list[Mapping[str, Any]]) -> list[str]:
        """Columns flattened: first lines side by side, then the rest of each column."""
        rendered = [[line for line in self.element(col) if line] for col in columns]
        rendered = [lines for lines in rendered if lines]
        if not rendered:
            return []
        first = "  ".join(lines[0] for lines in rendered)
        return [first] + [line for lines in rendered for line in lines[1:]]

    def _row(self, row: Mapping[str, Any]) -> str:
        cells = [" ".join(self.elements(cell.get("items"))) for cell in _items(row.get("cells"))]
        return " | ".join(cells)

    # -- actions ------------------------------------------------------------------------------
    def actions(self, actions: object, inputs: tuple[CardInput, ...] = ()) -> list[Button]:
        made: list[Button] = []
        for action in _items(actions):
            made += self._action(action, inputs or self._inputs)
        return made

    def _action(
        self,
        action: Mapping[str, Any],
        inputs: tuple[CardInput, ...],
        opener: str = "",
        single: bool = False,
    ) -> list[Button]:
        """Buttons for one action; `opener` titles the show-card it sits in (alone if `single`)."""
        kind = action.get("type")
        title = clean(str(action.get("title") or "")).strip()  # titles are not markdown
        if opener:
            title = opener if single else f"{opener} > {title}".strip(" >")
        if kind == "Action.ShowCard" and isinstance(action.get("card"), Mapping):
            return self._show_card(title, action["card"], inputs)
        data = action.get("data")
        payload: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if kind == "Action.Execute":
            verb = str(action.get("verb") or "")
            return [
                self._add(title or verb or "Run", "execute", verb=verb, data=payload, inputs=inputs)
            ]
        if kind == "Action.Submit":
            return [self._add(title or "Submit", "submit", data=payload, inputs=inputs)]
        if kind == "Action.OpenUrl" and isinstance(action.get("url"), str):
            return [self._add(title or "Open", "open_url", url=action["url"])]
        return []

    def _show_card(
        self, title: str, card: Mapping[str, Any], outer: tuple[CardInput, ...]
    ) -> list[Button]:
        """A "Deny…" that opens a form: its inner buttons, asking for the form's inputs."""
        inputs = (*_inputs(card.get("body")), *outer)
        inner = _items(card.get("actions"))
        single = len(inner) == 1
        return [b for action in inner for b in self._action(action, inputs, title, single)]

    def _add(self, title: str, kind: ButtonKind, **fields: Any) -> Button:
        key = button_key(
            kind, fields.get("verb", ""), fields.get("data", {}), fields.get("url", ""), title
        )
        while key in self._seen:  # the same button twice on one card: each gets a number
            key += "+"
        self._seen.add(key)
        button = Button(self._numbers.number(key), title, kind, **fields)
        self.buttons.append(button)
        return button


def _text_block(element: Mapping[str, Any]) -> list[str]:
    text = markdown_text(str(element.get("text") or ""))
    lines = text.split("\n")
    if element.get("style") == "heading" or element.get("size") in ("large", "extraLarge"):
        width = max(display_width(line) for line in lines)
        return [*lines, "─" * width]
    notice = element.get("color") in ("attention", "warning") and element.get("weight") == "bolder"
    if notice:
        return ["! " + line for line in lines]
    return lines


def _inline(inline: object) -> str:
    if isinstance(inline, str):
        return inline
    if isinstance(inline, Mapping) and isinstance(inline.get("text"), str):
        return str(inline["text"])
    return ""


def _fact(fact: Mapping[str, Any]) -> str:
    title = markdown_text(str(fact.get("title") or "")).strip()
    value = markdown_text(str(fact.get("value") or "")).strip()
    return f"{FACT_INDENT}{title}: {value}" if title else f"{FACT_INDENT}{value}"
