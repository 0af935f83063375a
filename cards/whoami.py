"""The whoami card: how the bot sees the caller, and where each of their roles comes from."""

from __future__ import annotations

from collections.abc import Sequence

from cards.common import Card, Element, adaptive_card, fact_set, footer, text_block, with_refresh
from cards.models import WhoAmI
from cards.size import fit_card
from cards.text import fmt_time, one_line, truncate

MAX_ROLES = 50


def whoami_card(
    identity: WhoAmI,
    *,
    refresh_verb: str | None = None,
    refresh_user_ids: Sequence[str] = (),
    refresh_action_id: str | None = None,
    signed_in: bool = True,
) -> Card:
    """Identity as taken from the authenticated activity, never from anything the user typed.

    `signed_in=False` (local development mode: no token checked) says so instead of claiming a
    signed-in Teams account.
    """
    body: list[Element] = [
        text_block("Who am I", heading=True, size="large", weight="bolder"),
        fact_set([
            ("Display name", identity.display_name or "(none)"),
            ("AAD object id", identity.aad_object_id),
            ("Tenant id", identity.tenant_id),
        ]),
        text_block("Roles", weight="bolder", spacing="medium"),
        *_roles(identity),
        footer(_footer_text(identity, signed_in)),
    ]
    name = truncate(one_line(identity.display_name), 80)
    card = adaptive_card(body, fallback_text=f"You are {name}")
    return fit_card(with_refresh(card, refresh_verb, refresh_user_ids, refresh_action_id))


def _roles(identity: WhoAmI) -> list[Element]:
    if not identity.roles:
        return [text_block("No roles: you can run only the commands open to everyone.",
                           subtle=True, spacing="none")]
    grants = list(identity.roles)
    elements: list[Element] = [fact_set([(g.role, f"from {g.source}") for g in grants[:MAX_ROLES]])]
    if len(grants) > MAX_ROLES:
        more = len(grants) - MAX_ROLES
        elements.append(text_block(f"… and {more} more {'role' if more == 1 else 'roles'}",
                                   subtle=True))
    return elements


def _footer_text(identity: WhoAmI, signed_in: bool) -> str:
    when = f" at {fmt_time(identity.checked_at)}" if identity.checked_at else ""
    if not signed_in:
        return (f"As the bot sees you{when}, from the message as sent: local development mode, "
                "no Teams sign-in was checked")
    return f"As the bot sees you{when}, from the signed-in Teams account"
