"""`incident create|list|note|assign|sev|mitigate|resolve|export`.

`create` posts the incident card in the conversation; every later change appends to the
timeline and updates that card in place (wherever the change was typed).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from teams_bot.commands.context import CardReply, CommandContext, Reply
from teams_bot.commands.registry import CommandRegistry
from teams_bot.errors import CommandError
from teams_bot.features.incidents.draw import draw_incident, export_markdown
from teams_bot.features.incidents.store import Event, Incident, IncidentStore, new_incident_id

if TYPE_CHECKING:
    from teams_bot.services import Services

log = logging.getLogger(__name__)
commands = CommandRegistry()
GROUP = "Incidents"
TITLE_LIMIT = 200
TEXT_LIMIT = 1000


def _who(ctx: CommandContext) -> tuple[str, str]:
    return ctx.caller.aad_object_id, ctx.caller.display_name or ctx.caller.aad_object_id


def _event(ctx: CommandContext, what: str) -> Event:
    who_id, who = _who(ctx)
    return Event(datetime.now(UTC), who_id, who, what[:TEXT_LIMIT])


def _severity(value: int) -> int:
    if not 1 <= value <= 4:
        raise CommandError("Severity is 1 (worst) to 4: sev=2.")
    return value


async def _incident(ctx: CommandContext, incident_id: str) -> Incident:
    found = await IncidentStore(ctx.services.db).get(ctx.caller.tenant_id, incident_id)
    if found is None:
        raise CommandError(f"No incident {incident_id!r} here (`incident list` shows open ones).")
    return found


async def refresh_card(services: Services, incident_id: str, tenant_id: str) -> None:
    """Redraw the incident's card in place (best effort: the store and the audit have it)."""
    store = IncidentStore(services.db)
    incident = await store.get(tenant_id, incident_id)
    if incident is None or not incident.message_id:
        return
    card = draw_incident(incident, await store.timeline(incident_id))
    try:
        await services.messenger.update_card(incident.conversation_id, incident.message_id, card)
    except Exception:
        log.warning("could not update the card of incident %s", incident_id)


async def _change(
    ctx: CommandContext, incident: Incident, what: str, states: tuple[str, ...] = (), **values: Any
) -> bool:
    """Record a change (only from `states`, when given) and redraw the card; False if refused."""
    store = IncidentStore(ctx.services.db)
    if not await store.change(incident.id, _event(ctx, what), states, **values):
        return False
    await refresh_card(ctx.services, incident.id, incident.tenant_id)
    return True


@commands.command(
    "incident create",
    permission="incidents.manage",
    group=GROUP,
    examples=['incident create "checkout latency above 2s" sev=2'],
)
async def incident_create(ctx: CommandContext, *title: str, sev: int = 3) -> Reply:
    """Open an incident: its card here keeps severity, state, commander and timeline current."""
    text = " ".join(title).strip()[:TITLE_LIMIT]
    if not text:
        raise CommandError("Give the incident a title: incident create <title> [sev=1..4].")
    who_id, who = _who(ctx)
    incident = Incident(
        id=new_incident_id(),
        tenant_id=ctx.caller.tenant_id,
        title=text,
        severity=_severity(sev),
        state="open",
        commander_name="",
        commander_id="",
        opened_by_id=who_id,
        opened_by_name=who,
        conversation_id=ctx.where.conversation_id,
        message_id="",
        summary="",
        opened_at=datetime.now(UTC),
    )
    event = _event(ctx, f"opened the incident (SEV{incident.severity})")
    store = IncidentStore(ctx.services.db)
    incident = await store.create(incident, event)

    async def posted(message_id: str) -> None:
        await store.set_message_id(incident.id, message_id)

    card = draw_incident(incident, [event])
    return CardReply(card, f"Incident {incident.id} opened: {text[:80]}", on_posted=posted)


@commands.command("incident list", permission="incidents.read", group=GROUP)
async def incident_list(ctx: CommandContext) -> Reply:
    """The incidents not resolved yet, the most severe first."""
    found = await IncidentStore(ctx.services.db).open_ones(ctx.caller.tenant_id)
    lines = [
        f"- {i.id} SEV{i.severity} {i.state}: {i.title[:100]}"
        f" (commander: {i.commander_name or 'nobody yet'})"
        for i in found
    ]
    return "\n".join(lines) or "No open incidents."


@commands.command(
    "incident note",
    permission="incidents.manage",
    group=GROUP,
    examples=["incident note K7M2QX failed over to db-4"],
)
async def incident_note(ctx: CommandContext, incident_id: str, *text: str) -> Reply:
    """Add a note to an incident's timeline."""
    note = " ".join(text).strip()
    if not note:
        raise CommandError("Say what to note: incident note <id> <text>.")
    incident = await _incident(ctx, incident_id)
    await _change(ctx, incident, f"note: {note}")
    return f"Noted on incident {incident.id}."


async def _mentioned(ctx: CommandContext, value: str) -> tuple[str, str]:
    """(name, AAD id) of the @mentioned person `value`."""
    person = ctx.mentions.get(value)
    if person is None:
        raise CommandError(f"@mention the commander (I don't know {value!r} here).")
    aad = person.aad_object_id
    if not aad and person.teams_id:
        found = await ctx.services.messenger.member_aad_id(
            ctx.where.conversation_id, person.teams_id
        )
        aad = str(found or "")
    return person.name, aad


@commands.command(
    "incident assign",
    permission="incidents.manage",
    group=GROUP,
    examples=["incident assign K7M2QX @Bob"],
)
async def incident_assign(ctx: CommandContext, incident_id: str, person: str) -> Reply:
    """Make an @mentioned person the incident commander."""
    incident = await _incident(ctx, incident_id)
    name, aad = await _mentioned(ctx, person)
    await _change(ctx, incident, f"commander: {name}", commander_name=name, commander_id=aad)
    return f"{name} commands incident {incident.id}."


@commands.command(
    "incident sev", permission="incidents.manage", group=GROUP, examples=["incident sev K7M2QX 1"]
)
async def incident_sev(ctx: CommandContext, incident_id: str, severity: int) -> Reply:
    """Change an incident's severity (1 worst .. 4)."""
    incident = await _incident(ctx, incident_id)
    new = _severity(severity)
    if new == incident.severity:
        return f"Incident {incident.id} is SEV{new} already."
    await _change(ctx, incident, f"severity SEV{incident.severity} → SEV{new}", severity=new)
    return f"Incident {incident.id} is now SEV{new}."


@commands.command(
    "incident mitigate",
    permission="incidents.manage",
    group=GROUP,
    examples=["incident mitigate K7M2QX traffic moved to eu-west"],
)
async def incident_mitigate(ctx: CommandContext, incident_id: str, *note: str) -> Reply:
    """Mark an open incident mitigated (the impact is contained, the cause not yet fixed)."""
    incident = await _incident(ctx, incident_id)
    if incident.state != "open":
        return f"Incident {incident.id} is {incident.state} already."
    what = "mitigated" + (f": {' '.join(note)}" if note else "")
    if not await _change(ctx, incident, what, ("open",), state="mitigated"):
        return f"Incident {incident.id} is not open any more."
    return f"Incident {incident.id} is mitigated."


@commands.command(
    "incident resolve",
    permission="incidents.manage",
    group=GROUP,
    examples=["incident resolve K7M2QX failed over to db-4"],
)
async def incident_resolve(ctx: CommandContext, incident_id: str, *summary: str) -> Reply:
    """Resolve an incident, with an optional summary."""
    incident = await _incident(ctx, incident_id)
    if incident.state == "resolved":
        return f"Incident {incident.id} is resolved already."
    text = " ".join(summary).strip()[:TEXT_LIMIT]
    what = "resolved" + (f": {text}" if text else "")
    now = datetime.now(UTC)
    fields: dict[str, Any] = {"state": "resolved", "summary": text, "resolved_at": now}
    if not await _change(ctx, incident, what, ("open", "mitigated"), **fields):
        return f"Incident {incident.id} is resolved already."
    return f"Incident {incident.id} is resolved."


@commands.command(
    "incident export",
    permission="incidents.read",
    group=GROUP,
    examples=["incident export K7M2QX"],
)
async def incident_export(ctx: CommandContext, incident_id: str) -> Reply:
    """The incident and its whole timeline as Markdown, for the post-mortem."""
    incident = await _incident(ctx, incident_id)
    return export_markdown(incident, await IncidentStore(ctx.services.db).timeline(incident.id))
