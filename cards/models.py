"""Typed inputs of the card builders: plain frozen dataclasses, no behaviour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

VERB_NODE_REBOOT = "nodes.reboot"
VERB_NODES_REBOOT_ALL = "nodes.rebootAll"
VERB_RELEASE_ROLLBACK = "release.rollback"


@dataclass(frozen=True)
class FailedNode:
    """One node as the inventory reports it; every text field is untrusted."""

    name: str
    cluster: str
    state: str
    since: datetime
    last_error: str = ""


@dataclass(frozen=True)
class ReleaseInfo:
    """The release suspected of breaking the nodes (offered for rollback)."""

    name: str
    deployed_by: str | None = None
    deployed_at: datetime | None = None


@dataclass(frozen=True)
class NodeActions:
    """Opaque, signed, server-side action ids minted by the action router.

    A button is shown only when its id is present; card data never carries targets.
    """

    reboot: Mapping[str, str] = field(default_factory=dict)  # node name -> action id
    reboot_all: str | None = None
    rollback: str | None = None
    reboot_verb: str = VERB_NODE_REBOOT
    reboot_all_verb: str = VERB_NODES_REBOOT_ALL
    rollback_verb: str = VERB_RELEASE_ROLLBACK


ProgressState = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class NodeProgress:
    """Status overlay for one node after someone pressed a button on the card."""

    state: ProgressState
    by: str
    at: datetime
    detail: str = ""  # e.g. the failure reason


CommandStatus = Literal["running", "succeeded", "failed", "timed_out"]


@dataclass(frozen=True)
class CommandResult:
    """Outcome (or progress) of one command run by the automation runner."""

    command: str
    status: CommandStatus
    requested_by: str
    started_at: datetime
    finished_at: datetime | None = None
    output_tail: str = ""
    exit_code: int | None = None
    job_id: str | None = None
    details_url: str | None = None


@dataclass(frozen=True)
class HelpCommand:
    name: str
    summary: str
    usage: str


@dataclass(frozen=True)
class HelpGroup:
    title: str
    commands: Sequence[HelpCommand]


@dataclass(frozen=True)
class RoleGrant:
    """A role the caller holds and where it came from ("user binding", "group Ops", ...)."""

    role: str
    source: str


@dataclass(frozen=True)
class WhoAmI:
    display_name: str
    aad_object_id: str
    tenant_id: str
    roles: Sequence[RoleGrant] = ()
    checked_at: datetime | None = None
