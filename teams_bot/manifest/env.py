"""The two settings the app package takes, read like the runtime settings (environment, `.env`)
but without their checks: building a package needs no password, action secret or tenant id."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ManifestEnv(BaseSettings):
    """`MicrosoftAppId` (the bot id) and `TEAMS_BOT_BOT_NAME` (the short name)."""

    model_config = SettingsConfigDict(
        env_prefix="TEAMS_BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    microsoft_app_id: str | None = Field(
        default=None, validation_alias=AliasChoices("MicrosoftAppId")
    )
    bot_name: str = "opsbot"
