"""RSA signing keys, JWK rendering and compact-JWT helpers shared by the simulator."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@functools.cache
def _rsa_key(slot: str) -> rsa.RSAPrivateKey:
    # Key generation costs ~50 ms; one key per role per process is plenty.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with a JWKS key id (kid == x5t-style thumbprint)."""

    private_key: rsa.RSAPrivateKey
    kid: str
    endorsements: tuple[str, ...] = field(default=())

    @classmethod
    def for_slot(cls, slot: str, endorsements: tuple[str, ...] = ()) -> SigningKey:
        key = _rsa_key(slot)
        der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kid = b64url(hashlib.sha1(der).digest())  # a thumbprint, not security
        return cls(private_key=key, kid=kid, endorsements=endorsements)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        """The public JWK as the Bot Framework JWKS publishes it."""
        entry: dict[str, Any] = RSAAlgorithm.to_jwk(self.public_key, as_dict=True)
        entry.update(use="sig", kid=self.kid, x5t=self.kid)
        if self.endorsements:
            entry["endorsements"] = list(self.endorsements)
        return entry

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        """RS256-sign claims; kid overrides the header key id (for forged tokens)."""
        headers = {"kid": kid or self.kid, "x5t": kid or self.kid}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)


def unsigned_jwt(claims: dict[str, Any], kid: str) -> str:
    """A token with alg "none" and an empty signature part."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    parts = [json.dumps(p, separators=(",", ":")).encode() for p in (header, claims)]
    return ".".join(b64url(p) for p in parts) + "."


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [k.jwk() for k in keys]}
