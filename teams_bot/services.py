"""The long-lived parts of a running bot, built once at start and shared by every turn."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from teams_bot import __version__
from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.store import ActionStore
from teams_bot.authz import Authorizer
from teams_bot.automation.config import AutomationConfig, load_automation
from teams_bot.background import BackgroundTasks
from teams_bot.commands.registry import CommandRegistry
from teams_bot.graph import GraphGroupResolver
from teams_bot.policy import Policy, load_policy
from teams_bot.settings import Settings
from teams_bot.storage.audit import AuditLog
from teams_bot.storage.bot_state import SqlBotStorage
from teams_bot.storage.conversations import ConversationStore
from teams_bot.storage.db import Database

log = logging.getLogger(__name__)

# Replace the card in message `activity_id` of conversation `conversation_id` (proactively).
Publisher = Callable[[str, str, dict[str, Any]], Awaitable[None]]


async def _no_publisher(conversation_id: str, activity_id: str, content: dict[str, Any]) -> None:
    log.warning("message %s changed but no publisher is attached", activity_id)


Sayer = Callable[[str, Any], Awaitable[str]]  # post a Reply in a conversation; its message id


async def _no_sayer(conversation_id: str, reply: Any) -> str:
    log.warning("a message for %s was dropped: no sender is attached", conversation_id)
    return ""


@dataclass
class Services:
    settings: Settings
    db: Database
    audit: AuditLog
    conversations: ConversationStore
    bot_storage: SqlBotStorage
    policy: Policy
    authorizer: Authorizer
    registry: CommandRegistry
    actions: ActionStore
    signer: ActionSigner
    automation: AutomationConfig
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    publish: Publisher = _no_publisher  # set by the Bot Framework layer: update a posted card
    say: Sayer = _no_sayer  # set by the Bot Framework layer: post a new message
    approvals: Any = None  # teams_bot.approvals.service.ApprovalService, set at start
    version: str = __version__


def action_signer(settings: Settings) -> ActionSigner:
    if settings.action_secret:
        return ActionSigner(settings.action_secret.get_secret_value().encode("utf-8"))
    log.warning(
        "TEAMS_BOT_ACTION_SECRET is not set: card buttons are signed with a random key and stop "
        "working after a restart or on another replica"
    )
    return ActionSigner(secrets.token_bytes(32))


async def build_services(
    settings: Settings, registry: CommandRegistry, http: aiohttp.ClientSession
) -> Services:
    """Open the database (migrating it) and build everything the turns share."""
    policy = load_policy(settings.policy_file)
    automation = load_automation(settings.config_file)
    db = await Database.connect(settings.resolved_database_url(), schema=settings.database_schema)
    await db.migrate()
    groups = GraphGroupResolver.from_settings(settings, http, policy=policy)
    return Services(
        settings=settings,
        db=db,
        audit=AuditLog(db),
        conversations=ConversationStore(db),
        bot_storage=SqlBotStorage(db),
        policy=policy,
        authorizer=Authorizer(policy, groups),
        registry=registry,
        actions=ActionStore(db),
        signer=action_signer(settings),
        automation=automation,
    )
