"""Hide secrets in command arguments before they reach the audit log.

Two guards: the argument's name (reliable) and the value's look (heuristic, catches
secrets pasted into innocent-looking arguments).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import pairwise

REDACTED = "***redacted***"

# Names that usually hold a secret; matched after removing "-", "_", " " and ".".
_SECRET_KEY = re.compile(
    r"password|passwd|passphrase|pwd|secret|token|apikey|privatekey|accesskey|credential"
    r"|auth(?!or(?!iz))|cookie|signature|connectionstring|connstr|^sas|key$|^pat$|pat$",
    re.IGNORECASE,
)
# Values that look like secrets whatever their name.
_SECRET_VALUE = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JWT header.payload
    re.compile(r"\b(bearer|basic)\s+\S{8,}", re.IGNORECASE),
    re.compile(r"(password|passwd|pwd|accountkey|sharedaccesskey|secret|token)\s*=", re.I),
    re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])"),  # long hex
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(ghp|gho|ghs|ghu|github_pat|xox[abpr])_?[A-Za-z0-9_-]{16,}"),
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),  # credentials embedded in a URL
]
_BLOB = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")  # ids, not secrets


def _transitions(token: str, classify: re.Pattern[str]) -> float:
    """Changes of character class per character (classes: the groups of `classify`)."""
    classes = [m.lastindex for m in classify.finditer(token)]
    return sum(a != b for a, b in pairwise(classes)) / len(token)


_LETTER_DIGIT = re.compile(r"([A-Za-z])|([0-9])")
_CASE_DIGIT = re.compile(r"([A-Z])|([a-z])|([0-9])")


def _random_blob(value: str) -> bool:
    """Long base64/base32-like runs: random text switches character class far more
    often than words, paths, branch names or CamelCase identifiers do."""
    for match in _BLOB.finditer(_UUID.sub(" ", value)):
        token = match.group()
        if _transitions(token, _LETTER_DIGIT) >= 0.07 or _transitions(token, _CASE_DIGIT) >= 0.4:
            return True
    return False


def is_secret_key(key: str) -> bool:
    """True if an argument named `key` probably holds a secret."""
    return bool(_SECRET_KEY.search(re.sub(r"[-_ .]", "", key)))


def looks_secret(value: str) -> bool:
    """True if `value` looks like a credential whatever it is called."""
    return any(p.search(value) for p in _SECRET_VALUE) or _random_blob(value)


def redact_value(value: object) -> object:
    """Redact one value: strings by their look, containers recursively. A (name, value) pair
    inside a list, tuple or set is judged like a mapping entry: by its name first."""
    if isinstance(value, str):
        return REDACTED if looks_secret(value) else value
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], str):
        name: str = value[0]
        return [name, REDACTED if is_secret_key(name) else redact_value(value[1])]
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return value


def redact(arguments: Mapping[str, object]) -> dict[str, object]:
    """A copy of `arguments` with secret-looking values replaced by REDACTED."""
    return {
        str(key): REDACTED if is_secret_key(str(key)) else redact_value(value)
        for key, value in arguments.items()
    }
