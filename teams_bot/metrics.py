"""Prometheus metrics for operators (GET /metrics; see docs/RELIABILITY.md for the list).

Every audited event is counted once where it is written (commands, presses, approvals, jobs),
so the numbers and the audit log agree; the HTTP route, the connector client and the job core
add what the audit does not see (latency, 429s, jobs running, outbox depth).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

TURNS = Counter(
    "teams_bot_activities_total", "Activities received on /api/messages", ["type", "status"]
)
TURN_SECONDS = Histogram(
    "teams_bot_activity_seconds",
    "Time to answer an activity on /api/messages",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKEN_REFUSALS = Counter(
    "teams_bot_token_refusals_total", "Inbound requests refused for their token", ["reason"]
)
AUDITED = Counter(
    "teams_bot_audited_total",
    "Audited events: commands, button presses, approvals, jobs",
    ["kind", "command", "outcome"],
)
JOBS_RUNNING = Gauge("teams_bot_jobs_running", "Card jobs running in this process")
JOB_SECONDS = Histogram(
    "teams_bot_job_seconds",
    "How long card jobs ran",
    ["outcome"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600),
)
CONNECTOR_CALLS = Counter(
    "teams_bot_connector_calls_total",
    "Bot Connector calls by answer (429s visible)",
    ["method", "status"],
)
OUTBOX_ROWS = Gauge("teams_bot_outbox_rows", "Outbox rows by state", ["state"])
OUTBOX_OLDEST_PENDING = Gauge(
    "teams_bot_outbox_oldest_pending_seconds", "Age of the oldest pending delivery"
)


def command_label(command: str) -> str:
    """A bounded label: the first two words of a command name (no arguments, no user text)."""
    return " ".join(command.split()[:2])[:40]


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
