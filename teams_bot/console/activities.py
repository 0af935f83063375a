"""Who the console user is, and the Teams-shaped activities the console sends as them.

The shapes follow what Microsoft Teams posts to a bot: a personal (1:1) chat by default, or a
post in a team channel thread that @mentions the bot.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Scope = Literal["personal", "channel"]

CONSOLE_TENANT_ID = "c0501e00-7e4a-4b0c-9d1e-000000c0501e"  # the console's pretend tenant
CONSOLE_BOT_APP_ID = "c0501e00-b07b-4b07-8b07-000000000b07"
CONSOLE_TEAM_ID = "19:c0501e00000000000000000000000000@thread.tacv2"
_NAMESPACE = uuid.UUID("9b3c8a52-0f1e-4d6a-8c7b-c0501e000000")  # for ids derived from names
_ids = itertools.count(int(time.time() * 1000))


def new_message_id() -> str:
    """A Teams-style message id: milliseconds since the epoch, unique in this process."""
    return str(next(_ids))


@dataclass(frozen=True)
class Person:
    """A Teams user: display name, Azure AD object id and the "29:..." Teams id."""

    name: str
    aad_object_id: str
    teams_id: str

    @classmethod
    def named(cls, name: str, aad_object_id: str | None = None) -> Person:
        """The same name always gives the same ids, unless an AAD object id is given."""
        oid = aad_object_id or str(uuid.uuid5(_NAMESPACE, name))
        return cls(name, oid, "29:1" + uuid.uuid5(_NAMESPACE, oid).hex)

    def account(self) -> dict[str, Any]:
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ActivityFactory:
    """Builds inbound activities for one bot, reached through one service URL."""

    service_url: str
    bot_name: str
    scope: Scope = "personal"
    tenant_id: str = CONSOLE_TENANT_ID
    thread_id: str = field(default_factory=new_message_id)  # the channel thread we talk in

    @property
    def bot_account(self) -> dict[str, Any]:
        return {"id": f"28:{CONSOLE_BOT_APP_ID}", "name": self.bot_name}

    def conversation_id(self, person: Person) -> str:
        """Where `person` talks to the bot: their 1:1 chat, or the shared channel thread."""
        if self.scope == "channel":
            return f"{CONSOLE_TEAM_ID};messageid={self.thread_id}"
        digest = hashlib.sha256(f"{CONSOLE_BOT_APP_ID}|{person.teams_id}".encode()).hexdigest()
        return "a:1" + digest[:40]

    def without_mention(self, text: str) -> tuple[str, bool]:
        """The text without a leading mention of the bot typed as in Teams (`@opsbot help`,
        `<at>opsbot</at> help`), and whether there was one."""
        name = re.escape(self.bot_name)
        mention = re.compile(rf"\s*(?:<at>\s*{name}\s*</at>|@{name}(?![\w-]))[\s,:]*", re.I)
        found = mention.match(text)
        return (text[found.end() :], True) if found else (text, False)

    def message(self, text: str, person: Person) -> dict[str, Any]:
        """A typed message; in a channel it @mentions the bot, as Teams requires. A mention the
        person typed becomes a real one (a tag and its entity), as Teams sends it."""
        activity = self._base("message", new_message_id(), person, None)
        text, mentioned = self.without_mention(text)
        if self.scope == "channel" or mentioned:
            tag = f"<at>{self.bot_name}</at>"
            text = f"{tag} {text}"
            mention = {"type": "mention", "text": tag, "mentioned": self.bot_account}
            activity["entities"] = [mention]
        activity.update(text=text, textFormat="plain")
        return activity

    def card_action(
        self,
        verb: str,
        data: dict[str, Any],
        person: Person,
        reply_to_id: str,
        conversation_id: str,
        trigger: Literal["manual", "automatic"] = "manual",
    ) -> dict[str, Any]:
        """An Action.Execute press (or a refresh) on the card in message `reply_to_id`."""
        activity = self._base("invoke", f"f:{uuid.uuid4().int}", person, conversation_id)
        activity.update(
            name="adaptiveCard/action",
            replyToId=reply_to_id,
            value={
                "action": {"type": "Action.Execute", "verb": verb, "data": data},
                "trigger": trigger,
            },
        )
        activity["channelData"]["source"] = {"name": "message"}
        return activity

    def submit(
        self, data: dict[str, Any], person: Person, reply_to_id: str, conversation_id: str
    ) -> dict[str, Any]:
        """An Action.Submit press: a message with the card's data in `value` and no text."""
        activity = self._base("message", new_message_id(), person, conversation_id)
        activity.update(value=data, replyToId=reply_to_id)
        return activity

    def _base(
        self, kind: str, activity_id: str, person: Person, conversation_id: str | None
    ) -> dict[str, Any]:
        conversation: dict[str, Any] = {
            "id": conversation_id or self.conversation_id(person),
            "conversationType": self.scope,
            "tenantId": self.tenant_id,
        }
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.scope == "channel":
            conversation["isGroup"] = True
            team = {"id": CONSOLE_TEAM_ID}
            data.update(team=team, channel=team, teamsTeamId=team["id"], teamsChannelId=team["id"])
        now = datetime.now(UTC)
        return {
            "type": kind,
            "id": activity_id,
            "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": person.account(),
            "conversation": conversation,
            "recipient": self.bot_account,
            "channelData": data,
            "locale": "en-US",
        }
