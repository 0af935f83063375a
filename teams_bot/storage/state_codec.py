"""JSON for bot state: plain data as is, objects as their attributes plus a type marker.

Dialog state holds botbuilder objects (DialogState, DialogInstance, Activity, ...), so
values are more than JSON. Objects are rebuilt without calling __init__ (like pickle),
but only classes from allow-listed modules are ever imported: stored data cannot make
the bot import or run anything else.
"""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

TYPE = "$type"
DEFAULT_MODULES = ("botbuilder", "botframework", "teams_bot", "dialogs", "cards")


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode_dict(value: Mapping[Any, Any]) -> Any:
    if TYPE not in value and all(isinstance(k, str) for k in value):
        return {k: encode(v) for k, v in value.items()}
    return {TYPE: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}


def _encode_other(value: object) -> Any:
    if isinstance(value, Enum):
        return {TYPE: "enum", "class": _class_path(type(value)), "value": encode(value.value)}
    if isinstance(value, datetime):
        return {TYPE: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {TYPE: "date", "value": value.isoformat()}
    if isinstance(value, timedelta):
        return {TYPE: "timedelta", "value": value.total_seconds()}
    if isinstance(value, bytes):
        return {TYPE: "bytes", "value": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | set | frozenset):
        return {TYPE: type(value).__name__, "items": [encode(v) for v in value]}
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {TYPE: "object", "class": _class_path(type(value)), "state": encode(vars(value))}
    raise TypeError(f"cannot store a {type(value).__name__} in bot state")


def encode(value: object) -> Any:
    """A JSON-compatible form of `value` that `decode` turns back into an equal value."""
    if value is None or (
        isinstance(value, bool | int | float | str) and not isinstance(value, Enum)
    ):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return _encode_dict(value)
    return _encode_other(value)


class Decoder:
    """Turns `encode` output back into values, importing only allow-listed modules."""

    def __init__(self, modules: tuple[str, ...] = DEFAULT_MODULES) -> None:
        self._modules = modules
        self._tagged: dict[str, Callable[[dict[str, Any]], object]] = {
            "dict": lambda d: {self.decode(k): self.decode(v) for k, v in d["items"]},
            "tuple": lambda d: tuple(self.decode(v) for v in d["items"]),
            "set": lambda d: {self.decode(v) for v in d["items"]},
            "frozenset": lambda d: frozenset(self.decode(v) for v in d["items"]),
            "datetime": lambda d: datetime.fromisoformat(d["value"]),
            "date": lambda d: date.fromisoformat(d["value"]),
            "timedelta": lambda d: timedelta(seconds=d["value"]),
            "bytes": lambda d: base64.b64decode(d["value"]),
            "enum": lambda d: self._class(d["class"], Enum)(self.decode(d["value"])),
            "object": self._object,
        }

    def decode(self, data: Any) -> Any:
        if isinstance(data, list):
            return [self.decode(v) for v in data]
        if not isinstance(data, dict):
            return data
        if TYPE not in data:
            return {k: self.decode(v) for k, v in data.items()}
        tag = data[TYPE]
        if tag not in self._tagged:
            raise ValueError(f"unknown stored type {tag!r}")
        return self._tagged[tag](data)

    def _object(self, data: dict[str, Any]) -> object:
        cls = self._class(data["class"], object)
        obj = cls.__new__(cls)
        obj.__dict__.update(self.decode(data["state"]))
        return obj

    def _class(self, path: str, base: type) -> Any:
        module_name, _, qualname = path.partition(":")
        if not any(module_name == m or module_name.startswith(m + ".") for m in self._modules):
            raise ValueError(f"refusing to load {path!r}: module not allow-listed")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        if not (isinstance(target, type) and issubclass(target, base)):
            raise ValueError(f"{path!r} is not a loadable class")
        return target


def dumps(value: object) -> str:
    return json.dumps(encode(value), separators=(",", ":"))


def loads(text: str, decoder: Decoder) -> Any:
    return decoder.decode(json.loads(text))
