"""The fast wire format of outgoing activities equals botbuilder's own serialization."""

from __future__ import annotations

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

from cards import HelpCommand, HelpGroup, help_card
from teams_bot.bf.adapter import wire_format


def test_card_message_serializes_exactly_like_msrest() -> None:
    card = help_card([HelpGroup("General", [HelpCommand("help", "Show help", "help [topic]")])])
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.summary = "help"
    assert wire_format(activity) == activity.serialize()
    assert activity.attachments and activity.attachments[0].content == card, "input untouched"


def test_text_and_mixed_attachments() -> None:
    activity = Activity(
        type="message", text="hi", attachments=[
            Attachment(content_type="image/png", content_url="https://x/y.png", name="y.png"),
        ],
    )
    assert wire_format(activity) == activity.serialize()
    assert wire_format(Activity(type="message", text="plain")) == Activity(
        type="message", text="plain"
    ).serialize()
