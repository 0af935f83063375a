"""Universal Actions refresh for every card kind: each viewer gets their own view.

Teams sends the card's refresh action for the users in `refresh.userIds`; anyone can also
refresh by hand. The view never adds power: every press is re-checked anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from teams_bot.actions.models import Press, PressResult, refused
from teams_bot.actions.signing import ActionSigner
from teams_bot.errors import CommandError

if TYPE_CHECKING:
    from teams_bot.services import Services

REFRESH_VERB = "card.refresh"
_PREFIX = "card-"
CANNOT = "This card can't be refreshed."


def refresh_token(signer: ActionSigner, card_id: str) -> str:
    return signer.token(_PREFIX + card_id)


def card_id_of(signer: ActionSigner, token: object) -> str | None:
    inner = signer.verify(token)
    return inner.removeprefix(_PREFIX) if inner and inner.startswith(_PREFIX) else None


async def refresh(services: Services, pressed: Press) -> PressResult:
    card_id = card_id_of(services.signer, pressed.token)
    card = await services.actions.card(card_id) if card_id else None
    if card is None or card.tenant_id != pressed.caller.tenant_id:
        return refused(CANNOT)
    kind = services.catalog.cards.get(card.kind)
    if kind is None:
        return refused(CANNOT)
    if kind.view is None:
        return PressResult(kind.render(services, card), False, "ok")
    try:
        viewer = await services.gate.identify(pressed.caller)
    except CommandError as exc:
        return refused(str(exc))
    return PressResult(await kind.view(services, card, viewer, pressed.where), False, "ok")
