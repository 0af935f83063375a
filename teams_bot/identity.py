"""Who is asking, taken from the authenticated activity (never from card data)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    """The person behind an activity, as Teams and Azure AD identify them."""

    aad_object_id: str
    tenant_id: str
    display_name: str = ""
    teams_id: str = ""  # "29:..." (what Teams' refresh.userIds expects)
    roles: frozenset[str] = field(default_factory=frozenset)
    # role -> where it came from ("user binding", "group <id>", "default")
    role_sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Where:
    """The conversation an activity arrived in."""

    conversation_id: str
    conversation_type: str = "personal"  # personal | groupChat | channel
    tenant_id: str = ""
    team_id: str = ""
    channel_id: str = ""
    service_url: str = ""
