"""Turning Teams activities into plain values: mentions, identity, conversation."""

from __future__ import annotations

from botbuilder.schema import Activity

from teams_bot.bf.activity import caller_of, command_text, is_from_bot, where_of
from tests.simulator import ALICE, BOB, TeamsActivities

TEAMS = TeamsActivities("app-id", "tenant-1", "https://smba.example/amer/")


def parse(body: dict) -> Activity:
    return Activity().deserialize(body)


def test_bot_mention_is_stripped_using_entities() -> None:
    text, mentions = command_text(parse(TEAMS.channel_message("<at>opsbot</at> help deploy")))
    assert text == "help deploy" and mentions == {}


def test_other_mentions_stay_as_arguments_with_their_identity() -> None:
    body = TEAMS.channel_message(
        f"<at>opsbot</at> oncall page <at>{BOB.name}</at>", extra_mentions=[BOB]
    )
    text, mentions = command_text(parse(body))
    token = f"@{BOB.name}"
    assert text == f'oncall page "{token}"'
    assert mentions[token].teams_id == BOB.teams_id


def test_bot_name_in_plain_text_is_not_stripped_without_an_entity() -> None:
    body = TEAMS.personal_message("echo opsbot")
    assert command_text(parse(body))[0] == "echo opsbot"


def test_html_entities_and_slash_prefix_are_normalised() -> None:
    body = TEAMS.personal_message("/deploy web reason=&quot;hot fix&quot;&nbsp;")
    assert command_text(parse(body))[0] == 'deploy web reason="hot fix"'


def test_identity_comes_from_the_activity() -> None:
    activity = parse(TEAMS.channel_message("<at>opsbot</at> whoami", user=ALICE))
    caller = caller_of(activity)
    assert caller.aad_object_id == ALICE.aad_object_id
    assert caller.tenant_id == "tenant-1" and caller.display_name == ALICE.name
    where = where_of(activity)
    assert where.conversation_type == "channel" and where.team_id and where.channel_id


def test_bots_are_recognised() -> None:
    assert is_from_bot(parse(TEAMS.message_from_bot("hi")))
    assert not is_from_bot(parse(TEAMS.personal_message("hi")))
