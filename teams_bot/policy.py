"""Who may do what: roles grant permissions; roles are bound to Azure AD users.

The policy file is TOML:

    default_roles = ["viewer"]          # every authenticated person in an allowed tenant

    [roles.viewer]
    permissions = ["help", "whoami", "version"]

    [roles.ops]
    permissions = ["nodes.*", "audit.read"]

    [bindings.users]
    "00000000-0000-0000-0000-0000000000a1" = ["ops"]   # AAD object id -> roles
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

BUILTIN_DEFAULT_PERMISSIONS = ("help", "whoami", "version")


class PolicyError(Exception):
    """The policy file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Role:
    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, Role]
    default_roles: tuple[str, ...] = ()
    user_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def roles_for(self, aad_object_id: str) -> list[tuple[str, str]]:
        """(role, where it came from) for a person, defaults first."""
        found = [(role, "default") for role in self.default_roles]
        found += [(role, "user binding") for role in self.user_roles.get(aad_object_id, ())]
        return list(dict.fromkeys(found))

    def permissions_of(self, roles: Iterable[str]) -> frozenset[str]:
        granted: set[str] = set()
        for name in roles:
            role = self.roles.get(name)
            if role:
                granted.update(role.permissions)
        return frozenset(granted)


def allows(permissions: Iterable[str], needed: str) -> bool:
    """True if any granted permission (wildcards allowed: `nodes.*`, `*`) covers `needed`."""
    return any(p == needed or fnmatchcase(needed, p) for p in permissions)


def default_policy() -> Policy:
    """Without a policy file: everyone may ask for help, whoami and version; nothing more."""
    viewer = Role("viewer", BUILTIN_DEFAULT_PERMISSIONS)
    return Policy(roles={"viewer": viewer}, default_roles=("viewer",))


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return default_policy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy file {path} is not valid TOML: {exc}") from None
    return parse_policy(data, str(path))


def parse_policy(data: Mapping[str, Any], source: str = "policy") -> Policy:
    roles = {
        name: _role(name, spec, source) for name, spec in _table(data, "roles", source).items()
    }
    defaults = tuple(_strings(data.get("default_roles", []), f"{source}: default_roles"))
    users = {
        str(user): tuple(_strings(names, f"{source}: bindings.users.{user}"))
        for user, names in _table(_table(data, "bindings", source), "users", source).items()
    }
    for where, names in [("default_roles", defaults), *users.items()]:
        unknown = [n for n in names if n not in roles]
        if unknown:
            raise PolicyError(f"{source}: {where} names unknown role(s): {', '.join(unknown)}")
    return Policy(roles=roles, default_roles=defaults, user_roles=users)


def _role(name: str, spec: Any, source: str) -> Role:
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{source}: roles.{name} must be a table")
    return Role(name, tuple(_strings(spec.get("permissions", []), f"{source}: roles.{name}")))


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise PolicyError(f"{source}: '{key}' must be a table")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    return list(value)
