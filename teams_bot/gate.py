"""The one gate every way in passes: typed commands, card buttons, approved work.

who (the authenticated caller) -> tenant -> identity (roles, Graph groups) -> policy (permission,
channel and argument rules) -> approval rule. The gate decides; the caller runs and audits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from teams_bot.approvals.models import Requirement
from teams_bot.authz import Authorizer
from teams_bot.errors import PermissionDeniedError, TenantNotAllowedError
from teams_bot.identity import Caller, Where
from teams_bot.kit import Guard, Hold
from teams_bot.rate_rules import window_refusal
from teams_bot.storage.audit import AuditLog


@dataclass(frozen=True)
class Admission:
    """Allowed: the caller with their roles, and what approval policy wants first (or None)."""

    caller: Caller
    approval: Requirement | None


class Gate:
    def __init__(
        self,
        authorizer: Authorizer,
        allowed_tenants: Iterable[str],
        audit: AuditLog | None = None,
        guards: Sequence[Guard] = (),
    ) -> None:
        self.authorizer = authorizer
        self.allowed_tenants = frozenset(allowed_tenants)
        self.audit = audit  # the history that windowed argument rules count
        self.guards = tuple(guards)  # features' holds, e.g. a change freeze

    def tenant_allowed(self, tenant_id: str) -> bool:
        return not self.allowed_tenants or tenant_id in self.allowed_tenants

    def check_tenant(self, caller: Caller) -> None:
        if not self.tenant_allowed(caller.tenant_id):
            raise TenantNotAllowedError(caller.tenant_id)

    async def identify(self, caller: Caller) -> Caller:
        """The caller (from an allowed tenant) with roles; GroupLookupError if Graph fails."""
        self.check_tenant(caller)
        return await self.authorizer.identify(caller)

    async def admit(
        self,
        caller: Caller,
        where: Where,
        permission: str,
        command: str,
        arguments: Mapping[str, object],
        *,
        approval: bool = True,
    ) -> Admission:
        """Decide one request; raises PermissionDeniedError (or the tenant/Graph errors).

        `approval=False` for work that was already approved: only identity and policy re-checked.
        """
        identified = await self.identify(caller)
        decision = self.authorizer.check(identified, where, permission, command, arguments)
        if decision.allowed and self.audit is not None:
            policy = self.authorizer.policy
            refusal = await window_refusal(policy, self.audit, identified, command, arguments)
            decision = refusal or decision
        if not decision.allowed:
            raise PermissionDeniedError(decision.missing or permission, command, decision.reason)
        if not approval:  # approved work: its holds were weighed when it was approved
            return Admission(identified, None)
        held = await self._held(identified, where, command, arguments)
        if held is not None:
            return Admission(identified, held)
        needed = self.authorizer.approval_for(identified, where, command, arguments)
        return Admission(identified, needed)

    async def _held(
        self, caller: Caller, where: Where, command: str, arguments: Mapping[str, object]
    ) -> Requirement | None:
        """A guard's hold refuses, or (with the override permission) needs its approval."""
        for guard in self.guards:
            hold = await guard(caller, where, command, arguments)
            if hold is None:
                continue
            override = self._override(caller, where, hold, arguments)
            if override is None:
                raise PermissionDeniedError(
                    hold.override_permission or command, command, hold.message
                )
            return override
        return None

    def _override(
        self, caller: Caller, where: Where, hold: Hold, arguments: Mapping[str, object]
    ) -> Requirement | None:
        """An override always needs approval: without the permission or a rule there is none."""
        if not hold.override_permission:
            return None
        check = self.authorizer.check(
            caller, where, hold.override_permission, hold.override_command, arguments
        )
        if not check.allowed:
            return None
        needed = self.authorizer.approval_for(caller, where, hold.override_command, arguments)
        if needed is None:
            return None
        return replace(needed, description=f"{hold.message} Override: {needed.description}")
