"""Run a command line for a person: resolve, authorize, run with a deadline, audit every outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from teams_bot.approvals.models import Approval
from teams_bot.approvals.requests import pending_request, place, requester
from teams_bot.approvals.service import Outcome
from teams_bot.auditing import audit_record
from teams_bot.authz import Authorizer
from teams_bot.background import BackgroundTasks
from teams_bot.commands.context import CommandContext, MentionedUser, Reply
from teams_bot.commands.registry import BoundArguments, Command, CommandRegistry
from teams_bot.errors import (
    CommandError,
    PermissionDeniedError,
    TenantNotAllowedError,
    UnknownCommandError,
    UsageError,
)
from teams_bot.graph import GroupLookupError
from teams_bot.identity import Caller, Where
from teams_bot.logs import new_correlation_id
from teams_bot.storage.audit import AuditLog

log = logging.getLogger(__name__)

LateReply = Callable[[Reply], Awaitable[None]]


@dataclass(frozen=True)
class NeedsApproval:
    """The command is allowed but policy wants other people to approve it first."""

    request: dict[str, Any]  # see teams_bot.approvals.requests.pending_request


@dataclass(frozen=True)
class Request:
    """One command line from one person in one conversation."""

    text: str
    caller: Caller
    where: Where
    correlation_id: str
    mentions: dict[str, MentionedUser]


def apology(correlation_id: str) -> str:
    return (
        "Sorry, something went wrong on my side and I could not finish that. "
        f"Please tell your bot admins the reference **{correlation_id}**."
    )


class Dispatcher:
    """The single path every typed command goes through."""

    def __init__(
        self,
        registry: CommandRegistry,
        authorizer: Authorizer,
        audit: AuditLog,
        *,
        allowed_tenants: list[str],
        deadline_s: float,
        services: object,
        tasks: BackgroundTasks,
    ) -> None:
        self.registry = registry
        self.authorizer = authorizer
        self.audit = audit
        self.allowed_tenants = set(allowed_tenants)
        self.deadline_s = deadline_s
        self.services = services
        self.tasks = tasks

    def tenant_allowed(self, tenant_id: str) -> bool:
        return not self.allowed_tenants or tenant_id in self.allowed_tenants

    async def handle(self, request: Request, late_reply: LateReply) -> Reply | NeedsApproval:
        started = time.perf_counter()
        caller = request.caller
        name, args, outcome, detail = request.text.split(" ", 1)[0], {}, "ok", ""
        try:
            self._check_tenant(caller)
            command, bound = self.registry.resolve(request.text)
            name, args = command.name, bound.for_audit()
            caller = await self.authorizer.identify(caller)
            ctx = self._context(request, caller)
            self._authorize(command, bound, ctx)
            approval = self._approval_needed(request, command, bound, ctx)
            if approval is not None:
                outcome, detail = "approval", f"needs approval: {approval.request['rule']}"
                return approval
            reply = await self._run(command, ctx, bound, late_reply)
            detail = _summary(reply)
            return reply
        except (PermissionDeniedError, TenantNotAllowedError, GroupLookupError) as exc:
            outcome, detail = "denied", str(exc)
            return str(exc)
        except (UsageError, UnknownCommandError) as exc:
            outcome, detail = "usage", str(exc)
            return str(exc)
        except CommandError as exc:
            outcome, detail = "error", str(exc)
            return str(exc)
        except Exception:
            log.exception("command %r failed", name)
            outcome, detail = "error", "unexpected error"
            return apology(request.correlation_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            await self._audit(request, caller, name, args, outcome, detail, elapsed_ms)

    def _check_tenant(self, caller: Caller) -> None:
        if not self.tenant_allowed(caller.tenant_id):
            raise TenantNotAllowedError(caller.tenant_id)

    def _context(self, request: Request, caller: Caller) -> CommandContext:
        return CommandContext(
            caller=caller,
            where=request.where,
            correlation_id=request.correlation_id,
            permissions=self.authorizer.permissions(caller),
            mentions=request.mentions,
            services=self.services,
        )

    def _authorize(self, command: Command, bound: BoundArguments, ctx: CommandContext) -> None:
        arguments = named_arguments(command, bound)
        decision = self.authorizer.check(
            ctx.caller, ctx.where, command.permission, command.name, arguments
        )
        if not decision.allowed:
            raise PermissionDeniedError(
                decision.missing or command.permission, command.name, decision.reason
            )

    def _approval_needed(
        self, request: Request, command: Command, bound: BoundArguments, ctx: CommandContext
    ) -> NeedsApproval | None:
        arguments = named_arguments(command, bound)
        needed = self.authorizer.approval_for(ctx.caller, ctx.where, command.name, arguments)
        if needed is None:
            return None
        return NeedsApproval(
            pending_request(
                caller=ctx.caller,
                where=ctx.where,
                kind="command",
                command=command.name,
                text=request.text,
                action_id="",
                arguments=bound.for_audit(),
                summary=request.text,
                requirement=needed,
                correlation_id=ctx.correlation_id,
            )
        )

    async def run_approved(self, approval: Approval) -> Outcome:
        """Run an approved command line as its requester, re-checking their permission now."""
        caller = await self.authorizer.identify(requester(approval))
        where = place(approval)
        request = Request(approval.text, caller, where, new_correlation_id(), {})
        try:
            command, bound = self.registry.resolve(approval.text)
            ctx = self._context(request, caller)
            self._authorize(command, bound, ctx)
            reply = await self.registry.invoke(command, ctx, bound)
        except CommandError as exc:
            return Outcome(False, str(exc), str(exc))
        return Outcome(True, _summary(reply)[:300], reply)

    async def _run(
        self, command: Command, ctx: CommandContext, bound: BoundArguments, late_reply: LateReply
    ) -> Reply:
        task = asyncio.ensure_future(self.registry.invoke(command, ctx, bound))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.deadline_s)
        except TimeoutError:
            self._finish_later(task, ctx, late_reply)
            return (
                f"'{command.name}' is taking longer than usual; it keeps running and I will post "
                f"the result here when it finishes (reference {ctx.correlation_id})."
            )

    def _finish_later(
        self, task: asyncio.Task[Reply], ctx: CommandContext, late_reply: LateReply
    ) -> None:
        async def deliver() -> Reply:
            try:
                reply = await task
            except CommandError as exc:
                reply = str(exc)
            except Exception:
                log.exception("background command failed")
                reply = apology(ctx.correlation_id)
            await late_reply(reply)
            return reply

        self.tasks.spawn(deliver(), f"late reply {ctx.correlation_id}")

    async def _audit(
        self,
        request: Request,
        caller: Caller,
        command: str,
        args: dict[str, object],
        outcome: str,
        detail: str,
        elapsed_ms: float,
    ) -> None:
        await self.audit.append(
            audit_record(
                "command",
                caller,
                request.where,
                command=command,
                arguments=args,
                outcome=outcome,
                detail=detail,
                correlation_id=request.correlation_id,
                duration_ms=elapsed_ms,
            )
        )


def named_arguments(command: Command, bound: BoundArguments) -> dict[str, object]:
    """Parameter name -> bound value (defaults included), for argument rules."""
    named: dict[str, object] = dict(bound.kwargs)
    positional = list(bound.args)
    for param in command.params:
        if param.kind == "variadic":
            named[param.name] = list(positional)
            positional = []
        elif param.kind == "positional" and positional:
            named[param.name] = positional.pop(0)
    return named


def _summary(reply: Reply) -> str:
    return reply if isinstance(reply, str) else reply.summary
