"""The Teams activity handler: a translator between activities and the plain-Python core."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationReference

from dialogs.approval import ApprovalDialogs
from teams_bot.actions import router
from teams_bot.actions.models import PressResult
from teams_bot.approvals import service as approvals
from teams_bot.approvals.reactions import reacted
from teams_bot.approvals.requests import ApprovalRequest
from teams_bot.bf import membership
from teams_bot.bf.activity import (
    caller_of,
    command_text,
    is_from_bot,
    reference_dict,
    where_of,
)
from teams_bot.bf.cards import invoke_response, press_from, share
from teams_bot.bf.invokes import answer_for, refused_invoke, unavailable_invoke
from teams_bot.bf.private import tell_presser
from teams_bot.bf.replies import to_activity
from teams_bot.commands.context import CardReply, Reply
from teams_bot.dedup import activity_key, first_delivery
from teams_bot.dispatch import Dispatcher, NeedsApproval, Request
from teams_bot.logs import correlation_id, new_correlation_id
from teams_bot.services import Services
from teams_bot.storage.conversations import StoredConversation
from teams_bot.storage.outage import STORAGE_UNAVAILABLE, is_storage_outage

log = logging.getLogger(__name__)


class OpsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Routes messages to the dispatcher, card presses to the routers, and remembers every
    conversation it is part of (for proactive cards)."""

    def __init__(self, services: Services, dispatcher: Dispatcher) -> None:
        self.services = services
        self.dispatcher = dispatcher
        self.conversations = services.conversations
        self.bot_name = services.settings.bot_name
        self.dialogs = ApprovalDialogs(services.bot_storage, self._file_with_reason)
        self._known: dict[str, str] = {}  # conversation id -> service url already stored

    async def on_turn(self, turn_context: TurnContext) -> None:
        correlation_id.set(new_correlation_id())
        activity = turn_context.activity
        if activity.type == "message" and is_from_bot(activity):
            return
        if activity.channel_id not in self.services.settings.allowed_channels:
            await self._refuse_channel(turn_context)
            return
        try:
            if activity.type == "message" and not await self._first_delivery(activity):
                log.info("activity %r delivered again (a channel retry): handled once", activity.id)
                return
            await self._remember(activity)
            await super().on_turn(turn_context)
        except Exception as exc:
            if not is_storage_outage(exc):
                raise
            log.warning("storage unavailable during a %s turn: %s", activity.type, exc)
            await self._say_storage_unavailable(turn_context)

    async def _say_storage_unavailable(self, turn_context: TurnContext) -> None:
        if turn_context.activity.type == "invoke":
            response = unavailable_invoke(STORAGE_UNAVAILABLE)
            await turn_context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=response)
            )
        elif turn_context.activity.type == "message":
            await turn_context.send_activity(to_activity(STORAGE_UNAVAILABLE))

    async def _refuse_channel(self, turn_context: TurnContext) -> None:
        """Only the configured channels (Teams) vouch for who is asking: nothing runs."""
        channel = str(turn_context.activity.channel_id or "")
        log.warning("an activity from channel %r was refused (TEAMS_BOT_ALLOWED_CHANNELS)", channel)
        text = "I only take requests from Microsoft Teams, where your identity is verified."
        if turn_context.activity.type == "message":
            await turn_context.send_activity(to_activity(text))
        elif turn_context.activity.type == "invoke":
            await turn_context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=refused_invoke(text))
            )

    async def _first_delivery(self, activity: Activity) -> bool:
        """Teams retries a message it thinks was lost: a typed command must not run twice."""
        if not activity.id:
            return True
        conversation = activity.conversation.id if activity.conversation else ""
        key = activity_key(str(activity.channel_id or ""), conversation, str(activity.id))
        return await first_delivery(self.services.db, key, datetime.now(UTC))

    # -- typed commands -----------------------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text, mentions = command_text(turn_context.activity)
        if not text and turn_context.activity.value is not None:
            await self.on_card_submit(turn_context)
            return
        if text and not self.dispatcher.registry.knows(text):
            turn_context.activity.text = text  # dialogs read the text without the bot's mention
            if await self.dialogs.continue_active(turn_context, text):
                return  # it answered a question the bot asked (e.g. why approval is needed)
        request = Request(
            text=text or "help",
            caller=caller_of(turn_context.activity),
            where=where_of(turn_context.activity),
            correlation_id=correlation_id.get(),
            mentions=mentions,
        )
        reference = TurnContext.get_conversation_reference(turn_context.activity)
        reply = await self.dispatcher.handle(request, self._late_reply(turn_context, reference))
        if isinstance(reply, NeedsApproval):
            await self._request_approval(turn_context, reply.request)
        else:
            await self._send(turn_context, reply)

    async def _send(self, turn_context: TurnContext, reply: Reply) -> None:
        sent = await turn_context.send_activity(to_activity(reply))
        if isinstance(reply, CardReply) and reply.on_posted and sent and sent.id:
            await reply.on_posted(sent.id)

    # -- approvals --------------------------------------------------------------------------
    async def _request_approval(self, turn_context: TurnContext, request: ApprovalRequest) -> None:
        """Ask why first when policy wants a reason; then post the approval card here."""
        if request.require_reason:
            await self.dialogs.begin(turn_context, request.to_json())
        else:
            await self._file(turn_context, request, "")

    async def _file_with_reason(
        self, turn_context: TurnContext, request: dict[str, Any], reason: str
    ) -> None:
        await self._file(turn_context, ApprovalRequest.from_json(request), reason)

    async def _file(self, turn_context: TurnContext, request: ApprovalRequest, reason: str) -> None:
        await self._send(turn_context, await approvals.file(self.services, request, reason))

    # -- card buttons -----------------------------------------------------------------------
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        activity = turn_context.activity
        if activity.name == "adaptiveCard/action":
            return await self._card_action(turn_context)
        return answer_for(activity.name, activity.value)

    async def _card_action(self, turn_context: TurnContext) -> InvokeResponse:
        """Action.Execute (Universal Actions): the same checks as every other entry point."""
        value = turn_context.activity.value
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            return answer_for("adaptiveCard/action", value)  # 200 carrying a 400 error body
        raw = action.get("data")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        verb = action.get("verb")
        result = await self._press(turn_context, data, verb if isinstance(verb, str) else "")
        return InvokeResponse(status=200, body=invoke_response(result))

    async def on_card_submit(self, turn_context: TurnContext) -> None:
        """Action.Submit from clients without Universal Actions: a message carrying `value`."""
        value = turn_context.activity.value
        data = value if isinstance(value, dict) else {}
        verb = data.get("verb")
        result = await self._press(turn_context, data, verb if isinstance(verb, str) else None)
        if not result.for_everyone and result.outcome != "ok":
            await tell_presser(turn_context, result.message)

    async def _press(
        self, turn_context: TurnContext, data: dict[str, Any], verb: str | None
    ) -> PressResult:
        result = await router.press(self.services, press_from(turn_context, data, verb))
        await share(turn_context, result)
        if result.approval_request is not None:
            await self._request_approval(turn_context, result.approval_request)
        return result

    # -- late replies, welcome, conversation references -------------------------------------
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
        if _bot_among(teams_members_added, turn_context):
            await membership.welcome_once(self.services, turn_context)

    async def on_reactions_added(  # type: ignore[override]
        self, message_reactions: list[Any], turn_context: TurnContext
    ) -> None:
        """A 👍 on an approval card by an eligible approver counts as Approve."""
        activity = turn_context.activity
        kinds = [str(getattr(r, "type", "") or "") for r in message_reactions or []]
        said = await reacted(
            self.services,
            caller_of(activity),
            where_of(activity),
            str(activity.reply_to_id or ""),
            kinds,
            correlation_id.get(),
        )
        if said:
            log.info("a reaction counted as a vote: %s", said)

    async def on_teams_members_added_dispatch(  # type: ignore[override]
        self, members_added: list[ChannelAccount], team_info: Any, turn_context: TurnContext
    ) -> None:
        """botbuilder looks each added member up in the roster and fails the turn when one is
        not there yet (a 404); the welcome only needs to know whether the bot was added."""
        try:
            await super().on_teams_members_added_dispatch(members_added, team_info, turn_context)
        except Exception as exc:
            log.info("member lookup for added members failed (%s); using the accounts as sent", exc)
            await self.on_teams_members_added(members_added, team_info, turn_context)

    async def on_teams_members_removed(  # type: ignore[override]
        self,
        teams_members_removed: list[ChannelAccount],
        team_info: object,
        turn_context: TurnContext,
    ) -> None:
        if _bot_among(teams_members_removed, turn_context):
            await membership.forget(self.services, turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await membership.welcome_once(self.services, turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await membership.forget(self.services, turn_context)

    async def on_teams_channel_deleted(  # type: ignore[override]
        self, channel_info: Any, team_info: object, turn_context: TurnContext
    ) -> None:
        await membership.forget_channel(self.services, str(getattr(channel_info, "id", "") or ""))

    async def on_teams_team_deleted(  # type: ignore[override]
        self, team_info: object, turn_context: TurnContext
    ) -> None:
        await membership.forget(self.services, turn_context)

    async def on_teams_team_hard_deleted(  # type: ignore[override]
        self, team_info: object, turn_context: TurnContext
    ) -> None:
        await membership.forget(self.services, turn_context)

    async def _remember(self, activity: Activity) -> None:
        """Keep the conversation's reference for proactive posts; a channel thread's also as
        its channel's (alerts and freezes post new threads there)."""
        where = where_of(activity)
        if not where.conversation_id or self._known.get(where.conversation_id) == where.service_url:
            return
        reference = reference_dict(activity)
        ids = {where.conversation_id, where.conversation_id.split(";")[0]}
        for conversation_id in ids:
            conversation = {**(reference.get("conversation") or {}), "id": conversation_id}
            await self.conversations.save(
                StoredConversation(
                    conversation_id=conversation_id,
                    conversation_type=where.conversation_type,
                    tenant_id=where.tenant_id,
                    team_id=where.team_id,
                    channel_id=where.channel_id,
                    service_url=where.service_url,
                    reference={**reference, "conversation": conversation},
                    updated_at=datetime.now(UTC),
                )
            )
        self._known[where.conversation_id] = where.service_url


def _bot_among(members: list[ChannelAccount], turn_context: TurnContext) -> bool:
    recipient = turn_context.activity.recipient
    bot_id = recipient.id if recipient else None
    return any(getattr(member, "id", None) == bot_id for member in members or [])
