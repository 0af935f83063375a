"""Builders for inbound activities shaped the way Microsoft Teams sends them.

Bind a ``TeamsActivities`` to the bot identity and service URL (``sim.activities`` does it)
and call e.g. ``channel_message("<at>opsbot</at> help")`` or ``channel_message("help")``.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from .users import ALICE, User

Where = Literal["personal", "groupChat", "channel"]

DEFAULT_TEAM_ID = "19:0f5e5b1ac3a94bd5a7c1ef41a0e7b3c2@thread.tacv2"
DEFAULT_CHAT_ID = "19:8d1f4c2e7a3b4f6e9c0d5a1b2e3f4a5b@thread.v2"
LOCAL_TZ = timezone(timedelta(hours=-4))
CLIENT_INFO = {
    "type": "clientInfo",
    "locale": "en-US",
    "country": "US",
    "platform": "Web",
    "timezone": "America/New_York",
}
_seq = itertools.count(int(datetime.now(UTC).timestamp() * 1000))


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mention_entity(account: dict[str, Any]) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{account['name']}</at>", "mentioned": account}


@dataclass(frozen=True)
class TeamsActivities:
    """Activity factory for one bot (28:<app_id>) talking through one service URL."""

    app_id: str
    tenant_id: str
    service_url: str
    bot_name: str = "opsbot"
    team_id: str = DEFAULT_TEAM_ID

    @property
    def bot_account(self) -> dict[str, Any]:
        return {"id": f"28:{self.app_id}", "name": self.bot_name}

    # -- messages ----------------------------------------------------------------------
    def channel_message(
        self,
        text: str,
        *,
        user: User = ALICE,
        mention_bot: bool = True,
        extra_mentions: Iterable[User] = (),
        team_id: str | None = None,
        channel_id: str | None = None,
        thread_id: str | None = None,
    ) -> dict[str, Any]:
        """A channel post (or a reply in thread_id's thread) that @mentions the bot."""
        act_id = self.new_id()
        conv, data = self._where("channel", user, team_id, channel_id, thread_id or act_id)
        return self._message(act_id, text, user, conv, data, mention_bot, extra_mentions)

    def group_chat_message(
        self,
        text: str,
        *,
        user: User = ALICE,
        mention_bot: bool = True,
        extra_mentions: Iterable[User] = (),
        chat_id: str = DEFAULT_CHAT_ID,
    ) -> dict[str, Any]:
        conv, data = self._where("groupChat", user, chat_id=chat_id)
        return self._message(self.new_id(), text, user, conv, data, mention_bot, extra_mentions)

    def personal_message(self, text: str, *, user: User = ALICE) -> dict[str, Any]:
        conv, data = self._where("personal", user)
        return self._message(self.new_id(), text, user, conv, data, False, ())

    def message_from_bot(
        self,
        text: str,
        *,
        bot_id: str | None = None,
        bot_name: str = "otherbot",
        where: Where = "channel",
    ) -> dict[str, Any]:
        """A message whose sender is a bot (28:...), which a bot must not answer."""
        sender = {
            "id": bot_id or f"28:{uuid.uuid5(uuid.NAMESPACE_DNS, bot_name)}",
            "name": bot_name,
        }
        act_id = self.new_id()
        conv, data = self._where(where, ALICE, message_id=act_id)
        activity = self._base("message", act_id, ALICE, conv, data)
        activity.update({"from": sender, "text": text, "textFormat": "plain"})
        return activity

    def submit_message(
        self,
        value: dict[str, Any],
        *,
        user: User = ALICE,
        where: Where = "personal",
        reply_to_id: str = "1700000000000",
    ) -> dict[str, Any]:
        """An Action.Submit: a message with the card's data in value and no text."""
        conv, data = self._where(where, user, message_id=reply_to_id)
        data.update(source={"name": "message"}, legacy={"replyToId": reply_to_id})
        activity = self._base("message", self.new_id(), user, conv, data)
        activity.update(value=value, replyToId=reply_to_id)
        return activity

    # -- invokes and events --------------------------------------------------------------
    def card_action_invoke(
        self,
        verb: str,
        data: dict[str, Any],
        *,
        user: User = ALICE,
        where: Where = "personal",
        reply_to_id: str = "1700000000000",
    ) -> dict[str, Any]:
        """An Adaptive Card Universal Action (Action.Execute) invoke."""
        conv, cdata = self._where(where, user, message_id=reply_to_id)
        cdata.update(source={"name": "message"}, legacy={"replyToId": reply_to_id})
        activity = self._base("invoke", f"f:{uuid.uuid4().int}", user, conv, cdata)
        activity.update(
            name="adaptiveCard/action",
            replyToId=reply_to_id,
            value={
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": "manual",
            },
        )
        return activity

    def conversation_update_bot_added(
        self,
        *,
        user: User = ALICE,
        where: Where = "channel",
        team_name: str = "Ops",
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """The bot was added to a team (or to a chat / personal scope)."""
        conv, data = self._where(where, user, team_id)
        if where == "channel":
            data["team"] = {
                **data["team"],
                "name": team_name,
                "aadGroupId": str(uuid.uuid5(uuid.NAMESPACE_URL, conv["id"])),
            }
            data["eventType"] = "teamMemberAdded"
            del data["channel"]
        activity = self._base("conversationUpdate", f"f:{uuid.uuid4().int}", user, conv, data)
        activity["membersAdded"] = [{"id": self.bot_account["id"]}]
        return activity

    def installation_update_add(
        self,
        *,
        user: User = ALICE,
        where: Where = "channel",
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """The app was installed; Teams sends this alongside conversationUpdate."""
        conv, data = self._where(where, user, team_id)
        if where == "channel":
            data["settings"] = {"selectedChannel": {"id": data["channel"]["id"]}}
        activity = self._base("installationUpdate", f"f:{uuid.uuid4().int}", user, conv, data)
        activity["action"] = "add"
        return activity

    # -- pieces ------------------------------------------------------------------------
    @staticmethod
    def new_id() -> str:
        """A Teams-style message id (milliseconds since the epoch, unique here)."""
        return str(next(_seq))

    def _message(
        self,
        act_id: str,
        text: str,
        user: User,
        conv: dict[str, Any],
        data: dict[str, Any],
        mention_bot: bool,
        extra: Iterable[User],
    ) -> dict[str, Any]:
        activity = self._base("message", act_id, user, conv, data)
        if mention_bot and (tag := f"<at>{self.bot_name}</at>") not in text:
            text = f"{tag} {text}"
        users = [{"id": u.teams_id, "name": u.name} for u in extra]
        for account in users:
            if (tag := f"<at>{account['name']}</at>") not in text:
                text = f"{text} {tag}"
        mentioned = ([self.bot_account] if mention_bot else []) + users
        mentions = [mention_entity(dict(account)) for account in mentioned]
        activity.update(
            text=text,
            textFormat="plain",
            attachments=[{"contentType": "text/html", "content": f"<p>{text}</p>"}],
        )
        activity["entities"] = mentions + activity["entities"]
        return activity

    def _base(
        self, kind: str, act_id: str, user: User, conv: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "type": kind,
            "id": act_id,
            "timestamp": _stamp(now),
            "localTimestamp": now.astimezone(LOCAL_TZ).isoformat(timespec="milliseconds"),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": user.account(),
            "conversation": conv,
            "recipient": dict(self.bot_account),
            "entities": [dict(CLIENT_INFO)],
            "channelData": data,
            "locale": "en-US",
            "localTimezone": "America/New_York",
        }

    def _where(
        self,
        where: Where,
        user: User,
        team_id: str | None = None,
        channel_id: str | None = None,
        message_id: str | None = None,
        chat_id: str = DEFAULT_CHAT_ID,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(conversation, channelData) for a scope, as Teams fills them in."""
        tenant = {"id": self.tenant_id}
        conv: dict[str, Any] = {"conversationType": where, "tenantId": self.tenant_id}
        if where == "personal":
            digest = hashlib.sha256(f"{self.app_id}|{user.teams_id}".encode()).hexdigest()
            return {**conv, "id": "a:1" + digest[:40]}, {"tenant": tenant}
        if where == "groupChat":
            return {**conv, "isGroup": True, "id": chat_id}, {"tenant": tenant}
        team = team_id or self.team_id
        channel = channel_id or team  # the General channel shares the team's id
        conv_id = f"{channel};messageid={message_id}" if message_id else channel
        data = {
            "teamsChannelId": channel,
            "teamsTeamId": team,
            "channel": {"id": channel},
            "team": {"id": team},
            "tenant": tenant,
        }
        return {**conv, "isGroup": True, "id": conv_id}, data
