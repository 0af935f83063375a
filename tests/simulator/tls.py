"""A throwaway CA (trustme) and a server certificate for https://127.0.0.1."""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

import trustme


@functools.cache
def _authority() -> tuple[trustme.CA, trustme.LeafCert]:
    # One CA per process keeps simulator start-up cheap; nothing outside trusts it.
    ca = trustme.CA(organization_name="Channel Simulator Test CA")
    return ca, ca.issue_cert("127.0.0.1", "localhost")


class LocalTls:
    """Server-side TLS context plus the CA bundle clients must trust."""

    def __init__(self) -> None:
        self._ca, self._leaf = _authority()

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self._ca.configure_trust(ctx)
        return ctx

    def write_ca_bundle(self, directory: Path) -> Path:
        path = directory / "channel-simulator-ca.pem"
        self._ca.cert_pem.write_to_path(str(path))
        return path
