"""Unit tests of the card builders: structure, buttons, paging, overlays, size and escaping."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cards import (
    MAX_CARD_BYTES,
    CardTooLarge,
    CommandResult,
    FailedNode,
    HelpCommand,
    HelpGroup,
    NodeActions,
    NodeProgress,
    ReleaseInfo,
    RoleGrant,
    WhoAmI,
    approval_card,
    card_size,
    command_result_card,
    failed_nodes_card,
    fit_card,
    help_card,
    samples,
    whoami_card,
)
from cards.text import escape_markdown, fmt_duration, one_line, prose, tail_lines, truncate

AT = samples.AT
UNESCAPED = re.compile(r"(?<!\\)[\[\]*_<>`~&{}|]")


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def of_type(card: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [node for node in walk(card) if node.get("type") == type_]


def texts(card: dict[str, Any]) -> list[str]:
    found = [n["text"] for n in of_type(card, "TextBlock")]
    found += [f[k] for fs in of_type(card, "FactSet") for f in fs["facts"] for k in f]
    return found


def joined(card: dict[str, Any]) -> str:
    return "\n".join(texts(card))


def nodes_card(listed: list[FailedNode], **extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "cluster": "prod-eu", "release": samples.RELEASE, "requested_by": "Ada", "at": AT,
        "actions": samples.node_actions([n.name for n in listed]),
    }
    return failed_nodes_card(listed, **{**args, **extra})


def reboot_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in of_type(card, "Action.Execute") if a["verb"] == "nodes.reboot"]


# --- every sample -------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_every_sample_is_a_small_1_5_card(name: str) -> None:
    card = samples.SAMPLES[name]()
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card_size(card) < MAX_CARD_BYTES
    assert json.loads(json.dumps(card)) == card
    assert card == samples.SAMPLES[name](), "builders must be deterministic"


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_buttons_carry_only_an_opaque_action_id(name: str) -> None:
    card = samples.SAMPLES[name]()
    submits = of_type(card, "Action.Submit")
    for action in of_type(card, "Action.Execute"):
        assert set(action["data"]) <= {"actionId"}
        assert action["verb"]
        if "title" not in action:
            continue  # the card's refresh action: Teams sends it, no person presses it
        # Universal Actions guidance: older clients press the Action.Submit fallback instead,
        # carrying the same id (and the verb, which a Submit has no field for)
        fallback = action["fallback"]
        assert fallback["type"] == "Action.Submit" and fallback["title"] == action["title"]
        assert fallback["data"] == {**action["data"], "verb": action["verb"]}
    fallbacks = [a["fallback"] for a in of_type(card, "Action.Execute") if "fallback" in a]
    for action in submits:
        assert action in fallbacks, f"an Action.Submit that is not a fallback: {action}"


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_no_control_characters_and_no_unescaped_markdown(name: str) -> None:
    for text in texts(samples.SAMPLES[name]()):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), text
        assert not UNESCAPED.search(text), text


def test_cards_package_is_pure() -> None:
    code = ("import sys, cards, cards.samples; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('botbuilder', 'aiohttp', 'sqlalchemy', 'requests', 'teams_bot')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- failed nodes ---------------------------------------------------------------------------

def test_each_node_has_its_reboot_button_and_the_card_has_reboot_all_and_rollback() -> None:
    listed = samples.nodes(3)
    card = nodes_card(listed)
    assert reboot_buttons(card) == [
        {"type": "Action.Execute", "title": "Reboot", "verb": "nodes.reboot",
         "data": {"actionId": f"act_{i:04d}.sig"},
         "fallback": {"type": "Action.Submit", "title": "Reboot",
                      "data": {"actionId": f"act_{i:04d}.sig", "verb": "nodes.reboot"}}}
        for i in range(3)]
    titles = {a["title"]: a for a in card["actions"]}
    assert titles["Reboot all failed (3)"]["data"] == {"actionId": "act_all.sig"}
    assert titles["Rollback payments-api 2024.11.3"]["verb"] == "release.rollback"
    text = joined(card)
    for node in listed:
        assert node.name in text
    assert "NotReady since 2024-11-23 13:26 UTC (35m ago) · cluster prod-eu" in text
    assert "Last error: kubelet stopped posting node status" in text
    assert "Listed for Ada · as of 2024-11-23 14:01 UTC" in text


def test_buttons_appear_only_for_ids_the_server_minted() -> None:
    listed = samples.nodes(2)
    card = nodes_card(listed, release=None,
                      actions=NodeActions(reboot={listed[1].name: "only"}))
    assert [b["data"] for b in reboot_buttons(card)] == [{"actionId": "only"}]
    assert "actions" not in card


def test_custom_verbs_are_used() -> None:
    listed = samples.nodes(1)
    actions = NodeActions(reboot={listed[0].name: "a"}, reboot_all="b", rollback="c",
                          reboot_verb="x.r", reboot_all_verb="x.all", rollback_verb="x.rb")
    card = nodes_card(listed, actions=actions)
    assert {a["verb"] for a in of_type(card, "Action.Execute")} == {"x.r", "x.all", "x.rb"}


def test_thousand_nodes_with_huge_errors_are_paged_and_fit() -> None:
    card = nodes_card(samples.nodes(1000, error="E" * 100_000))
    assert len(reboot_buttons(card)) == 25
    text = joined(card)
    assert "… and 975 more failed nodes" in text
    assert "aks-pool1-00024" in text and "aks-pool1-00025" not in text
    assert card["actions"][0]["title"] == "Reboot all failed (1000)"
    assert max(len(t) for t in texts(card)) < 400
    assert card_size(card) < MAX_CARD_BYTES


def test_page_shrinks_when_a_page_would_not_fit() -> None:
    card = nodes_card(samples.nodes(1000), page_size=1000)
    shown = len(reboot_buttons(card))
    assert 0 < shown < 1000
    assert f"… and {1000 - shown} more failed nodes" in joined(card)
    assert card_size(card) <= MAX_CARD_BYTES


def test_empty_list_is_a_friendly_card() -> None:
    card = samples.failed_nodes_empty()
    assert "✅ No failed nodes in prod-eu" in joined(card)
    assert "actions" not in card and not of_type(card, "Action.Execute")


def test_progress_overlay_removes_buttons_that_no_longer_apply() -> None:
    card = samples.failed_nodes_progress()
    text = joined(card)
    assert "Rebooted by Ada Lovelace at 14:03 UTC ✔" in text
    assert "⏳ Rebooting aks-pool1-00001, requested by Ada Lovelace at 14:02 UTC" in text
    assert "✖ Reboot failed: node did not come back within 10m" in text
    # Only the node whose reboot failed can be retried.
    assert [b["data"]["actionId"] for b in reboot_buttons(card)] == ["act_0002.sig"]
    assert card["actions"][0]["title"] == "Reboot all failed (1)"


def test_reboot_all_disappears_when_every_node_is_handled() -> None:
    listed = samples.nodes(2)
    progress = {n.name: NodeProgress("running", "Ada", AT) for n in listed}
    card = nodes_card(listed, progress=progress)
    assert [a["title"] for a in card["actions"]] == ["Rollback payments-api 2024.11.3"]
    assert not reboot_buttons(card)


def test_refresh_for_user_specific_views() -> None:
    users = [f"user-{i}" for i in range(100)]
    card = nodes_card(samples.nodes(1), refresh_verb="nodes.view", refresh_user_ids=users,
                      refresh_action_id="r1")
    assert card["refresh"]["action"] == {"type": "Action.Execute", "verb": "nodes.view",
                                         "data": {"actionId": "r1"}}
    assert card["refresh"]["userIds"] == users[:60]
    assert "refresh" not in nodes_card(samples.nodes(1), refresh_verb="nodes.view")


def test_hostile_node_names_are_escaped_and_stripped() -> None:
    card = samples.failed_nodes_hostile()
    text = joined(card)
    assert r"\[click\](http://evil.example)" in text
    assert r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \<at\>Ada\</at\> \&lt;b\&gt;" in text
    assert r"node-$(rm -rf /)-\`whoami\`" in text
    assert r"node↵with↵newlines\[31m" in text  # ESC and NUL gone, line breaks visible
    assert r"\- list item↵1. numbered↵\# heading" in text
    assert r"\{\{DATE(2017-02-14T06:08:39Z, SHORT)\}\}" in text
    names = [t["text"] for t in of_type(card, "TextBlock") if t.get("weight") == "bolder"]
    assert "n" * 119 + "…" in names
    # Button titles are plain text (no markdown there), but still cleaned.
    assert card["actions"][1]["title"] == "Rollback node-$(rm -rf /)-`whoami`"


# --- command result -------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "label", "color"), [
    ("running", "⏳ Running", "accent"), ("succeeded", "✅ Succeeded", "good"),
    ("failed", "❌ Failed", "attention"), ("timed_out", "⏱️ Timed out", "warning"),
])
def test_command_status_label_and_color(status: str, label: str, color: str) -> None:
    card = command_result_card(samples._result(status, "ok", 0))
    assert card["body"][0]["text"] == label and card["body"][0]["color"] == color


def test_command_result_shows_who_when_duration_and_monospace_tail() -> None:
    card = samples.command_failed()
    text = joined(card)
    for expected in ("$ deploy payments-api \\-\\-env prod", "Ada Lovelace",
                     "2024-11-23 14:01 UTC", "3m 12s", "job\\-7f3a"):
        assert expected.replace("\\-", "-") in text or expected in text
    mono = [t for t in of_type(card, "TextBlock") if t.get("fontType") == "Monospace"]
    assert len(mono) == 1 + 30  # the command line and the capped tail
    assert mono[-1]["text"] == "rollout aborted; exit status 2"
    assert "… earlier output left out" in text
    assert "Run by Ada Lovelace · failed at 2024-11-23 14:04 UTC" in text
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Details",
                                "url": "https://ci.example.com/runs/7f3a"}]


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "ftp://h/x",
    "https://", "https://exa mple.com", "https://h/\nx", "//evil.example/x", "", None,
])
def test_details_link_only_for_http_urls(url: str | None) -> None:
    result = CommandResult("x", "succeeded", "Ada", AT, AT, details_url=url)
    assert "actions" not in command_result_card(result)


def test_huge_output_is_capped() -> None:
    card = samples.command_timed_out_huge()
    assert card_size(card) < 20_000
    assert all(len(t) <= 400 for t in texts(card))


def test_output_tail_keeps_indentation_and_last_redraw() -> None:
    lines, cut = tail_lines("a\n  b\r\nprogress 10%\rprogress 100%\n", 10, 1000, 100)
    assert lines == ["a", "  b", "progress 100%"] and not cut
    card = command_result_card(CommandResult("x", "succeeded", "Ada", AT, AT,
                                              output_tail="    indented  twice"))
    mono = [t["text"] for t in of_type(card, "TextBlock") if t.get("fontType") == "Monospace"]
    assert mono[-1] == "\u00a0" * 4 + "indented \u00a0twice"


# --- help and whoami ------------------------------------------------------------------------

def test_help_card_groups_commands() -> None:
    card = samples.help_sample()
    text = joined(card)
    for expected in ("Nodes", "nodes reboot", r"Usage: nodes reboot \<node\> \[--force\]",
                     "Deployments", "6 commands in 3 groups"):
        assert expected in text
    empty = help_card([HelpGroup("Empty", [])])
    assert "No commands are available to you here." in joined(empty)
    assert "Empty" not in joined(empty)


def test_help_card_with_many_commands_fits() -> None:
    group = HelpGroup("Big", [HelpCommand(f"c{i}", "s" * 1000, "u" * 1000) for i in range(500)])
    card = help_card([group])
    assert card_size(card) <= MAX_CARD_BYTES
    assert "… and 400 more commands; ask for help on one by name" in joined(card)


def test_whoami_card_shows_ids_and_role_sources() -> None:
    text = joined(samples.whoami())
    for expected in ("Ada Lovelace", "6f1c2d9e\\-4b7a", "Tenant id", "operator",
                     "from group SRE On\\-call", "from default"):
        assert expected.replace("\\-", "-") in text or expected in text
    no_roles = whoami_card(WhoAmI("Bob", "oid", "tid"))
    assert "No roles" in joined(no_roles)
    many = whoami_card(WhoAmI("Bob", "oid", "tid", [RoleGrant(f"r{i}", "x") for i in range(80)]))
    assert "… and 30 more roles" in joined(many)


# --- text safety and size -------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "escaped"), [
    ("[a](http://x)", r"\[a\](http://x)"),
    ("**b** _i_", r"\*\*b\*\* \_i\_"),
    ("<at>x</at>", r"\<at\>x\</at\>"),
    ("a\\b", r"a\\b"),
    ("1. one", r"1\. one"),
    ("- item", r"\- item"),
    ("# h", r"\# h"),
    ("node-3.prod", "node-3.prod"),
])
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_cleaning_helpers() -> None:
    assert one_line("a\nb\x00c\u202ed") == "a↵bcd"
    assert prose("a \n\t b\x07") == "a b"
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"
    assert fmt_duration(timedelta(seconds=42)) == "42s"
    assert fmt_duration(timedelta(hours=2, minutes=1)) == "2h 01m"
    assert fmt_duration(timedelta(days=3, hours=4)) == "3d 4h"
    assert fmt_duration(timedelta(seconds=-5)) == "0s"


@pytest.mark.parametrize("started", [
    datetime(2024, 1, 1, 16, 0),  # naive: taken as UTC
    datetime(2024, 1, 1, 18, 0, tzinfo=timezone(timedelta(hours=2))),
])
def test_times_are_shown_in_utc(started: datetime) -> None:
    card = command_result_card(CommandResult("x", "running", "Ada", started))
    assert "Run by Ada · started 2024-01-01 16:00 UTC" in joined(card)


def test_fit_card_shortens_long_texts_and_refuses_hopeless_cards() -> None:
    big = {"type": "AdaptiveCard", "version": "1.5",
           "body": [{"type": "TextBlock", "text": "\\*" * 60_000}]}
    fitted = fit_card(big)
    assert card_size(fitted) <= MAX_CARD_BYTES and big["body"][0]["text"] == "\\*" * 60_000
    cut = fitted["body"][0]["text"].rstrip("…")
    assert (len(cut) - len(cut.rstrip("\\"))) % 2 == 0, "never ends inside an escape"
    many = {"type": "AdaptiveCard", "version": "1.5",
            "body": [{"type": "TextBlock", "text": "x" * 30} for _ in range(5_000)]}
    with pytest.raises(CardTooLarge):
        fit_card(many)


def test_release_line_and_cluster_are_escaped() -> None:
    listed = samples.nodes(1)
    card = nodes_card(listed, cluster="c_1", release=ReleaseInfo("r*1", deployed_by="<b>"))
    text = joined(card)
    assert r"in c\_1" in text and r"Suspected release: r\*1, deployed by \<b\>" in text


# --- approval -------------------------------------------------------------------------------

def approval(state: str = "pending", ids: dict[str, str] | None = None,
             **extra: Any) -> dict[str, Any]:
    given: dict[str, Any] = {"approve_id": "ap", "deny_id": "dn", "cancel_id": None, **(ids or {})}
    return approval_card(samples.approval_view(state, **extra), **given)


def test_pending_approval_shows_who_what_why_who_may_and_until_when() -> None:
    card = samples.approval_pending()
    text = joined(card)
    assert "🔐 Approval needed" in text
    assert "Ada Lovelace asks to run:" in text
    assert "Deploy payments-api 2024.11.4 to prod (3 clusters)" in text
    assert "$ deploy payments-api --env prod --version 2024.11.4" in text
    assert "prod-eu-1, prod-eu-2, prod-us-1" in text  # targets as a fact
    assert "Hotfix for INC-4242: checkout fails for cards issued in Brazil" in text
    assert "2 approvals from ops-lead" in text
    assert "14:31 UTC (open for 30m)" in text
    assert "Approvals: 1 of 2 · Bob Builder 14:04 UTC" in text
    assert "Request A7K3F2 · opened 2024-11-23 14:01 UTC" in text
    assert card["refresh"]["action"]["verb"] == "approval.view"


def test_approve_and_deny_buttons_carry_only_their_ids() -> None:
    card = samples.approval_pending()
    approve, deny = card["actions"]
    assert approve == {"type": "Action.Execute", "title": "Approve", "verb": "approval.approve",
                       "data": {"actionId": "act_approve.sig"}, "style": "positive",
                       "fallback": {"type": "Action.Submit", "title": "Approve",
                                    "data": {"actionId": "act_approve.sig",
                                             "verb": "approval.approve"}}}
    assert deny["type"] == "Action.ShowCard" and deny["title"] == "Deny…"
    (reason,) = deny["card"]["body"]
    assert reason["type"] == "Input.Text" and reason["id"] == "reason"
    assert reason["placeholder"] == "Why? (optional)"
    assert deny["card"]["actions"] == [{
        "type": "Action.Execute", "title": "Deny", "verb": "approval.deny",
        "data": {"actionId": "act_deny.sig"}, "style": "destructive",
        "fallback": {"type": "Action.Submit", "title": "Deny",
                     "data": {"actionId": "act_deny.sig", "verb": "approval.deny"}}}]


def test_buttons_only_for_given_ids() -> None:
    view = samples.approval_view("pending")
    assert "actions" not in approval_card(view, approve_id=None, deny_id=None, cancel_id=None)
    only_deny = approval_card(view, approve_id=None, deny_id="d", cancel_id=None)
    assert [a["type"] for a in only_deny["actions"]] == ["Action.ShowCard"]
    requester = samples.approval_pending_requester()
    assert requester["actions"] == [{"type": "Action.Execute", "title": "Cancel request",
                                     "verb": "approval.cancel",
                                     "data": {"actionId": "act_cancel.sig"},
                                     "fallback": {"type": "Action.Submit",
                                                  "title": "Cancel request",
                                                  "data": {"actionId": "act_cancel.sig",
                                                           "verb": "approval.cancel"}}}]


@pytest.mark.parametrize("state", ["approved", "running", "succeeded", "failed", "denied",
                                   "cancelled", "expired"])
def test_no_buttons_once_decided(state: str) -> None:
    card = approval(state, ids={"cancel_id": "c"})
    assert "actions" not in card and not of_type(card, "Action.Execute")
    assert not of_type(card, "Input.Text")
    assert "Expires" not in joined(card)


@pytest.mark.parametrize(("sample", "shown"), [
    ("approval_approved", "Approved at 14:07 UTC. Starting now."),
    ("approval_running", "Approved at 14:07 UTC. Running now."),
    ("approval_succeeded", "Succeeded at 14:11 UTC."),
    ("approval_failed", "Failed at 14:11 UTC."),
    ("approval_denied", "Denied by Grace Hopper at 14:05 UTC — nothing ran."),
    ("approval_denied", "Reason: Change freeze until 18:00; use the canary."),
    ("approval_cancelled", "Cancelled by the requester at 14:03 UTC. Nothing ran."),
    ("approval_expired", "Expired at 14:31 UTC — nothing ran."),
    ("approval_expired", "Ada Lovelace asked to run:"),
    ("approval_succeeded", "Smoke tests: 12 passed, 0 failed"),
])
def test_final_states_are_spelled_out(sample: str, shown: str) -> None:
    assert shown in joined(samples.SAMPLES[sample]())


def test_approval_headings() -> None:
    headings = {name: samples.SAMPLES[name]()["body"][0]["text"]
                for name in samples.SAMPLES if name.startswith("approval_")}
    assert headings["approval_approved"] == "✅ Approved"
    assert headings["approval_running"] == "⏳ Approved · running"
    assert headings["approval_succeeded"] == "✅ Approved · succeeded"
    assert headings["approval_failed"] == "❌ Approved · failed"
    assert headings["approval_denied"] == "⛔ Denied"
    assert headings["approval_cancelled"] == "↩️ Cancelled"
    assert headings["approval_expired"] == "⌛ Expired"


def test_approval_quorum_wording_and_far_expiry() -> None:
    one = joined(approval(approver_roles=("ops-lead", "admin"), quorum=1,
                          expires_at=AT + timedelta(days=2)))
    assert "1 approval from ops-lead or admin" in one
    assert "2024-11-25 14:01 UTC (open for 2d 0h)" in one
    assert "(no reason given)" in joined(approval(reason=""))


def test_approval_text_is_escaped() -> None:
    card = samples.approval_hostile()
    text = joined(card)
    assert r"\*\*bold\*\* \_it\_" in text and r"\[click\](http://evil.example)" in text
    assert "\n" not in "".join(texts(card))


# --- issue 11: cards that tell the truth ----------------------------------------------------

def test_headline_counts_what_is_still_failed_after_reboots() -> None:
    card = samples.failed_nodes_progress()  # 3 nodes: one rebooted, one running, one failed
    assert texts(card)[0] == "⚠️ 2 failed nodes in prod-eu · 1 healed"
    assert card["fallbackText"] == "⚠️ 2 failed nodes in prod-eu · 1 healed"
    listed = samples.nodes(2)
    done = {n.name: NodeProgress("succeeded", "Ada", AT) for n in listed}
    healed = nodes_card(listed, progress=done)
    assert texts(healed)[0] == "✅ No failed nodes left in prod-eu · 2 healed"
    assert of_type(healed, "TextBlock")[0]["color"] == "good"
    one = nodes_card(samples.nodes(2), progress={listed[0].name: done[listed[0].name]})
    assert texts(one)[0] == "⚠️ 1 failed node in prod-eu · 1 healed"


def test_nodes_healed_by_a_rollback_are_shown_healed_without_buttons() -> None:
    listed = samples.nodes(3)
    rolled = NodeProgress("succeeded", "Grace", AT, detail="the rollback of payments-api 2024.11.3")
    card = nodes_card(listed, healed={listed[0].name: rolled, listed[1].name: rolled})
    text = joined(card)
    assert text.count("Healed by the rollback of payments-api 2024.11.3, requested by Grace at "
                      "14:01 UTC ✔") == 2
    assert "Rebooted by" not in text
    assert [b["data"]["actionId"] for b in reboot_buttons(card)] == ["act_0002.sig"]
    assert card["actions"][0]["title"] == "Reboot all failed (1)"
    assert texts(card)[0] == "⚠️ 1 failed node in prod-eu · 2 healed"


def test_what_reboot_all_needs_is_said_while_the_button_is_shown() -> None:
    note = "Reboot all failed: rebooting more than 3 nodes needs the role 'ops-lead'."
    listed = samples.nodes(4)
    card = nodes_card(listed, reboot_all_note=note)
    assert note in texts(card)
    assert texts(card)[-1].startswith("Listed for Ada")  # the note sits above the footer
    done = {n.name: NodeProgress("running", "Ada", AT) for n in listed}
    assert note not in texts(nodes_card(listed, reboot_all_note=note, progress=done))


def test_counts_are_singular_for_one() -> None:
    one = help_card([HelpGroup("General", [HelpCommand("help", "Help.", "help")])])
    assert "1 command in 1 group" in joined(one)
    grants = [RoleGrant(f"r{i}", "x") for i in range(51)]
    assert "… and 1 more role" in joined(whoami_card(WhoAmI("Bob", "oid", "tid", grants)))
    hidden = nodes_card(samples.nodes(26))
    assert "… and 1 more failed node (not listed" in joined(hidden)


def test_whoami_in_local_development_mode_claims_no_signed_in_account() -> None:
    identity = WhoAmI("Ada", "oid", "tid", checked_at=AT)
    local = joined(whoami_card(identity, signed_in=False))
    assert "signed-in" not in local
    assert "local development mode, no Teams sign-in was checked" in local
    assert "from the signed-in Teams account" in joined(whoami_card(identity))
