"""Sample inputs for every card: used by the tests, the renderer check and the README PNGs.

`python -m cards.samples [--readme]` prints {name: card} as JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cards import sample_cli
from cards.approval import ApprovalCardState, ApprovalView, approval_card
from cards.common import Card
from cards.help import help_card
from cards.models import (
    CommandResult,
    CommandStatus,
    FailedNode,
    HelpCommand,
    HelpGroup,
    NodeActions,
    NodeProgress,
    ReleaseInfo,
    RoleGrant,
    WhoAmI,
)
from cards.nodes import failed_nodes_card
from cards.reboot import reboot_card
from cards.release import EnvironmentStatus, ReleaseView, ServiceStatus, release_card, status_card
from cards.result import command_result_card
from cards.whoami import whoami_card

AT = datetime(2024, 11, 23, 14, 1, tzinfo=UTC)
RELEASE = ReleaseInfo("payments-api 2024.11.3", deployed_by="Bob Builder",
                      deployed_at=AT - timedelta(minutes=38))
HOSTILE_NAMES = (
    "[click](http://evil.example)",
    "**bold** _it_ ~~gone~~ <at>Ada</at> &lt;b&gt;",
    'node-"quoted"-\'single\'',
    "node-$(rm -rf /)-`whoami`",
    "node\nwith\r\nnewlines\x00\x1b[31m",
    "- list item\n1. numbered\n# heading",
    "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "n" * 300,
)


def nodes(count: int, *, error: str | None = None) -> list[FailedNode]:
    """`count` plausible failed nodes in one cluster."""
    states = ("NotReady", "DiskPressure", "Unreachable")
    return [
        FailedNode(
            name=f"aks-pool1-{i:05d}",
            cluster="prod-eu",
            state=states[i % len(states)],
            since=AT - timedelta(minutes=35 - i % 30),
            last_error=error if error is not None else _ERRORS[i % len(_ERRORS)],
        )
        for i in range(count)
    ]


_ERRORS = (
    "kubelet stopped posting node status: context deadline exceeded",
    "PLEG is not healthy: pleg was last seen active 3m12s ago; threshold is 3m0s",
    "",
)


def node_actions(names: list[str]) -> NodeActions:
    """Opaque ids as the action router would mint them (here: fake, but the same shape)."""
    return NodeActions(
        reboot={name: f"act_{i:04d}.sig" for i, name in enumerate(names)},
        reboot_all="act_all.sig",
        rollback="act_rollback.sig",
    )


def _nodes_card(listed: list[FailedNode], progress: dict[str, NodeProgress] | None = None,
                refresh_users: tuple[str, ...] = ()) -> Card:
    return failed_nodes_card(
        listed, cluster="prod-eu", release=RELEASE,
        actions=node_actions([n.name for n in listed]), requested_by="Ada Lovelace", at=AT,
        progress=progress, refresh_verb="nodes.view", refresh_user_ids=refresh_users,
        refresh_action_id="act_view.sig",
    )


def failed_nodes() -> Card:
    return _nodes_card(nodes(3))


def failed_nodes_progress() -> Card:
    listed = nodes(3)
    progress = {
        listed[0].name: NodeProgress("succeeded", "Ada Lovelace", AT + timedelta(minutes=2)),
        listed[1].name: NodeProgress("running", "Ada Lovelace", AT + timedelta(minutes=1)),
        listed[2].name: NodeProgress("failed", "Grace Hopper", AT + timedelta(minutes=2),
                                     detail="node did not come back within 10m"),
    }
    return _nodes_card(listed, progress, refresh_users=("aad-ada", "aad-grace"))


def failed_nodes_empty() -> Card:
    return failed_nodes_card([], cluster="prod-eu", release=None, actions=NodeActions(),
                             requested_by="Ada Lovelace", at=AT)


def failed_nodes_many() -> Card:
    return _nodes_card(nodes(1000, error="E" * 100_000))


def failed_nodes_hostile() -> Card:
    listed = [FailedNode(name, name, name, AT - timedelta(hours=2), last_error=name)
              for name in HOSTILE_NAMES]
    return failed_nodes_card(
        listed, cluster=HOSTILE_NAMES[0], release=ReleaseInfo(HOSTILE_NAMES[3]),
        actions=node_actions(list(HOSTILE_NAMES)), requested_by=HOSTILE_NAMES[1], at=AT,
    )


def _result(status: CommandStatus, output: str, exit_code: int | None) -> CommandResult:
    return CommandResult(
        command="deploy payments-api --env prod --version 2024.11.4",
        status=status,
        requested_by="Ada Lovelace",
        started_at=AT,
        finished_at=None if status == "running" else AT + timedelta(minutes=3, seconds=12),
        output_tail=output, exit_code=exit_code, job_id="job-7f3a",
        details_url="https://ci.example.com/runs/7f3a",
    )


_OK_OUTPUT = "\n".join([
    "Resolving payments-api 2024.11.4 ...",
    "Pushing manifests to prod-eu (3 clusters)",
    "  deployment.apps/payments-api configured",
    "  service/payments-api unchanged",
    "Waiting for rollout: 6/6 replicas ready",
    "Smoke tests: 12 passed, 0 failed",
])
_FAIL_OUTPUT = "\n".join(f"step {i}: ok" for i in range(40)) + "\n" + "\n".join([
    "Waiting for rollout: 2/6 replicas ready",
    "ERROR: readiness probe failed: HTTP 503 on /healthz",
    "  at **payments-api-7c9d** [pod](http://evil.example) <at>oncall</at>",
    "rollout aborted; exit status 2",
])


def command_succeeded() -> Card:
    return command_result_card(_result("succeeded", _OK_OUTPUT, 0))


def command_failed() -> Card:
    return command_result_card(_result("failed", _FAIL_OUTPUT, 2))


def command_running() -> Card:
    return command_result_card(_result("running", "Resolving payments-api ...", None),
                               refresh_verb="job.view", refresh_user_ids=["aad-ada"])


def command_timed_out_huge() -> Card:
    huge = "\n".join("x" * 5_000 for _ in range(30)) + "\n" + "y" * 100_000
    return command_result_card(_result("timed_out", huge, None))


def help_sample() -> Card:
    return help_card([
        HelpGroup("Nodes", [
            HelpCommand("nodes failed", "List failed nodes with reboot buttons.",
                        "nodes failed [cluster]"),
            HelpCommand("nodes reboot", "Reboot one node (needs the operator role).",
                        "nodes reboot <node> [--force]"),
        ]),
        HelpGroup("Deployments", [
            HelpCommand("deploy", "Deploy a service version through the pipeline.",
                        "deploy <service> --env <env> --version <version>"),
            HelpCommand("rollback", "Roll a release back to the previous version.",
                        "rollback <release>"),
        ]),
        HelpGroup("About you", [
            HelpCommand("whoami", "Show how the bot sees you and your roles.", "whoami"),
            HelpCommand("help", "This list.", "help [command]"),
        ]),
    ])


def whoami() -> Card:
    return whoami_card(WhoAmI(
        display_name="Ada Lovelace",
        aad_object_id="6f1c2d9e-4b7a-4c1e-9d2f-0a8b7c6d5e4f",
        tenant_id="0d3b9c1e-5a7f-4e2b-8c6d-1f2e3a4b5c6d",
        roles=[RoleGrant("operator", "group SRE On-call"), RoleGrant("viewer", "default")],
        checked_at=AT,
    ))


def approval_view(state: ApprovalCardState, **extra: object) -> ApprovalView:
    """A production deploy waiting for two approvals from ops-lead, at a given state."""
    view = ApprovalView(
        id="A7K3F2", state=state, requester="Ada Lovelace",
        summary="Deploy payments-api 2024.11.4 to prod (3 clusters)",
        command="deploy payments-api --env prod --version 2024.11.4",
        arguments={"service": "payments-api", "env": "prod", "version": "2024.11.4",
                   "clusters": ["prod-eu-1", "prod-eu-2", "prod-us-1"]},
        reason="Hotfix for INC-4242: checkout fails for cards issued in Brazil",
        approver_roles=("ops-lead",), quorum=2, rule_description="production deploys",
        created_at=AT, expires_at=AT + timedelta(minutes=30),
    )
    return replace(view, **extra)  # type: ignore[arg-type]


_APPROVED = (("Bob Builder", AT + timedelta(minutes=3)),
             ("Grace Hopper", AT + timedelta(minutes=6)))


def _for_approver(view: ApprovalView, **refresh: Any) -> Card:
    """The card as posted: Approve and Deny (the requester's own view has Cancel instead)."""
    return approval_card(view, approve_id="act_approve.sig", deny_id="act_deny.sig",
                         cancel_id=None, **refresh)


def approval_pending() -> Card:
    view = approval_view("pending", approvals=_APPROVED[:1])
    return _for_approver(view, refresh_verb="approval.view", refresh_user_ids=["aad-ada"],
                         refresh_action_id="act_view.sig")


def approval_pending_requester() -> Card:
    return approval_card(approval_view("pending"), approve_id=None, deny_id=None,
                         cancel_id="act_cancel.sig")


def approval_approved() -> Card:
    view = approval_view("approved", approvals=_APPROVED, decided_at=_APPROVED[1][1])
    return _for_approver(view)


def approval_running() -> Card:
    view = approval_view("running", approvals=_APPROVED, decided_at=_APPROVED[1][1],
                         result="Resolving payments-api 2024.11.4 ...")
    return _for_approver(view)


def approval_succeeded() -> Card:
    view = approval_view("succeeded", approvals=_APPROVED, decided_at=_APPROVED[1][1],
                         updated_at=AT + timedelta(minutes=10), result=_OK_OUTPUT)
    return _for_approver(view)


def approval_failed() -> Card:
    view = approval_view("failed", approvals=_APPROVED, decided_at=_APPROVED[1][1],
                         updated_at=AT + timedelta(minutes=10), result=_FAIL_OUTPUT)
    return _for_approver(view)


def approval_denied() -> Card:
    at = AT + timedelta(minutes=4)
    view = approval_view("denied", approvals=_APPROVED[:1], decided_at=at,
                         denial=("Grace Hopper", "Change freeze until 18:00; use the canary.", at))
    return _for_approver(view)


def approval_cancelled() -> Card:
    return _for_approver(approval_view("cancelled", decided_at=AT + timedelta(minutes=2)))


def approval_expired() -> Card:
    view = approval_view("expired", approvals=_APPROVED[:1], decided_at=AT + timedelta(minutes=30))
    return _for_approver(view)


def approval_hostile() -> Card:
    name = HOSTILE_NAMES[1]
    view = ApprovalView(
        id=HOSTILE_NAMES[6], state="denied", requester=name, summary=HOSTILE_NAMES[0],
        command=HOSTILE_NAMES[3], arguments={n: n for n in HOSTILE_NAMES},
        reason=HOSTILE_NAMES[5], approver_roles=HOSTILE_NAMES[:3], quorum=3,
        rule_description=HOSTILE_NAMES[4], created_at=AT, expires_at=AT + timedelta(days=2),
        approvals=[(n, AT) for n in HOSTILE_NAMES], denial=(name, HOSTILE_NAMES[2], AT),
        decided_at=AT,
    )
    return _for_approver(view)


def reboot_progress() -> Card:
    """`nodes reboot web-07 web-11 db-02`: one rebooted, one rebooting, one interrupted."""
    def at(minutes: int) -> datetime:
        return AT + timedelta(minutes=minutes)

    progress = {
        "web-07": NodeProgress("succeeded", "Ada Lovelace", at(1)),
        "web-11": NodeProgress("running", "Ada Lovelace", at(2)),
        "db-02": NodeProgress("failed", "Ada Lovelace", at(2),
                              "interrupted: the bot stopped while this ran"),
    }
    return reboot_card(["web-07", "web-11", "db-02"], progress, requested_by="Ada Lovelace",
                       at=AT, retry={"db-02": "act_retry.sig"})


def _release(state: str, **extra: Any) -> Card:
    view = ReleaseView(
        kind="deploy", service="web", environment="production", version="1.4.2",
        previous="1.4.1", state=state, requested_by="Ada Lovelace", started_at=AT,
        now=AT + timedelta(minutes=3), **extra,
    )
    return release_card(view)


def deploy_running() -> Card:
    return _release("running", progress="running: Deploy to AKS (step 3 of 5)",
                    url="https://github.com/contoso/web/actions/runs/1234567890")


def deploy_failed() -> Card:
    return _release(
        "failed", finished_at=AT + timedelta(minutes=4), rollback_id="act_rollback.sig",
        url="https://github.com/contoso/web/actions/runs/1234567890",
        tail="deploying web 1.4.2 to production\nhealth check failed: /healthz answered 503",
    )


def deploy_succeeded() -> Card:
    return _release("succeeded", finished_at=AT + timedelta(minutes=4),
                    rollback_id="act_rollback.sig")


def service_status() -> Card:
    envs = [
        EnvironmentStatus("staging", "1.4.2", AT - timedelta(hours=3), "Ada Lovelace",
                          "deploy 1.4.2 succeeded", True),
        EnvironmentStatus("production", "1.4.1", AT - timedelta(days=2), "Grace Hopper",
                          "deploy 1.4.2 failed", False, "2/3 replicas answer 503"),
    ]
    frozen = "Changes are frozen in production by Grace Hopper since 13:00 UTC: release night."
    return status_card([ServiceStatus("web", envs, frozen=frozen)], AT)


SAMPLES: dict[str, Callable[[], Card]] = {
    "failed_nodes": failed_nodes,
    "failed_nodes_progress": failed_nodes_progress,
    "failed_nodes_empty": failed_nodes_empty,
    "failed_nodes_many": failed_nodes_many,
    "failed_nodes_hostile": failed_nodes_hostile,
    "command_succeeded": command_succeeded,
    "command_failed": command_failed,
    "command_running": command_running,
    "command_timed_out_huge": command_timed_out_huge,
    "help": help_sample,
    "whoami": whoami,
    "approval_pending": approval_pending,
    "approval_pending_requester": approval_pending_requester,
    "approval_approved": approval_approved,
    "approval_running": approval_running,
    "approval_succeeded": approval_succeeded,
    "approval_failed": approval_failed,
    "approval_denied": approval_denied,
    "approval_cancelled": approval_cancelled,
    "approval_expired": approval_expired,
    "approval_hostile": approval_hostile,
    "reboot_progress": reboot_progress,
    "deploy_running": deploy_running,
    "deploy_failed": deploy_failed,
    "deploy_succeeded": deploy_succeeded,
    "service_status": service_status,
}
README_SAMPLES = ("failed_nodes", "failed_nodes_progress", "command_succeeded",
                  "command_failed", "help", "whoami", "failed_nodes_hostile",
                  "approval_pending", "approval_approved", "approval_denied", "approval_expired",
                  "reboot_progress", "deploy_running", "deploy_failed", "service_status")


def build(names: tuple[str, ...] | None = None) -> dict[str, Card]:
    return sample_cli.build(SAMPLES, names)


def main(argv: list[str] | None = None) -> None:
    sample_cli.main(SAMPLES, README_SAMPLES, __doc__, argv)


if __name__ == "__main__":
    main()
