"""state_codec: bot state values survive JSON, and only allow-listed classes load."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta

import pytest
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import Activity, ActivityTypes

from teams_bot.storage.state_codec import Decoder, dumps, loads

TESTS = Decoder(("tests",))


class Colour(enum.Enum):
    RED = "red"


class Plain:
    def __init__(self, a: object) -> None:
        self.a = a


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        "text",
        [1, "a", None],
        {"a": {"b": [1, 2]}},
        {1: "int key", (1, 2): "tuple key"},
        {"$type": "user data"},
        (1, 2),
        {1, 2},
        frozenset({"x"}),
        b"\x00\xff",
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        date(2024, 1, 2),
        timedelta(seconds=90),
        Colour.RED,
    ],
)
def test_plain_values_round_trip(value: object) -> None:
    assert loads(dumps(value), TESTS) == value


def test_objects_round_trip_without_init() -> None:
    got = loads(dumps(Plain(Plain([Colour.RED]))), TESTS)
    assert isinstance(got, Plain) and isinstance(got.a, Plain)
    assert got.a.a == [Colour.RED]


def test_botbuilder_dialog_state_round_trips() -> None:
    activity = Activity(type=ActivityTypes.message, text="hi")
    state = DialogState([DialogInstance(id="main", state={"options": activity, "n": 1})])
    got = loads(dumps({"DialogState": state}), Decoder())
    [instance] = got["DialogState"].dialog_stack
    assert instance.id == "main"
    assert instance.state["options"].text == "hi"
    assert instance.state["options"].type == "message"


def test_classes_outside_the_allow_list_are_refused() -> None:
    with pytest.raises(ValueError, match="not allow-listed"):
        loads(dumps(Plain(1)), Decoder())
    forged = '{"$type": "object", "class": "os:system", "state": {}}'
    with pytest.raises(ValueError, match="not allow-listed"):
        loads(forged, Decoder())


def test_non_classes_are_refused() -> None:
    forged = '{"$type": "object", "class": "tests.test_storage_codec:dumps", "state": {}}'
    with pytest.raises(ValueError, match="not a loadable class"):
        loads(forged, TESTS)


def test_unknown_tags_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown stored type"):
        loads('{"$type": "pickle"}', TESTS)


def test_unstorable_values_fail_on_write() -> None:
    with pytest.raises(TypeError, match="cannot store"):
        dumps({"f": print})
