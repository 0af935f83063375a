"""Operational features: each package declares its commands, buttons, card kinds, scans and routes
in one `Feature` (see teams_bot.kit). Adding one is a new package plus one line below."""

from __future__ import annotations

from teams_bot.kit import Feature


def default_features() -> list[Feature]:
    """The features this build ships, in help order."""
    from teams_bot.features import (
        alerts,
        approvals,
        builtins,
        incidents,
        nodes,
        observability,
        oncall,
        opslog,
        reboot,
        release,
        runbooks,
        schedules,
    )

    return [
        builtins.feature,
        nodes.feature,
        reboot.feature,
        release.feature,
        alerts.feature,
        oncall.feature,
        runbooks.feature,
        schedules.feature,
        incidents.feature,
        approvals.feature,
        observability.feature,
        opslog.feature,
    ]
