"""People of the end-to-end tests (the nodes bot fixture is in tests/conftest.py)."""

from __future__ import annotations

from tests.simulator import User

LENA = User.named("Lena Lead")
