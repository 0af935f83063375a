"""The long-lived parts of a running bot, built once at start and shared by every turn."""

from __future__ import annotations

from dataclasses import dataclass

from teams_bot.commands.registry import CommandRegistry
from teams_bot.policy import Policy
from teams_bot.settings import Settings
from teams_bot.storage.audit import AuditLog
from teams_bot.storage.bot_state import SqlBotStorage
from teams_bot.storage.conversations import ConversationStore
from teams_bot.storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    audit: AuditLog
    conversations: ConversationStore
    bot_storage: SqlBotStorage
    policy: Policy
    registry: CommandRegistry
    version: str
