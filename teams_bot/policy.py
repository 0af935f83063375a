"""Who may do what: the policy file, parsed strictly into typed rules.

Roles grant permissions (command names with dots, wildcards allowed); roles are bound to
Azure AD users and groups; channel rules limit where a command may run; argument rules ask
for an extra role when arguments look dangerous; approval rules make a command wait for
other people's approval (four eyes). The format is documented in docs/policy.md
with a full example in infra/policy.example.toml. Evaluation lives in `teams_bot.authz`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, cast

from teams_bot.commands.durations import DurationError, parse_duration

BUILTIN_DEFAULT_PERMISSIONS = ("help", "whoami", "version")

_PATTERN = re.compile(r"[a-z0-9*?][a-z0-9_*?-]*(\.[a-z0-9_*?-]+)*")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RULE_KINDS = ("channel_rules", "argument_rules", "approval_rules")
_TOP_KEYS = ("default_roles", "roles", "bindings", "approval_expires", *_RULE_KINDS)
_CHANNEL_KEYS = ("commands", "teams", "channels", "personal", "group_chat")
_CONDITIONS = ("count_over", "equals", "one_of", "matches")
_ARGUMENT_KEYS = ("commands", "argument", "require_role", "description", "within", *_CONDITIONS)
_APPROVAL_OPTIONS = ("quorum", "require_reason", "expires", "description")
_APPROVAL_KEYS = ("commands", "argument", "approvers", *_APPROVAL_OPTIONS, *_CONDITIONS)
DEFAULT_APPROVAL_EXPIRES = timedelta(minutes=60)

ConditionKind = Literal["count_over", "equals", "one_of", "matches"]
ConditionValue = int | str | tuple[str, ...]


class PolicyError(Exception):
    """The policy file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class Role:
    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class GroupBinding:
    """Roles for members (transitive) of one Azure AD group; `label` is shown by whoami."""

    group_id: str
    roles: tuple[str, ...]
    label: str = ""

    @property
    def source(self) -> str:
        """How whoami names this binding: "group Ops Engineers 1234abcd…"."""
        short = f"{self.group_id[:8]}…"
        return f"group {self.label} {short}" if self.label else f"group {short}"


@dataclass(frozen=True)
class ChannelRule:
    """Where matching commands may run. `None` lists mean "any"; a given list is an allow-list."""

    commands: tuple[str, ...]
    teams: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    personal: bool = True
    group_chat: bool = True
    place: str = ""  # "channel_rules[1]", for the audit


@dataclass(frozen=True)
class ArgumentRule:
    """If `argument` meets the condition, matching commands also need `require_role`."""

    commands: tuple[str, ...]
    argument: str
    kind: ConditionKind
    value: int | str | tuple[str, ...]
    require_role: str
    description: str = ""
    place: str = ""
    # count_over only: also count what this person ran in this window (one button at a time
    # must not get around "more than 3 nodes"); None: this request alone
    within: timedelta | None = None


@dataclass(frozen=True)
class ApprovalRule:
    """Matching commands (if `argument` meets the condition) wait for `quorum` approvals."""

    commands: tuple[str, ...]
    approvers: tuple[str, ...]  # roles whose holders may approve
    quorum: int = 1
    require_reason: bool = False
    expires: timedelta = DEFAULT_APPROVAL_EXPIRES
    argument: str = ""  # "": every run of the commands
    kind: ConditionKind | None = None
    value: ConditionValue = ""
    description: str = ""
    place: str = ""


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, Role]
    default_roles: tuple[str, ...] = ()
    user_roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_roles: Mapping[str, GroupBinding] = field(default_factory=dict)
    channel_rules: tuple[ChannelRule, ...] = ()
    argument_rules: tuple[ArgumentRule, ...] = ()
    approval_rules: tuple[ApprovalRule, ...] = ()
    approval_expires: timedelta = DEFAULT_APPROVAL_EXPIRES

    @property
    def group_ids(self) -> tuple[str, ...]:
        """The Azure AD groups the policy binds (Graph is needed only if there are any)."""
        return tuple(self.group_roles)

    def roles_for(self, aad_object_id: str) -> list[tuple[str, str]]:
        """(role, where it came from) for a person, defaults first; groups are not resolved here."""
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


def command_key(command: str) -> str:
    """A command name as rules match it: "Nodes  reboot" -> "nodes.reboot"."""
    return ".".join(command.lower().replace(".", " ").split())


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
    _known_keys(data, _TOP_KEYS, source, "the policy file")
    roles = {
        name: _role(name, spec, source) for name, spec in _table(data, "roles", source).items()
    }
    bindings = _table(data, "bindings", source)
    _known_keys(bindings, ("users", "groups"), source, "bindings")
    expires = DEFAULT_APPROVAL_EXPIRES
    if "approval_expires" in data:
        expires = _duration(data["approval_expires"], "approval_expires", source)
    policy = Policy(
        roles=roles,
        default_roles=tuple(_strings(data.get("default_roles", []), f"{source}: default_roles")),
        user_roles={
            str(user): tuple(_strings(names, f"{source}: bindings.users.'{user}'"))
            for user, names in _table(bindings, "users", source).items()
        },
        group_roles={
            b.group_id: b
            for b in (
                _group(g, spec, source) for g, spec in _table(bindings, "groups", source).items()
            )
        },
        channel_rules=tuple(
            _channel_rule(spec, f"channel_rules[{i}]", source)
            for i, spec in enumerate(_array(data, "channel_rules", source), 1)
        ),
        argument_rules=tuple(
            _argument_rule(spec, f"argument_rules[{i}]", source)
            for i, spec in enumerate(_array(data, "argument_rules", source), 1)
        ),
        approval_rules=tuple(
            _approval_rule(spec, f"approval_rules[{i}]", source, expires)
            for i, spec in enumerate(_array(data, "approval_rules", source), 1)
        ),
        approval_expires=expires,
    )
    _check_role_names(policy, source)
    return policy


def _check_role_names(policy: Policy, source: str) -> None:
    uses: list[tuple[str, Iterable[str]]] = [("default_roles", policy.default_roles)]
    uses += [(f"bindings.users.'{u}'", names) for u, names in policy.user_roles.items()]
    uses += [(f"bindings.groups.'{g}'", b.roles) for g, b in policy.group_roles.items()]
    uses += [(f"{r.place}.require_role", [r.require_role]) for r in policy.argument_rules]
    uses += [(f"{r.place}.approvers", r.approvers) for r in policy.approval_rules]
    for where, names in uses:
        unknown = [n for n in names if n not in policy.roles]
        if unknown:
            raise PolicyError(f"{source}: {where} names unknown role(s): {', '.join(unknown)}")


def _role(name: str, spec: Any, source: str) -> Role:
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{source}: roles.{name} must be a table")
    _known_keys(spec, ("permissions",), source, f"roles.{name}")
    where = f"{source}: roles.{name}.permissions"
    return Role(name, _patterns(spec.get("permissions", []), where))


def _group(group_id: str, spec: Any, source: str) -> GroupBinding:
    where = f"bindings.groups.'{group_id}'"
    if not _GUID.fullmatch(group_id.lower()):
        raise PolicyError(f"{source}: {where}: an Azure AD group is named by its object id (GUID)")
    if isinstance(spec, list):
        return GroupBinding(group_id.lower(), tuple(_strings(spec, f"{source}: {where}")))
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{source}: {where} must be a list of roles or a table")
    _known_keys(spec, ("roles", "label"), source, where)
    roles = tuple(_strings(spec.get("roles", []), f"{source}: {where}.roles"))
    return GroupBinding(
        group_id.lower(), roles, _string(spec.get("label", ""), f"{where}.label", source)
    )


def _channel_rule(spec: Any, place: str, source: str) -> ChannelRule:
    spec = _rule_table(spec, place, _CHANNEL_KEYS, source)
    teams, channels = spec.get("teams"), spec.get("channels")
    return ChannelRule(
        commands=_commands(spec, place, source),
        teams=None if teams is None else tuple(_strings(teams, f"{source}: {place}.teams")),
        channels=None
        if channels is None
        else tuple(_strings(channels, f"{source}: {place}.channels")),
        personal=_bool(spec.get("personal", True), f"{place}.personal", source),
        group_chat=_bool(spec.get("group_chat", True), f"{place}.group_chat", source),
        place=place,
    )


def _argument_rule(spec: Any, place: str, source: str) -> ArgumentRule:
    spec = _rule_table(spec, place, _ARGUMENT_KEYS, source)
    kind = _condition_kind(spec, place, source)
    if "require_role" not in spec or "argument" not in spec:
        raise PolicyError(f"{source}: {place} needs 'argument' and 'require_role'")
    return ArgumentRule(
        commands=_commands(spec, place, source),
        argument=_argument(spec, place, source),
        kind=kind,
        value=_condition_value(kind, spec[kind], f"{place}.{kind}", source),
        require_role=_string(spec["require_role"], f"{place}.require_role", source),
        description=_string(spec.get("description", ""), f"{place}.description", source),
        place=place,
        within=_window(spec, kind, place, source),
    )


def _window(spec: Mapping[str, Any], kind: str, place: str, source: str) -> timedelta | None:
    if "within" not in spec:
        return None
    if kind != "count_over":
        raise PolicyError(f"{source}: {place}.within goes with count_over only")
    return _duration(spec["within"], f"{place}.within", source)


def _approval_rule(spec: Any, place: str, source: str, expires: timedelta) -> ApprovalRule:
    spec = _rule_table(spec, place, _APPROVAL_KEYS, source)
    if "approvers" not in spec:
        raise PolicyError(f"{source}: {place} needs 'approvers' (roles that may approve)")
    approvers = tuple(_strings(spec["approvers"], f"{source}: {place}.approvers"))
    if not approvers:
        raise PolicyError(f"{source}: {place}.approvers must name at least one role")
    if "expires" in spec:
        expires = _duration(spec["expires"], f"{place}.expires", source)
    rule = ApprovalRule(
        commands=_commands(spec, place, source),
        approvers=approvers,
        quorum=_quorum(spec.get("quorum", 1), f"{place}.quorum", source),
        require_reason=_bool(spec.get("require_reason", False), f"{place}.require_reason", source),
        expires=expires,
        description=_string(spec.get("description", ""), f"{place}.description", source),
        place=place,
    )
    if "argument" not in spec:
        if any(k in spec for k in _CONDITIONS):
            raise PolicyError(f"{source}: {place}: a condition needs 'argument'")
        return rule
    kind = _condition_kind(spec, place, source)
    value = _condition_value(kind, spec[kind], f"{place}.{kind}", source)
    return replace(rule, argument=_argument(spec, place, source), kind=kind, value=value)


def _condition_kind(spec: Mapping[str, Any], place: str, source: str) -> ConditionKind:
    given = [k for k in _CONDITIONS if k in spec]
    if len(given) != 1:
        raise PolicyError(
            f"{source}: {place} needs exactly one condition of {', '.join(_CONDITIONS)}"
            f" (found {len(given)})"
        )
    return cast(ConditionKind, given[0])


def _argument(spec: Mapping[str, Any], place: str, source: str) -> str:
    return _string(spec["argument"], f"{place}.argument", source).lower().replace("-", "_")


def _quorum(value: Any, where: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PolicyError(f"{source}: {where} must be a whole number >= 1")
    return value


def _duration(value: Any, where: str, source: str) -> timedelta:
    try:
        return parse_duration(_string(value, where, source))
    except DurationError as exc:
        raise PolicyError(f"{source}: {where} {exc.reason}") from None


def _condition_value(kind: str, value: Any, where: str, source: str) -> ConditionValue:
    if kind == "count_over":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PolicyError(f"{source}: {where} must be a whole number >= 0")
        return value
    if kind == "one_of":
        return tuple(s.casefold() for s in _strings(value, f"{source}: {where}"))
    if isinstance(value, bool | int):
        value = str(value).lower()
    text = _string(value, where, source)
    if kind == "matches" and ("[" in text or "]" in text):
        raise PolicyError(f"{source}: {where}: use only * and ? in patterns")
    return text.casefold()


def _rule_table(spec: Any, place: str, keys: tuple[str, ...], source: str) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{source}: {place} must be a table")
    _known_keys(spec, keys, source, place)
    return spec


def _commands(spec: Mapping[str, Any], place: str, source: str) -> tuple[str, ...]:
    if "commands" not in spec:
        raise PolicyError(f"{source}: {place} needs 'commands' (command name patterns)")
    where = f"{source}: {place}.commands"
    found = _patterns([command_key(c) for c in _strings(spec["commands"], where)], where)
    if not found:
        raise PolicyError(f"{where} must name at least one command")
    return found


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    found = tuple(_strings(value, where))
    for pattern in found:
        if not _PATTERN.fullmatch(pattern):
            raise PolicyError(
                f"{where}: bad pattern {pattern!r} (lower-case names with dots, * and ? only)"
            )
    return found


def _known_keys(spec: Mapping[str, Any], keys: tuple[str, ...], source: str, where: str) -> None:
    unknown = [str(k) for k in spec if k not in keys]
    if unknown:
        raise PolicyError(
            f"{source}: {where}: unknown key(s) {', '.join(unknown)} (expected {', '.join(keys)})"
        )


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise PolicyError(f"{source}: '{key}' must be a table")
    return value


def _array(data: Mapping[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise PolicyError(f"{source}: '{key}' must be an array of tables ([[{key}]])")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    return list(value)


def _string(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{source}: {where} must be a string")
    return value


def _bool(value: Any, where: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{source}: {where} must be true or false")
    return value
