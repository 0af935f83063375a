"""Argv templates: whole-element placeholders only; values pass through untouched."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teams_bot.automation import ArgumentError, Job, LocalExecutableRunner, TemplateError
from teams_bot.automation.template import ArgvTemplate, Fixed, Placeholder

# Anything a chat message can carry, except NUL and lone surrogates (those are refused).
chars = st.characters(exclude_categories=["Cs"], exclude_characters="\0")
values = st.text(chars)


def test_parse_elements() -> None:
    template = ArgvTemplate.parse(["tool", "--node", "{node}", "{nodes*}", "{_x1}"])
    assert template.elements == (
        Fixed("tool"),
        Fixed("--node"),
        Placeholder("node", splice=False),
        Placeholder("nodes", splice=True),
        Placeholder("_x1", splice=False),
    )
    assert template.names == {"node", "nodes", "_x1"}


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        ([], "non-empty list"),
        ("tool {node}", "non-empty list"),
        (["{tool}"], "element 0 (the executable) must be a literal"),
        (["{tools*}"], "element 0"),
        ([""], "element 0"),
        (["tool", 3], "element 1 must be a string, not int"),
        (["tool", "a\0b"], "element 1 contains a NUL byte"),
        (["tool", "--x={node}"], "element 1 ('--x={node}'): braces"),
        (["tool", "{node}.log"], "element 1"),
        (["tool", "{{node}}"], "element 1"),
        (["tool", "{node**}"], "element 1"),
        (["tool", "{ node }"], "element 1"),
        (["tool", "{}"], "element 1"),
        (["tool", "}"], "element 1"),
        (["tool", "{1node}"], "element 1"),
    ],
)
def test_parse_errors(argv: list[str], problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        ArgvTemplate.parse(argv)
    assert problem in str(caught.value)


def test_job_checks_its_template_and_timeout() -> None:
    with pytest.raises(TemplateError):
        Job("x", ("tool", "--n={node}"))
    with pytest.raises(ValueError, match="longer than zero"):
        Job("x", ("tool",), timeout=timedelta(0))


@given(single=values, spliced=st.lists(values, max_size=5), extra=values)
def test_values_become_exact_elements(single: str, spliced: list[str], extra: str) -> None:
    template = ArgvTemplate.parse(["tool", "-a", "{one}", "{many*}", "--"])
    argv = template.render({"one": single, "many": spliced, "unused": extra})
    assert argv == ["tool", "-a", single, *spliced, "--"]


@given(value=values)
def test_nul_anywhere_is_refused(value: str) -> None:
    template = ArgvTemplate.parse(["tool", "{v}", "{vs*}"])
    with pytest.raises(ArgumentError, match="NUL byte"):
        template.render({"v": value + "\0", "vs": []})
    with pytest.raises(ArgumentError, match="NUL byte"):
        template.render({"v": value, "vs": [value, "\0" + value]})


ECHO = "import json, sys; sys.stdout.write(json.dumps(sys.argv[1:]))"


short_values = st.text(
    chars, max_size=60
)  # JSON-escaped, four of them stay well inside the 4096-character output tail


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(one=short_values, many=st.lists(short_values, max_size=3))
async def test_values_reach_a_real_process_unchanged(
    one: str, many: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")  # how the child decodes its argv
    runner = LocalExecutableRunner()
    job = Job("echo", (sys.executable, "-c", ECHO, "{one}", "{many*}"), {"one": one, "many": many})
    result = await runner.run(job)
    assert result.status == "succeeded"
    assert json.loads(result.output_tail) == [one, *many]
