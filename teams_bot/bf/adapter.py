"""CloudAdapter whose outbound calls go through the pooled ConnectorSender."""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ConversationReference,
    ResourceResponse,
)
from botframework.connector import Channels
from botframework.connector.auth import ClaimsIdentity

from teams_bot.bf.auth import GuardedAuthentication
from teams_bot.bf.sender import BearerSource, ConnectorSender


class OpsAdapter(CloudAdapter):  # type: ignore[misc]
    """botbuilder's CloudAdapter (inbound auth, turn pipeline); faster, retrying outbound path."""

    def __init__(self, auth: GuardedAuthentication, sender: ConnectorSender) -> None:
        super().__init__(auth)
        self.auth = auth
        self.sender = sender

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            activity.id = None
            responses.append(await self._send_one(context, activity))
        return responses

    async def _send_one(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        if activity.type == "delay":
            await asyncio.sleep((activity.value or 1000) / 1000)
            return ResourceResponse(id="")
        if activity.type == ActivityTypes.invoke_response:
            context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            return ResourceResponse(id="")
        if activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
            return ResourceResponse(id="")
        new_id = await self.sender.send(
            _service_url(context, activity),
            activity.conversation.id,
            wire_format(activity),
            await self._bearer(context),
            reply_to_id=activity.reply_to_id,
        )
        return ResourceResponse(id=new_id)

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        new_id = await self.sender.update(
            _service_url(context, activity),
            activity.conversation.id,
            activity.id,
            wire_format(activity),
            await self._bearer(context),
        )
        return ResourceResponse(id=new_id)

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        await self.sender.delete(
            reference.service_url or context.activity.service_url,
            reference.conversation.id,
            reference.activity_id,
            await self._bearer(context),
        )

    async def _bearer(self, context: TurnContext) -> BearerSource:
        identity: ClaimsIdentity | None = context.turn_state.get(self.BOT_IDENTITY_KEY)
        claims: dict[str, Any] = (identity.claims if identity else None) or {}
        app_id = str(claims.get("aud") or claims.get("appid") or self.auth.app_id)
        audience = context.turn_state.get(self.BOT_OAUTH_SCOPE_KEY)
        credentials = await self.auth.credentials_for(app_id, audience)
        return credentials.bearer


def wire_format(activity: Activity) -> dict[str, Any]:
    """The activity as JSON. Attachment content (card dicts) is already JSON, so it is passed
    through instead of being walked value by value by msrest's generic serializer."""
    attachments = activity.attachments or []
    activity.attachments = None
    try:
        body: dict[str, Any] = activity.serialize()
    finally:
        activity.attachments = attachments or None
    if attachments:
        body["attachments"] = [_attachment(a) for a in attachments]
    return body


def _attachment(attachment: Attachment) -> dict[str, Any]:
    fields = {
        "contentType": attachment.content_type,
        "contentUrl": attachment.content_url,
        "content": attachment.content,
        "name": attachment.name,
        "thumbnailUrl": attachment.thumbnail_url,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _service_url(context: TurnContext, activity: Activity) -> str:
    return str(activity.service_url or context.activity.service_url)
