"""Run a command line for a person: resolve, authorize, run with a deadline, audit every outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from teams_bot.approvals.models import Approval, Requirement, WorkOutcome
from teams_bot.approvals.requests import ApprovalRequest, place, requester
from teams_bot.auditing import audit_record
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
from teams_bot.gate import Gate
from teams_bot.graph import GroupLookupError
from teams_bot.identity import Caller, Where
from teams_bot.logs import new_correlation_id
from teams_bot.storage.audit import AuditLog
from teams_bot.storage.outage import is_storage_outage

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)

LateReply = Callable[[Reply], Awaitable[None]]


@dataclass(frozen=True)
class NeedsApproval:
    """The command is allowed but policy wants other people to approve it first."""

    request: ApprovalRequest


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
        gate: Gate,
        audit: AuditLog,
        *,
        deadline_s: float,
        services: object,
        tasks: BackgroundTasks,
    ) -> None:
        self.registry = registry
        self.gate = gate
        self.audit = audit
        self.deadline_s = deadline_s
        self.services = services
        self.tasks = tasks

    @classmethod
    def of(cls, services: Services) -> Dispatcher:
        return cls(
            services.registry,
            services.gate,
            services.audit,
            deadline_s=services.settings.turn_deadline_seconds,
            services=services,
            tasks=services.tasks,
        )

    async def handle(self, request: Request, late_reply: LateReply) -> Reply | NeedsApproval:
        started = time.perf_counter()
        caller = request.caller
        name, args, outcome, detail = request.text.split(" ", 1)[0], {}, "ok", ""
        try:
            self.gate.check_tenant(caller)
            command, bound = self.registry.resolve(request.text)
            name, args = command.name, bound.for_audit()
            admission = await self.gate.admit(
                caller,
                request.where,
                command.permission,
                command.name,
                named_arguments(command, bound),
            )
            caller = admission.caller
            ctx = self.context(request, caller)
            if admission.approval is not None:
                outcome, detail = "approval", f"needs approval: {admission.approval.rule}"
                return _needs_approval(request, command, bound, caller, admission.approval)
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
        except Exception as exc:
            if is_storage_outage(exc):
                outcome, detail = "error", "storage unavailable"
                raise  # the Teams layer says "storage unavailable, try again"
            log.exception("command %r failed", name)
            outcome, detail = "error", "unexpected error"
            return apology(request.correlation_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            await self._audit(request, caller, name, args, outcome, detail, elapsed_ms)

    def context(self, request: Request, caller: Caller) -> CommandContext:
        return CommandContext(
            caller=caller,
            where=request.where,
            correlation_id=request.correlation_id,
            permissions=self.gate.authorizer.permissions(caller),
            mentions=request.mentions,
            services=self.services,
        )

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


async def run_approved(services: Services, approval: Approval) -> WorkOutcome:
    """Run an approved command line as its requester, re-checking their permission now."""
    dispatcher = Dispatcher.of(services)
    request = Request(approval.text, requester(approval), place(approval), new_correlation_id(), {})
    try:
        command, bound = dispatcher.registry.resolve(approval.text)
        admission = await services.gate.admit(
            request.caller,
            request.where,
            command.permission,
            command.name,
            named_arguments(command, bound),
            approval=False,
        )
        ctx = dispatcher.context(request, admission.caller)
        reply = await dispatcher.registry.invoke(command, ctx, bound)
    except CommandError as exc:
        return WorkOutcome(False, str(exc), str(exc))
    return WorkOutcome(True, _summary(reply)[:300], reply)


def _needs_approval(
    request: Request,
    command: Command,
    bound: BoundArguments,
    caller: Caller,
    requirement: Requirement,
) -> NeedsApproval:
    return NeedsApproval(
        ApprovalRequest.build(
            caller=caller,
            where=request.where,
            kind="command",
            command=command.name,
            text=request.text,
            action_id="",
            arguments=bound.for_audit(),
            summary=request.text,
            requirement=requirement,
            correlation_id=request.correlation_id,
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
