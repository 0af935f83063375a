"""One typed settings object, read from the environment and `.env`.

Azure Bot's conventional names (`MicrosoftAppId`, ...) and botbuilder's sovereign-cloud names
(`CHANNEL_SERVICE`, ...) are read as they are; project settings carry the `TEAMS_BOT_` prefix.
A missing or malformed value fails at start with the setting's name.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from teams_bot.secret_env import scrub_environment

log = logging.getLogger(__name__)

AppType = Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"]
# Azure Bot Service creates no multi-tenant bots after 31 July 2025; existing ones still run.
MULTI_TENANT_WARNING = (
    "MicrosoftAppType=MultiTenant: Azure Bot Service no longer creates multi-tenant bots; "
    "this works only for a bot registered before August 2025. For a new bot use "
    "UserAssignedMSI (recommended, no password) or SingleTenant with MicrosoftAppTenantId"
)
_DEFAULT_TYPE_HINT = " (the default; a bot registered as multi-tenant sets MultiTenant)"


def _azure(name: str) -> Any:
    """A field read from an Azure Bot / botbuilder setting name, exactly as Azure spells it."""
    return Field(default=None, validation_alias=AliasChoices(name))


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="TEAMS_BOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    # Azure Bot registration (names as the Azure portal and botbuilder use them).
    microsoft_app_id: str | None = _azure("MicrosoftAppId")
    microsoft_app_password: SecretStr | None = _azure("MicrosoftAppPassword")
    microsoft_app_type: AppType = Field(
        default="SingleTenant", validation_alias=AliasChoices("MicrosoftAppType")
    )
    microsoft_app_tenant_id: str | None = _azure("MicrosoftAppTenantId")

    # botbuilder's sovereign-cloud settings, passed through unchanged.
    channel_service: str | None = _azure("CHANNEL_SERVICE")
    to_bot_from_channel_openid_metadata_url: str | None = _azure(
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"
    )
    to_bot_from_channel_token_issuer: str | None = _azure("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER")
    to_channel_from_bot_login_url: str | None = _azure("TO_CHANNEL_FROM_BOT_LOGIN_URL")
    to_channel_from_bot_oauth_scope: str | None = _azure("TO_CHANNEL_FROM_BOT_OAUTH_SCOPE")

    # Project settings (TEAMS_BOT_*).
    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    data_dir: Path = Path("data")
    database_url: SecretStr | None = None
    database_schema: str | None = None  # PostgreSQL only: tables live in this schema
    policy_file: Path | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    bot_name: str = "opsbot"
    turn_deadline_seconds: float = Field(default=8.0, gt=0, le=14)
    allowed_tenants: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Bot Framework channels whose activities may run commands and press buttons: only Teams
    # vouches for from.aadObjectId and the tenant (Web Chat, Direct Line do not).
    allowed_channels: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["msteams"])
    dangerously_allow_unauthenticated_remote: bool = False
    # GET /metrics: open to loopback; from elsewhere only with "Authorization: Bearer <this>".
    metrics_token: SecretStr | None = None

    # Automation (inventory sources, runners): a TOML file, see infra/config.example.toml.
    config_file: Path | None = None
    # Card actions: HMAC key for action ids (any long random string; the same on every replica).
    action_secret: SecretStr | None = None
    action_ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    # Microsoft Graph, for Azure AD group membership in policy (app token from the bot's identity).
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_authority: str | None = None  # default: login.microsoftonline.com/<tenant>
    graph_cache_seconds: int = Field(default=300, ge=0, le=86400)

    # Approvals: how often pending approvals are checked for expiry (every replica checks).
    approval_scan_seconds: float = Field(default=15, gt=0, le=300)
    # Retention: closed and expired cards, buttons and decided approvals older than this are
    # pruned by the maintenance scan; the audit log is never pruned.
    retention_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("allowed_tenants", "allowed_channels", mode="before")
    @classmethod
    def _split_tenants(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> Settings:
        if not self.microsoft_app_id:
            if "microsoft_app_type" not in self.model_fields_set:
                # Local development mode authenticates nothing: botbuilder runs without
                # credentials only as MultiTenant (as the console's local settings do).
                self.microsoft_app_type = "MultiTenant"
            return self
        if self.microsoft_app_type == "MultiTenant":
            log.warning(MULTI_TENANT_WARNING)
        problems = self._credential_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _credential_problems(self) -> list[str]:
        """Every missing credential at once, each naming its setting."""
        problems = []
        app_type = self.microsoft_app_type
        if app_type in ("SingleTenant", "UserAssignedMSI") and not self.microsoft_app_tenant_id:
            hint = "" if "microsoft_app_type" in self.model_fields_set else _DEFAULT_TYPE_HINT
            problems.append(
                f"MicrosoftAppTenantId is required when MicrosoftAppType is {app_type}{hint}"
            )
        if not self.action_secret or len(self.action_secret.get_secret_value()) < 16:
            problems.append(
                "TEAMS_BOT_ACTION_SECRET (at least 16 characters) is required when "
                "MicrosoftAppId is set: it signs card buttons, the same on every replica"
            )
        if app_type != "UserAssignedMSI" and not self.app_password:
            problems.append("MicrosoftAppPassword is required when MicrosoftAppId is set")
        return problems

    @property
    def app_password(self) -> str:
        return self.microsoft_app_password.get_secret_value() if self.microsoft_app_password else ""

    @property
    def auth_enabled(self) -> bool:
        """False only in local development mode (no app id): tokens are not checked."""
        return bool(self.microsoft_app_id)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url.get_secret_value()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'teams-bot.db').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise SettingsError naming the offending setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "settings"
        name = loc if loc != "settings" else ""
        setting = _env_name(name) if name else ""
        msg = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{setting}: {msg}" if setting else msg)
    return "; ".join(lines)


def _env_name(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    if field is None:  # pydantic reports aliased fields by their alias, already the setting name
        return field_name
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return f"TEAMS_BOT_{field_name.upper()}"


def effective_settings(settings: Settings) -> dict[str, str]:
    """Setting name -> printable value, secrets hidden (for `teams-bot check-config`)."""
    shown: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = "********" if value.get_secret_value() else "(empty)"
        elif value is None or value == []:
            text = "(not set)"
        else:
            text = str(value)
        shown[_env_name(name)] = text
    return shown


SECRET_SETTINGS = (
    "MicrosoftAppPassword",
    "TEAMS_BOT_ACTION_SECRET",
    "TEAMS_BOT_DATABASE_URL",
    "TEAMS_BOT_METRICS_TOKEN",
)


def secret_values(settings: Settings) -> list[str]:
    """The secret values in this configuration, to mask in logs and in job output."""
    values = [settings.app_password]
    for secret in (settings.action_secret, settings.database_url, settings.metrics_token):
        values.append(secret.get_secret_value() if secret else "")
    if settings.database_url:  # the password alone may be printed too
        password = urlsplit(settings.database_url.get_secret_value()).password
        values.append(unquote(password) if password else "")
    return [value for value in values if value]


def protect_secrets(settings: Settings) -> list[str]:
    """After settings are loaded: secrets out of the process environment (and its /proc view),
    masked in job output. Call once per serving process, after starting worker processes that
    read the environment themselves. Returns the variable names removed."""
    from teams_bot.automation.output import register_secrets  # keeps settings import-light

    values = secret_values(settings)
    register_secrets(values)
    return scrub_environment(SECRET_SETTINGS, values)


def tenancy_warning(settings: Settings) -> str | None:
    """A warning when any Azure AD tenant may use the bot (multi-tenant app, no allow-list)."""
    if not settings.auth_enabled or settings.allowed_tenants:
        return None
    if settings.microsoft_app_type != "MultiTenant":
        return None
    return (
        "TEAMS_BOT_ALLOWED_TENANTS is not set and MicrosoftAppType is MultiTenant: users of "
        "every Azure AD tenant that installs the app can use the bot; set it to your tenant id(s)"
    )
