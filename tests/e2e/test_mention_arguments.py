"""@mentions as arguments (issue 10 item 6): `audit --user @Adele Vance` means that person."""

from __future__ import annotations

from typing import Any

from tests.botrunner import BotUnderTest, visible_text
from tests.simulator import ALICE, User, mention_entity

ADELE = User.named("Adele Vance")
OTHER_ADELE = User.named("Adele Smith")


async def run(bot: BotUnderTest, activity: dict[str, Any]) -> str:
    before = len(bot.sim.calls)
    result = await bot.post(activity)
    assert result.status in (200, 201), result.text
    calls = await bot.sim.wait_for_calls(before + 1)
    return visible_text(calls[-1].body)


async def seed_audit(bot: BotUnderTest) -> None:
    """Both Adeles run a command, so each has an audit record."""
    for user in (ADELE, OTHER_ADELE):
        await run(bot, bot.teams.channel_message("<at>opsbot</at> version", user=user))


def audit_mentioning(bot: BotUnderTest, shown_as: str, account: dict[str, Any]) -> dict[str, Any]:
    """ALICE (an auditor) asks for the audit of a person she @mentions as `shown_as`."""
    activity = bot.teams.channel_message(
        f"<at>opsbot</at> audit --user <at>{shown_as}</at>", user=ALICE
    )
    entity = mention_entity(account)
    entity["text"] = f"<at>{shown_as}</at>"
    activity["entities"].insert(1, entity)
    return activity


async def test_mention_resolves_through_its_aad_object_id(bot: BotUnderTest) -> None:
    await seed_audit(bot)
    # Teams lets the sender shorten a mention to a first name; the entity still names the person.
    text = await run(bot, audit_mentioning(bot, "Adele", ADELE.account()))
    assert "Adele Vance" in text and "Adele Smith" not in text, text


async def test_full_name_mention_without_an_aad_id_matches_the_name(bot: BotUnderTest) -> None:
    await seed_audit(bot)
    account = {"id": ADELE.teams_id, "name": ADELE.name}
    text = await run(bot, audit_mentioning(bot, "Adele Vance", account))
    assert "Adele Vance" in text and "Adele Smith" not in text, text


async def test_plain_name_argument_still_works(bot: BotUnderTest) -> None:
    await seed_audit(bot)
    text = await run(bot, bot.teams.channel_message("<at>opsbot</at> audit --user Smith"))
    assert "Adele Smith" in text and "Adele Vance" not in text, text


async def test_short_mention_without_an_aad_id_uses_the_member_lookup(bot: BotUnderTest) -> None:
    await seed_audit(bot)
    bot.sim.users.extend([ADELE, OTHER_ADELE])  # the connector's roster knows both
    account = {"id": ADELE.teams_id, "name": "Adele"}
    text = await run(bot, audit_mentioning(bot, "Adele", account))
    assert "Adele Vance" in text and "Adele Smith" not in text, text
