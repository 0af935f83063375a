"""`${{NAME}}` placeholders in the manifest template, and JSON paths for problem reports."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
TEMPLATE_FILE = "manifest.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"

JsonValue = Any  # what json.loads returns


class TemplateError(ValueError):
    """A placeholder has no value, or a non-text value inside a longer string."""


def fill(node: JsonValue, values: Mapping[str, JsonValue], path: str = "$") -> JsonValue:
    """A copy of `node` with placeholders replaced.

    A string that is exactly one placeholder becomes the value itself (any JSON type: a list of
    domains, the command lists); a placeholder inside a longer string must have a text value.
    """
    if isinstance(node, dict):
        return {key: fill(value, values, json_path(path, key)) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(item, values, json_path(path, i)) for i, item in enumerate(node)]
    if not isinstance(node, str):
        return node
    whole = PLACEHOLDER.fullmatch(node)
    if whole:
        return _value(whole.group(1), values, path)
    return PLACEHOLDER.sub(lambda m: _text(m.group(1), values, path), node)


def _value(name: str, values: Mapping[str, JsonValue], path: str) -> JsonValue:
    if name not in values:
        raise TemplateError(f"{path}: no value for placeholder ${{{{{name}}}}}")
    return values[name]


def _text(name: str, values: Mapping[str, JsonValue], path: str) -> str:
    value = _value(name, values, path)
    if not isinstance(value, str):
        raise TemplateError(f"{path}: placeholder ${{{{{name}}}}} inside text needs a text value")
    return value


def placeholders_left(node: JsonValue, path: str = "$") -> Iterator[tuple[str, str]]:
    """(JSON path, placeholder name) for every placeholder still in `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from placeholders_left(value, json_path(path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from placeholders_left(item, json_path(path, i))
    elif isinstance(node, str):
        for match in PLACEHOLDER.finditer(node):
            yield path, match.group(1)


def json_path(parent: str, key: str | int) -> str:
    """`$.bots[0].botId` style, as jsonschema's `ValidationError.json_path` spells paths."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{parent}['{escaped}']"


def default_template_dir() -> Path:
    """The template and icons shipped inside the package (`teams_bot/manifest/files/`)."""
    return Path(__file__).resolve().parent / "files"
