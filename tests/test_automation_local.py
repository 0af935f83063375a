"""LocalExecutableRunner with real subprocesses: literal argv, timeouts, output, env, progress."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from teams_bot.automation import ArgumentError, Job, JobResult, LocalExecutableRunner, Runner

PY = sys.executable
ECHO = "import json, sys; sys.stdout.write(json.dumps(sys.argv[1:]))"


def job(*argv: str, seconds: float = 20, cwd: Path | None = None, **arguments: object) -> Job:
    return Job("test", argv, arguments, timedelta(seconds=seconds), cwd)  # type: ignore[arg-type]


def py(code: str, seconds: float = 20, cwd: Path | None = None) -> Job:
    return job(PY, "-c", code, seconds=seconds, cwd=cwd)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that is not us counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


async def all_gone(pids: list[int]) -> bool:
    """Killed processes take a few milliseconds to disappear after the signal is sent."""
    for _ in range(40):
        if not any(alive(pid) for pid in pids):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def runner() -> LocalExecutableRunner:
    return LocalExecutableRunner(grace=0.5, progress_interval=0.5)


@pytest.fixture(autouse=True)
def utf8_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_is_a_runner(runner: LocalExecutableRunner) -> None:
    assert isinstance(runner, Runner)


# --- argv: placeholders and injection attempts ---


async def test_placeholders_single_and_spliced(runner: LocalExecutableRunner) -> None:
    result = await runner.run(
        job(PY, "-c", ECHO, "--node", "{node}", "{nodes*}", "end", node="a b", nodes=["x", "y z"])
    )
    assert result.status == "succeeded"
    assert json.loads(result.output_tail) == ["--node", "a b", "x", "y z", "end"]


async def test_empty_splice_adds_nothing(runner: LocalExecutableRunner) -> None:
    result = await runner.run(job(PY, "-c", ECHO, "{nodes*}", "end", nodes=[]))
    assert json.loads(result.output_tail) == ["end"]


def injection_values(tmp: Path) -> list[str]:
    marker, victim = tmp / "pwned", tmp / "victim"
    return [
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"; touch {marker}; rm -rf {victim}",
        f"&& rm -rf {victim} || touch {marker}",
        f"x\ntouch {marker}\n",
        f"| touch {marker}",
        "'\"quoted\" and 'single''",
        "w" * 300,
        "-rf",
        "--help",
        "  spaced   out  ",
        "*",
        "~",
        "$HOME",
        "%s%n",
        "",
        "ünïcødé ✓ 🚀",
        "\\",
        "{node}",
        "{nodes*}",
    ]


@pytest.mark.parametrize("index", range(20))
async def test_injection_attempts_are_passed_literally(
    runner: LocalExecutableRunner, tmp_path: Path, index: int
) -> None:
    (tmp_path / "victim").write_text("still here")
    value = injection_values(tmp_path)[index]
    result = await runner.run(
        job(PY, "-c", ECHO, "{node}", "{nodes*}", cwd=tmp_path, node=value, nodes=[value, value])
    )
    assert result.status == "succeeded", result.output_tail
    assert json.loads(result.output_tail) == [value, value, value]
    assert listing(tmp_path) == ["victim"]
    assert (tmp_path / "victim").stat().st_size == len("still here")


async def test_example_script_receives_hostile_names_literally(
    runner: LocalExecutableRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Path(__file__).parents[1] / "infra/examples/reboot_node.py"
    monkeypatch.setenv("OPSBOT_EXAMPLE_DELAY", "0")
    for value in injection_values(tmp_path):
        hostile = Job(
            "reboot", (PY, str(script), "--", "{node}"), {"node": value}, cwd=tmp_path,
            env=("OPSBOT_EXAMPLE_DELAY",),
        )  # fmt: skip
        result = await runner.run(hostile)
        assert result.status == "succeeded", result.output_tail
        first = result.output_tail.splitlines()[0]
        assert json.loads(first.removeprefix("reboot requested for node ")) == value
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({}, "Missing a value for 'node'"),
        ({"node": "a\0b"}, "NUL byte"),
        ({"node": ["a"]}, "must be a single string"),
        ({"node": "a", "nodes": "not-a-list"}, "must be a list of strings"),
        ({"node": "a", "nodes": ["ok", "b\0"]}, "NUL byte"),
        ({"node": "\ud800"}, "cannot be passed to a program"),
    ],
)
async def test_refused_values_start_nothing(
    runner: LocalExecutableRunner, tmp_path: Path, arguments: dict[str, object], problem: str
) -> None:
    marker = tmp_path / "started"
    refused = Job("t", ("touch", str(marker), "{node}", "{nodes*}"), arguments)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match=problem):
        await runner.run(refused)
    assert not marker.exists()


# --- outcome ---


@pytest.mark.parametrize(("code", "status"), [(0, "succeeded"), (3, "failed"), (255, "failed")])
async def test_exit_code_and_status(runner: LocalExecutableRunner, code: int, status: str) -> None:
    result = await runner.run(py(f"import sys; print('bye'); sys.exit({code})"))
    assert (result.status, result.exit_code, result.output_tail) == (status, code, "bye")
    assert result.ok is (code == 0)
    assert result.started_at.tzinfo is not None and result.finished_at >= result.started_at
    assert 0 < result.duration_seconds < 10


async def test_missing_executable_is_an_error_result(runner: LocalExecutableRunner) -> None:
    result = await runner.run(job("/nonexistent/opsbot-tool", "x"))
    assert result.status == "error" and result.exit_code is None
    assert "Could not start '/nonexistent/opsbot-tool'" in result.output_tail


async def test_no_shell_even_for_shell_like_argv0(
    runner: LocalExecutableRunner, tmp_path: Path
) -> None:
    result = await runner.run(job("echo hi; touch pwned", cwd=tmp_path))
    assert result.status == "error"
    assert listing(tmp_path) == []


# --- timeouts and process groups ---

GRANDCHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen(['sleep', '60'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)
STUBBORN = (  # ignores SIGTERM, and so does its grandchild (ignored signals are inherited)
    "import signal, subprocess, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen(['sleep', '60'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(60)\n"
)


async def run_with_pids(
    runner: LocalExecutableRunner, code: str, seconds: float
) -> tuple[JobResult, float, list[int]]:
    """Run `code` after printing its pid; return the result, the time taken and both pids."""
    wrapper = f"import os; print(os.getpid(), flush=True)\n{code}"
    started = time.monotonic()
    result = await runner.run(py(wrapper, seconds=seconds))
    return result, time.monotonic() - started, [int(p) for p in result.output_tail.split()]


async def test_timeout_kills_the_whole_process_group(runner: LocalExecutableRunner) -> None:
    result, took, pids = await run_with_pids(runner, GRANDCHILD, seconds=1)
    assert result.status == "timed_out"
    assert result.exit_code == -15  # SIGTERM was enough
    assert len(pids) == 2
    assert await all_gone(pids)
    assert took < 5


async def test_timeout_escalates_to_sigkill_after_grace(runner: LocalExecutableRunner) -> None:
    result, took, pids = await run_with_pids(runner, STUBBORN, seconds=1)
    assert result.status == "timed_out"
    assert result.exit_code == -9
    assert len(pids) == 2 and await all_gone(pids)
    assert 1.4 < took < 5  # timeout + grace (0.5 s)


async def test_background_leftovers_are_killed_after_exit(runner: LocalExecutableRunner) -> None:
    leftover = "import subprocess; print(subprocess.Popen(['sleep', '60']).pid, flush=True)"
    result, took, pids = await run_with_pids(runner, leftover, seconds=20)
    assert result.status == "succeeded"
    assert len(pids) == 2 and await all_gone(pids)
    assert took < 5


async def test_cancelling_the_run_kills_the_group(runner: LocalExecutableRunner) -> None:
    seen: list[int] = []
    got_both = asyncio.Event()

    async def progress(line: str) -> None:
        seen.extend(int(p) for p in line.split())
        if len(seen) >= 2:
            got_both.set()

    code = (
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        "print(os.getpid(), child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    task = asyncio.create_task(runner.run(py(code, seconds=60), progress))
    await asyncio.wait_for(got_both.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(seen) == 2 and await all_gone(seen)


# --- output tail ---


async def test_tail_keeps_the_last_40_lines(runner: LocalExecutableRunner) -> None:
    result = await runner.run(py("for i in range(1000): print('line', i)"))
    lines = result.output_tail.splitlines()
    assert len(lines) == 40
    assert lines[0] == "line 960" and lines[-1] == "line 999"


async def test_tail_is_capped_at_4096_characters(runner: LocalExecutableRunner) -> None:
    result = await runner.run(py("for i in range(30): print(str(i).rjust(3) + 'x' * 300)"))
    assert len(result.output_tail) <= 4096
    assert result.output_tail.endswith(" 29" + "x" * 300)


async def test_one_huge_line_without_newline(runner: LocalExecutableRunner) -> None:
    result = await runner.run(py("import sys; sys.stdout.write('y' * 3_000_000 + 'END')"))
    assert result.status == "succeeded"
    assert len(result.output_tail) == 4096 and result.output_tail.endswith("yEND")


async def test_stderr_is_merged_in_order(runner: LocalExecutableRunner) -> None:
    code = (
        "import sys\n"
        "print('out 1', flush=True)\n"
        "print('err 2', file=sys.stderr, flush=True)\n"
        "print('out 3', flush=True)\n"
    )
    result = await runner.run(py(code))
    assert result.output_tail == "out 1\nerr 2\nout 3"


async def test_output_is_cleaned_for_chat(runner: LocalExecutableRunner) -> None:
    code = (
        "import sys\n"
        "out = sys.stdout.buffer\n"
        r"out.write(b'\x1b[31mred\x1b[0m \x1b]0;title\x07plain\n')" "\n"
        r"out.write(b'bad \xff\xfe bytes\n')" "\n"
        r"out.write(b'10%\r50%\r100%\n')" "\n"
        r"out.write(b'bell\x07 and \x1b[2Kclear\n')" "\n"
    )  # fmt: skip
    result = await runner.run(py(code))
    assert result.output_tail.splitlines() == [
        "red plain",
        "bad \ufffd\ufffd bytes",
        "100%",
        "bell and clear",
    ]


# --- environment ---


async def test_environment_is_minimal_and_secret_free(
    runner: LocalExecutableRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppPassword", "sekrit-app-password")
    monkeypatch.setenv("TEAMS_BOT_ACTION_SECRET", "sekrit-action-key")
    monkeypatch.setenv("OPSBOT_ALLOWED", "visible")
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    allowed = Job("t", (PY, "-c", code), env=("OPSBOT_ALLOWED", "OPSBOT_UNSET"))
    env = json.loads((await runner.run(allowed)).output_tail)
    assert env["OPSBOT_ALLOWED"] == "visible"
    assert env["PATH"] == os.environ["PATH"] and env["LANG"] == "C.UTF-8"
    assert set(env) <= {"PATH", "LANG", "OPSBOT_ALLOWED", "LC_CTYPE"}
    assert "sekrit" not in json.dumps(env)


# --- progress ---


async def test_progress_sends_first_line_then_the_latest(runner: LocalExecutableRunner) -> None:
    calls: list[str] = []

    async def progress(line: str) -> None:
        calls.append(line)

    code = (
        "import time\n"
        "print('a', flush=True); time.sleep(0.2)\n"
        "print('b', flush=True); print('', flush=True); print('c', flush=True)\n"
        "time.sleep(1.0)\n"
    )
    result = await runner.run(py(code), progress)
    assert result.status == "succeeded"
    assert calls == ["a", "c"]


async def test_progress_is_rate_limited(runner: LocalExecutableRunner) -> None:
    stamps: list[float] = []
    lines: list[str] = []

    async def progress(line: str) -> None:
        stamps.append(time.monotonic())
        lines.append(line)

    code = "import time\nfor i in range(300):\n    print('tick', i, flush=True); time.sleep(0.01)\n"
    started = time.monotonic()
    await runner.run(py(code), progress)
    took = time.monotonic() - started
    assert 2 <= len(stamps) <= took / 0.5 + 1
    assert all(b - a >= 0.45 for a, b in itertools.pairwise(stamps))
    assert all(line.startswith("tick ") for line in lines)
    assert [int(x.split()[1]) for x in lines] == sorted(int(x.split()[1]) for x in lines)


async def test_failing_progress_callback_does_not_break_the_job(
    runner: LocalExecutableRunner,
) -> None:
    async def progress(line: str) -> None:
        raise RuntimeError("Teams is down")

    result = await runner.run(py("print('one'); print('two')"), progress)
    assert result.status == "succeeded" and result.output_tail == "one\ntwo"
