"""The long-lived parts of a running bot, built complete once at start, then frozen.

Every turn, button, job and scan gets the same `Services`. Nothing in it is set later: the
Bot Framework layer's messenger is built first and handed in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import aiohttp

from teams_bot import __version__
from teams_bot.actions.signing import ActionSigner
from teams_bot.actions.store import ActionStore
from teams_bot.approvals.store import ApprovalStore
from teams_bot.authz import Authorizer
from teams_bot.automation.config import AutomationConfig, load_automation
from teams_bot.background import BackgroundTasks
from teams_bot.commands.registry import CommandRegistry
from teams_bot.gate import Gate
from teams_bot.graph import GraphGroupResolver
from teams_bot.jobs.locks import TargetLocks
from teams_bot.jobs.updates import CardUpdates
from teams_bot.kit import Catalog
from teams_bot.messenger import Messenger
from teams_bot.policy import Policy, load_policy
from teams_bot.settings import Settings
from teams_bot.storage.audit import AuditLog
from teams_bot.storage.bot_state import SqlBotStorage
from teams_bot.storage.conversations import ConversationStore
from teams_bot.storage.db import Database

log = logging.getLogger(__name__)

CARD_UPDATE_INTERVAL_S = 2.0


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    audit: AuditLog
    conversations: ConversationStore
    bot_storage: SqlBotStorage
    policy: Policy
    authorizer: Authorizer
    gate: Gate
    catalog: Catalog
    actions: ActionStore
    locks: TargetLocks
    approvals: ApprovalStore
    signer: ActionSigner
    automation: AutomationConfig
    messenger: Messenger
    card_updates: CardUpdates
    tasks: BackgroundTasks
    version: str = __version__

    @property
    def registry(self) -> CommandRegistry:
        return self.catalog.commands


def action_signer(settings: Settings) -> ActionSigner:
    if settings.action_secret:
        return ActionSigner(settings.action_secret.get_secret_value().encode("utf-8"))
    log.warning(
        "TEAMS_BOT_ACTION_SECRET is not set: card buttons are signed with a random key and stop "
        "working after a restart or on another replica"
    )
    return ActionSigner(secrets.token_bytes(32))


async def open_database(settings: Settings) -> Database:
    db = await Database.connect(settings.resolved_database_url(), schema=settings.database_schema)
    await db.migrate()
    return db


async def build_services(
    settings: Settings,
    catalog: Catalog,
    http: aiohttp.ClientSession,
    db: Database,
    messenger: Messenger,
) -> Services:
    """Everything the turns share, on an open (migrated) database."""
    policy = load_policy(settings.policy_file)
    automation = load_automation(settings.config_file)
    groups = GraphGroupResolver.from_settings(settings, http, policy=policy)
    authorizer = Authorizer(policy, groups)
    audit = AuditLog(db)
    return Services(
        settings=settings,
        db=db,
        audit=audit,
        conversations=ConversationStore(db),
        bot_storage=SqlBotStorage(db),
        policy=policy,
        authorizer=authorizer,
        gate=Gate(
            authorizer,
            settings.allowed_tenants,
            audit,
            [make(settings, db) for make in catalog.guards],
        ),
        catalog=catalog,
        actions=ActionStore(db),
        locks=TargetLocks(db),
        approvals=ApprovalStore(db),
        signer=action_signer(settings),
        automation=automation,
        messenger=messenger,
        card_updates=CardUpdates(messenger.update_card, CARD_UPDATE_INTERVAL_S),
        tasks=BackgroundTasks(),
    )
