"""The console's pure helpers: role hints from the policy in use, mentions typed as in Teams,
and button numbers that stay with their buttons."""

from __future__ import annotations

from pathlib import Path

import pytest

from teams_bot.console.activities import ActivityFactory, Person
from teams_bot.console.hints import role_hint, suggested_role
from teams_bot.console.render import ButtonNumbers, render_card
from teams_bot.policy import default_policy, load_policy, parse_policy

ROOT = Path(__file__).resolve().parent.parent
ADA = Person.named("Ada Lovelace")


@pytest.mark.parametrize(
    ("policy", "role"),
    [
        ({"roles": {"a": {"permissions": ["help"]}, "boss": {"permissions": ["*"]}}}, "boss"),
        (
            {
                "default_roles": ["viewer"],
                "roles": {
                    "viewer": {"permissions": ["help"]},
                    "operator": {"permissions": ["nodes.*"]},
                    "lead": {"permissions": ["nodes.*"]},
                },
                "approval_rules": [{"commands": ["nodes reboot"], "approvers": ["lead"]}],
            },
            "lead",
        ),
        ({"default_roles": ["v"], "roles": {"v": {"permissions": ["help"]}}}, "v"),
    ],
)
def test_the_suggested_role_is_one_the_policy_has(policy: dict, role: str) -> None:
    assert suggested_role(parse_policy(policy)) == role


def test_hints_for_the_trial_policy_and_for_none() -> None:
    trial = ROOT / "infra" / "policy.trial.toml"
    lines = "\n".join(role_hint(load_policy(trial), trial, ADA))
    assert f'"{ADA.aad_object_id}" = ["ops-lead"]' in lines
    assert "(roles: operator, ops-lead)" in lines
    bare = "\n".join(role_hint(default_policy(), None, ADA))
    assert "TEAMS_BOT_POLICY_FILE is not set" in bare
    assert "bindings" not in bare and "viewer" not in bare


@pytest.mark.parametrize(
    ("typed", "rest", "mentioned"),
    [
        ("@opsbot help", "help", True),
        ("<at>opsbot</at> help", "help", True),
        ("  <AT> OpsBot </at>,  whoami", "whoami", True),
        ("@opsbot: nodes failed", "nodes failed", True),
        ("help", "help", False),
        ("@opsbotx help", "@opsbotx help", False),
        ("oncall page @opsbot", "oncall page @opsbot", False),
    ],
)
def test_a_typed_mention_of_the_bot(typed: str, rest: str, mentioned: bool) -> None:
    factory = ActivityFactory("http://127.0.0.1:1/", "opsbot")
    assert factory.without_mention(typed) == (rest, mentioned)
    activity = factory.message(typed, ADA)
    if mentioned:
        assert activity["text"] == f"<at>opsbot</at> {rest}"
        assert activity["entities"][0]["text"] == "<at>opsbot</at>"
    else:
        assert activity["text"] == typed and "entities" not in activity


def _card(*ids: str) -> dict:
    actions = [
        {"type": "Action.Execute", "title": f"Reboot {i}", "verb": "v", "data": {"actionId": i}}
        for i in ids
    ]
    return {"type": "AdaptiveCard", "body": [], "actions": actions}


def test_button_numbers_are_never_given_to_another_button() -> None:
    numbers = ButtonNumbers()
    first = render_card(_card("a", "b", "c"), numbers=numbers)
    assert [(b.number, b.title) for b in first.buttons] == [
        (1, "Reboot a"),
        (2, "Reboot b"),
        (3, "Reboot c"),
    ]
    after = render_card(_card("b", "c", "d"), numbers=numbers)  # a pressed, d new
    assert [(b.number, b.title) for b in after.buttons] == [
        (2, "Reboot b"),
        (3, "Reboot c"),
        (4, "Reboot d"),
    ]
    assert after.button(1) is None and numbers.given(1) and not numbers.given(5)
    assert "[2] Reboot b  [3] Reboot c  [4] Reboot d" in after.text


def test_the_trial_policy_lets_the_playground_s_second_user_approve() -> None:
    # The Agents Playground's default mock tenant: Alex Wilber types, Megan Bowen is the other
    # user (aadObjectIds as the playground spells them, see scripts/playground_check.py).
    alex, megan = "00000000-0000-0000-0000-0000000000020", "00000000-0000-0000-0000-0000000000021"
    # The README's second playground start uses this config: Megan Bowen is its current user.
    config = (ROOT / "infra" / "playground.megan-bowen.yml").read_text()
    current = config.split("currentUser:\n", 1)[1].split("users:\n", 1)[0]
    assert "name: Megan Bowen" in current and f"aadObjectId: {megan}" in current
    assert config.count("aadObjectId: ") == 6  # the playground needs all six mock users
    trial = load_policy(ROOT / "infra" / "policy.trial.toml")
    (rollback,) = [r for r in trial.approval_rules if r.commands == ("release.rollback",)]
    assert ("ops-lead", "user binding") in trial.roles_for(megan)
    assert set(rollback.approvers) & {role for role, _ in trial.roles_for(megan)}
    assert not set(rollback.approvers) & {role for role, _ in trial.roles_for(alex)}
