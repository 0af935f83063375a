"""Teams users as the channel and the connector describe them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

_NAMESPACE = uuid.UUID("6c0b3a52-4a53-4d0e-9d5c-7a1f0e0c5b11")


@dataclass(frozen=True)
class User:
    """A Teams user: display name, Azure AD object id and the "29:..." Teams id."""

    name: str
    aad_object_id: str
    teams_id: str
    email: str = ""

    @classmethod
    def named(cls, name: str) -> User:
        """A deterministic user for a display name (same name, same ids)."""
        oid = str(uuid.uuid5(_NAMESPACE, name))
        slug = name.lower().replace(" ", ".")
        return cls(name, oid, "29:1" + uuid.uuid5(_NAMESPACE, oid).hex, f"{slug}@contoso.com")

    def account(self) -> dict[str, Any]:
        """The "from" / mention shape on inbound activities."""
        return {"id": self.teams_id, "name": self.name, "aadObjectId": self.aad_object_id}

    def member(self, tenant_id: str) -> dict[str, Any]:
        """A TeamsChannelAccount as GET .../members returns it."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.teams_id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or None,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": tenant_id,
            "userRole": "user",
        }


ALICE = User.named("Alice Admin")
BOB = User.named("Bob Builder")
DEFAULT_USERS: tuple[User, ...] = (ALICE, BOB)
