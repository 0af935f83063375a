"""The Teams activity handler: a translator between activities and the plain-Python core."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ChannelAccount, ConversationReference

from teams_bot.actions.router import ActionRouter
from teams_bot.bf.activity import (
    caller_of,
    command_text,
    is_from_bot,
    reference_dict,
    where_of,
)
from teams_bot.bf.cards import bad_invoke, invoke_response, press_from, share
from teams_bot.commands.context import CardReply, Reply
from teams_bot.dispatch import Dispatcher, Request
from teams_bot.logs import correlation_id, new_correlation_id
from teams_bot.storage.conversations import ConversationStore, StoredConversation

log = logging.getLogger(__name__)


def to_activity(reply: Reply) -> Activity:
    """A reply as a message activity: markdown text, or an Adaptive Card with a text summary."""
    if isinstance(reply, CardReply):
        activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        activity.summary = reply.summary
        return activity
    activity = MessageFactory.text(reply)
    activity.text_format = "markdown"
    return activity


class OpsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Routes messages to the dispatcher and remembers every conversation it is part of."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        conversations: ConversationStore,
        bot_name: str,
        router: ActionRouter,
    ) -> None:
        self.dispatcher = dispatcher
        self.conversations = conversations
        self.bot_name = bot_name
        self.router = router
        self._known: dict[str, str] = {}  # conversation id -> service url already stored
        self.adapter_app_id = ""

    async def on_turn(self, turn_context: TurnContext) -> None:
        correlation_id.set(new_correlation_id())
        activity = turn_context.activity
        if activity.type == "message" and is_from_bot(activity):
            return
        await self._remember(activity)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text, mentions = command_text(turn_context.activity)
        if not text:
            if turn_context.activity.value is not None:
                await self.on_card_submit(turn_context)
                return
            text = "help"
        request = Request(
            text=text,
            caller=caller_of(turn_context.activity),
            where=where_of(turn_context.activity),
            correlation_id=correlation_id.get(),
            mentions=mentions,
        )
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        reply = await self.dispatcher.handle(request, self._late_reply(turn_context, reference))
        await self._send(turn_context, reply)

    async def _send(self, turn_context: TurnContext, reply: Reply) -> None:
        sent = await turn_context.send_activity(to_activity(reply))
        if isinstance(reply, CardReply) and reply.on_posted and sent and sent.id:
            await reply.on_posted(sent.id)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        if turn_context.activity.name == "adaptiveCard/action":
            return await self._card_action(turn_context)
        result: InvokeResponse | None = await super().on_invoke_activity(turn_context)
        return result

    async def _card_action(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute (Universal Actions): the same checks as every other entry point."""
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            return InvokeResponse(status=400, body=bad_invoke("not an Action.Execute invoke"))
        data = action.get("data")
        token = data.get("actionId") if isinstance(data, dict) else None
        press = press_from(turn_context, token, str(action.get("verb") or ""))
        result = await self.router.press(press)
        await share(turn_context, result)
        return InvokeResponse(status=200, body=invoke_response(result))

    async def on_card_submit(self, turn_context: TurnContext) -> None:
        """Action.Submit from clients without Universal Actions: a message carrying `value`."""
        value = turn_context.activity.value
        token = value.get("actionId") if isinstance(value, dict) else None
        verb = value.get("verb") if isinstance(value, dict) else None
        result = await self.router.press(press_from(turn_context, token, verb))
        if result.for_everyone:
            await share(turn_context, result)
        else:
            await turn_context.send_activity(to_activity(result.message))

    def _late_reply(self, turn_context: TurnContext, reference: ConversationReference):  # type: ignore[no-untyped-def]
        adapter = turn_context.adapter
        claims = turn_context.turn_state.get(adapter.BOT_IDENTITY_KEY)
        audience = turn_context.turn_state.get(adapter.BOT_OAUTH_SCOPE_KEY)

        async def post(reply: Reply) -> None:
            async def send(context: TurnContext) -> None:
                await context.send_activity(to_activity(reply))

            await adapter.continue_conversation_with_claims(claims, reference, audience, send)

        return post

    async def on_teams_members_added(  # type: ignore[override]
        self,
        teams_members_added: list[ChannelAccount],
        team_info: object,
        turn_context: TurnContext,
    ) -> None:
        bot_id = turn_context.activity.recipient.id
        if any(member.id == bot_id for member in teams_members_added):
            await turn_context.send_activity(self._welcome())

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        if turn_context.activity.conversation.conversation_type == "personal":
            await turn_context.send_activity(self._welcome())

    def _welcome(self) -> Activity:
        return to_activity(
            f"Hi, I'm **{self.bot_name}**. Mention me with a command, for example "
            f"`@{self.bot_name} help`. Everything you ask me to do is audited."
        )

    async def _remember(self, activity: Activity) -> None:
        where = where_of(activity)
        if not where.conversation_id or self._known.get(where.conversation_id) == where.service_url:
            return
        await self.conversations.save(
            StoredConversation(
                conversation_id=where.conversation_id,
                conversation_type=where.conversation_type,
                tenant_id=where.tenant_id,
                team_id=where.team_id,
                channel_id=where.channel_id,
                service_url=where.service_url,
                reference=reference_dict(activity),
                updated_at=datetime.now(UTC),
            )
        )
        self._known[where.conversation_id] = where.service_url
