"""Fill the manifest template from the bot's id and name and options; write the sideloadable zip.

It needs only what the package names (bot id, name, domain or website): no secrets, no tenant.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from teams_bot import __version__
from teams_bot.commands.registry import CommandRegistry
from teams_bot.manifest.commandlists import command_lists
from teams_bot.manifest.template import (
    COLOR_ICON,
    OUTLINE_ICON,
    TEMPLATE_FILE,
    TemplateError,
    fill,
    placeholders_left,
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_DOMAIN = re.compile(r"(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?")
DEFAULT_SHORT_DESCRIPTION = "Audited, permissioned ChatOps commands for your team."
DEFAULT_FULL_DESCRIPTION = (
    "Run operations commands from Microsoft Teams: deployments, automation and alerts, each "
    "checked against your Azure AD roles and recorded in an audit log. Mention the bot and type "
    "'help' to see what you may do."
)


class BotIdentity(Protocol):
    """What the package takes from the configuration (the runtime Settings have these too)."""

    @property
    def microsoft_app_id(self) -> str | None: ...

    @property
    def bot_name(self) -> str: ...


class BuildError(ValueError):
    """The package cannot be built as asked; the message says what to pass."""


@dataclass(frozen=True)
class BuildOptions:
    """What `teams-bot manifest build` can set; None means the default."""

    app_id: str | None = None
    bot_id: str | None = None
    name: str | None = None
    full_name: str | None = None
    description: str | None = None
    full_description: str | None = None
    domains: tuple[str, ...] = ()
    developer_name: str | None = None
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None
    app_version: str | None = None


def _bot_id(settings: BotIdentity, options: BuildOptions) -> str:
    bot_id = options.bot_id or settings.microsoft_app_id
    if not bot_id:
        raise BuildError("no bot id: set MicrosoftAppId or pass --bot-id")
    if not _GUID.fullmatch(bot_id):
        raise BuildError(f"bot id {bot_id!r} is not a GUID (the Azure AD app's client id)")
    return bot_id


def _website(options: BuildOptions) -> str:
    if options.website_url:
        return options.website_url
    if not options.domains:
        raise BuildError("pass --domain (the bot's public host name) or --website-url")
    return f"https://{options.domains[0].removeprefix('*.')}/"


def manifest_values(
    settings: BotIdentity, options: BuildOptions, registry: CommandRegistry
) -> dict[str, Any]:
    """Placeholder name -> value, from options first, then settings, then defaults."""
    bot_id = _bot_id(settings, options)
    app_id = options.app_id or bot_id
    if not _GUID.fullmatch(app_id):
        raise BuildError(f"app id {app_id!r} is not a GUID")
    for domain in options.domains:
        if not _DOMAIN.fullmatch(domain):
            raise BuildError(f"--domain {domain!r} is not a host name (no scheme, no path)")
    name = options.name or settings.bot_name
    website = _website(options)
    return {
        "TEAMS_APP_ID": app_id,
        "BOT_ID": bot_id,
        "APP_VERSION": options.app_version or __version__,
        "APP_NAME_SHORT": name,
        "APP_NAME_FULL": options.full_name or f"{name} ChatOps bot",
        "APP_DESCRIPTION_SHORT": options.description or DEFAULT_SHORT_DESCRIPTION,
        "APP_DESCRIPTION_FULL": options.full_description or DEFAULT_FULL_DESCRIPTION,
        "DEVELOPER_NAME": options.developer_name or name,
        "DEVELOPER_WEBSITE_URL": website,
        "DEVELOPER_PRIVACY_URL": options.privacy_url or website,
        "DEVELOPER_TERMS_URL": options.terms_url or website,
        "VALID_DOMAINS": list(dict.fromkeys(options.domains)),
        "COMMAND_LISTS": command_lists(registry),
    }


def load_template(template_dir: Path) -> Any:
    path = template_dir / TEMPLATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError(f"cannot read the template {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise BuildError(f"{path} is not valid JSON: {exc}") from None


def build_manifest(
    settings: BotIdentity, options: BuildOptions, registry: CommandRegistry, template_dir: Path
) -> dict[str, Any]:
    """The filled manifest; BuildError if a value is missing or a placeholder has none."""
    values = manifest_values(settings, options, registry)
    try:
        manifest = fill(load_template(template_dir), values)
    except TemplateError as exc:
        raise BuildError(str(exc)) from None
    left = [f"{path}: ${{{{{name}}}}}" for path, name in placeholders_left(manifest)]
    if left:
        raise BuildError("placeholders left unfilled: " + ", ".join(left))
    if not isinstance(manifest, dict):
        raise BuildError("the template is not a JSON object")
    return manifest


def write_package(manifest: dict[str, Any], template_dir: Path, out: Path) -> None:
    """The zip Teams sideloads: manifest.json and both icons at its root."""
    files = {TEMPLATE_FILE: (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()}
    icons = manifest.get("icons") or {}
    for icon in (str(icons.get("color", COLOR_ICON)), str(icons.get("outline", OUTLINE_ICON))):
        try:
            files[icon] = (template_dir / icon).read_bytes()
        except OSError as exc:
            raise BuildError(f"cannot read {template_dir / icon}: {exc.strerror}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )
