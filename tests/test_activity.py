"""Turning Teams activities into plain values: mentions, identity, conversation."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from teams_bot.bf.activity import (
    caller_of,
    command_text,
    is_from_bot,
    reference_dict,
    tenant_of,
    where_of,
)
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


# -- quoted replies (issue 10 item 2) ----------------------------------------------------------
QUOTE_ID = "1772050244572"
QUOTED_REPLY = {  # entity shape from Microsoft's Teams SDK fixtures (microsoft/teams.net)
    "type": "quotedReply",
    "quotedReply": {
        "messageId": QUOTE_ID,
        "senderId": "29:a6cdfb28-56f2-4912-b9c4-2181407c7dde",
        "senderName": "Centralized Test Bot",
        "preview": "Reply from bot.",
        "time": QUOTE_ID,
        "validatedMessageReference": True,
    },
}


def test_quoted_reply_placeholder_is_not_part_of_the_command() -> None:
    body = TEAMS.channel_message("<at>opsbot</at> version")
    body["text"] = f'<quoted messageId="{QUOTE_ID}"/> {body["text"]}'
    body["entities"].append(QUOTED_REPLY)
    assert command_text(parse(body)) == ("version", {})


def test_several_quotes_and_unknown_placeholders_are_removed() -> None:
    body = TEAMS.personal_message("x")
    body["text"] = (
        '<quoted messageId="msg-1"/><quoted messageId="msg-2"/> audit --last 5'
        '<attachment id="abc"></attachment>'
    )
    body["entities"].append({"type": "quotedReply", "quotedReply": {"messageId": "msg-1"}})
    assert command_text(parse(body))[0] == "audit --last 5"


# -- tenant from every place Teams puts it (issue 10 item 8) -----------------------------------
def test_tenant_comes_from_conversation_tenant_id_without_channel_data() -> None:
    body = TEAMS.personal_message("whoami")
    del body["channelData"]["tenant"]
    activity = parse(body)
    assert caller_of(activity).tenant_id == "tenant-1"
    assert where_of(activity).tenant_id == "tenant-1"


def test_channel_data_tenant_wins_and_reference_keeps_the_tenant() -> None:
    body = TEAMS.channel_message("<at>opsbot</at> help")
    body["conversation"]["tenantId"] = "other"
    activity = parse(body)
    assert tenant_of(activity) == "tenant-1"
    assert reference_dict(activity)["conversation"]["tenantId"] == "tenant-1"


# -- channel ids (issue 10 item 7, the part read from the activity) ---------------------------
def test_general_channel_id_without_channel_data_channel() -> None:
    body = TEAMS.conversation_update_bot_added(where="channel")
    assert "channel" not in body["channelData"]
    where = where_of(parse(body))
    assert where.channel_id == body["conversation"]["id"] and where.team_id


def test_bot_added_to_a_selected_channel_names_that_channel() -> None:
    body = TEAMS.conversation_update_bot_added(where="channel")
    body["conversation"]["id"] = "19:picked@thread.tacv2"  # as Teams sends it (docs example)
    body["channelData"]["settings"] = {"selectedChannel": {"id": "19:picked@thread.tacv2"}}
    del body["channelData"]["teamsChannelId"]
    assert where_of(parse(body)).channel_id == "19:picked@thread.tacv2"


def test_thread_conversation_id_gives_the_channel() -> None:
    body = TEAMS.channel_message("<at>opsbot</at> help", thread_id="1700000000001")
    del body["channelData"]["channel"], body["channelData"]["teamsChannelId"]
    assert where_of(parse(body)).channel_id == TEAMS.team_id


# -- oddly shaped but authenticated activities (issue 9 item 9) --------------------------------
@pytest.mark.parametrize(
    "channel_data",
    [
        {"tenant": "tenant-1"},
        {"tenant": ["tenant-1"], "team": ["19:x"], "channel": 5},
        {"team": "19:x", "channel": {"id": ["19:y"]}, "settings": "x"},
        "not an object",
        None,
    ],
)
def test_odd_shapes_give_empty_values_not_exceptions(channel_data: object) -> None:
    body = TEAMS.channel_message("<at>opsbot</at> whoami")
    body["channelData"] = channel_data
    body["conversation"]["tenantId"] = ["not", "a", "string"]
    body["entities"].append({"type": "mention", "mentioned": "29:x", "text": 5})
    body["entities"].append({"type": "quotedReply", "quotedReply": "x"})
    activity = parse(body)
    assert caller_of(activity).tenant_id == ""
    where = where_of(activity)
    assert where.team_id == "" and where.conversation_id
    assert command_text(activity)[0] == "whoami"


def test_members_added_with_empty_accounts_parses() -> None:
    body = TEAMS.conversation_update_bot_added(where="personal")
    body["membersAdded"] = [{}]
    activity = parse(body)
    assert where_of(activity).conversation_type == "personal"
    assert not is_from_bot(activity)
