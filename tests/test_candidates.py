"""Candidates that misbehave end as a failed case with a clear message; the run goes on."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from chfa_conformance import candidates
from chfa_conformance.candidates import CommandCandidate, Limits, PythonCandidate, make_candidate
from chfa_conformance.cases import Case
from chfa_conformance.evaluation import CaseResult, RunSettings, run_case
from chfa_conformance.xml_safety import parse_untrusted
from tests.conftest import PROJECT, settings_for


def _case(cases: list[Case], case_id: str = "electricity-only") -> Case:
    return next(case for case in cases if case.id == case_id)


def _run(candidate: Any, case: Case, timeout: float = 5.0, max_bytes: int = 1 << 20) -> CaseResult:
    base = settings_for("reference")
    settings = RunSettings(base.spec, base.schemas, candidate, Limits(timeout, max_bytes, 1000), base.schemas_dir)
    return run_case(case, settings)


def _script(tmp_path: Path, body: str) -> CommandCandidate:
    path = tmp_path / "candidate.py"
    path.write_text("import sys, json, time\n" + body)
    return CommandCandidate(f"cmd:{path.name}", (sys.executable, str(path)))


SCRIPTS = {
    "hangs": ("time.sleep(60)", "did not finish within 1s"),
    "exits-non-zero": ("sys.stderr.write('boom: no inventory\\n'); sys.exit(3)", "exited with status 3"),
    "prints-garbage": ("print('hello, I am not JSON')", "output line 1 is not JSON"),
    "prints-binary-noise": ("sys.stdout.buffer.write(bytes(range(255, 0, -1)) + b'\\n')", "output line 1 is not UTF-8 (byte 1 is 0xff)"),
    "prints-a-list": ("print('[1, 2]')", "output line 1 is not a JSON object"),
    "wrong-keys": ("print(json.dumps({'to': 'x', 'xml': '<a/>'}))", "expected recipient+xml or inventory"),
    "floods": ("line = json.dumps({'recipient': 'x', 'xml': 'y' * 1000})\nwhile True: print(line)", "wrote more than"),
    "killed-by-signal": ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by signal 9"),
    "leaves-a-child-holding-stdout": (
        "import subprocess; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); print('')",
        None,
    ),
}


@pytest.mark.parametrize("behaviour", sorted(SCRIPTS))
def test_misbehaving_command_fails_its_case_clearly(behaviour: str, tmp_path: Path, cases: list[Case]) -> None:
    body, message = SCRIPTS[behaviour]
    started = time.monotonic()
    result = _run(_script(tmp_path, body), _case(cases), timeout=1.0)
    assert time.monotonic() - started < 20
    if message is None:
        assert result.error is None
        assert {f.requirement for f in result.findings} == {"RECIPIENTS-RESPONSIBLE"}
    else:
        assert result.error is not None and message in result.error, result.error
        assert result.findings == ()


def test_stderr_of_a_failing_command_is_kept(tmp_path: Path, cases: list[Case]) -> None:
    result = _run(_script(tmp_path, SCRIPTS["exits-non-zero"][0]), _case(cases))
    assert "boom: no inventory" in result.stderr


def test_a_command_that_cannot_start_is_a_failed_case(cases: list[Case]) -> None:
    result = _run(CommandCandidate("cmd:nowhere", ("/nonexistent/candidate",)), _case(cases))
    assert result.error is not None and "could not start" in result.error


def _raises(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    raise RuntimeError("vendor bug")


def _hangs(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    time.sleep(30)
    return []


def test_python_candidate_that_raises_fails_its_case(cases: list[Case]) -> None:
    result = _run(PythonCandidate("python:raises", _raises), _case(cases))
    assert result.error == "candidate python:raises raised RuntimeError: vendor bug"


def test_python_candidate_that_hangs_is_abandoned_after_the_limit(cases: list[Case]) -> None:
    started = time.monotonic()
    result = _run(PythonCandidate("python:hangs", _hangs), _case(cases), timeout=0.5)
    assert time.monotonic() - started < 5
    assert result.error == "candidate python:hangs did not return within 0.5s"


def test_the_run_goes_on_after_a_failed_case(tmp_path: Path, cases: list[Case]) -> None:
    failed = _run(_script(tmp_path, "sys.exit(1)"), _case(cases))
    passed = _run(make_candidate("reference"), _case(cases, "split-supply"))
    assert failed.error is not None
    assert passed.error is None and passed.findings == ()


@pytest.mark.parametrize(
    "spelling, problem",
    [
        ("nonsense", "unknown candidate"),
        ("cmd:", "needs a command line"),
        ("python:nomodule_xyz:emit", "cannot import"),
        ("python:json:nothing", "has no function"),
        ("python:json:decoder", r"json.decoder is a module, not a function"),
        ("python:json", "must be module:function"),
    ],
)
def test_candidate_spellings_are_checked(spelling: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_candidate(spelling)


_EMIT = "\ndef emit(scenario):\n    return []\n"
IMPORT_MISBEHAVIOURS = {
    "exits_hard": ("import os\nos._exit(0)" + _EMIT, "importing exits_hard ended its process (exit status 0)"),
    "exits_softly": ("import sys\nsys.exit(0)" + _EMIT, "importing exits_softly raised SystemExit: 0"),
    "hangs": ("import time\ntime.sleep(60)" + _EMIT, "importing hangs did not finish within 2s"),
    "raises": ("raise RuntimeError('vendor bug')" + _EMIT, "importing raises raised RuntimeError: vendor bug"),
    "lacks_emit": ("def emitter(scenario):\n    return []\n", "lacks_emit has no function emit"),
    "prints_then_raises": (
        "print('vendor: reading /etc/vendor.conf')\nraise RuntimeError('no config')" + _EMIT,
        "importing prints_then_raises raised RuntimeError: no config; it last printed: vendor: reading /etc/vendor.conf",
    ),
}


@pytest.mark.parametrize("module", sorted(IMPORT_MISBEHAVIOURS))
def test_a_module_that_misbehaves_while_imported_is_refused_at_set_up(
    module: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    body, problem = IMPORT_MISBEHAVIOURS[module]
    (tmp_path / f"{module}.py").write_text(body)
    with pytest.raises(ValueError, match=r"^python candidate: ") as raised:
        make_candidate(f"python:{module}:emit", tmp_path, import_timeout_seconds=2.0)
    assert problem in str(raised.value)
    assert module not in sys.modules  # the suite's own process never ran the vendor's module
    assert capfd.readouterr() == ("", "")  # what it printed is in the message, not in the suite's output


def test_an_unclosed_quote_in_a_command_line_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"""cmd: candidate 'cmd:"unterminated' is not a valid command line \(No closing quotation\)"""):
        make_candidate('cmd:"unterminated')


@pytest.mark.parametrize(
    "output, count, first_over",
    [
        (b"", 0, None),
        (b"a\nbb", 2, None),
        (b"\n\n", 2, None),
        (b"abc\nabcdef\n", 2, 2),
        (b"a\n" + b"x" * (1 << 20) + b"yyyyyy\nz", 3, 2),  # the long line spans two read chunks
    ],
)
def test_output_is_measured_before_it_is_parsed(output: bytes, count: int, first_over: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(candidates, "MAX_LINE_BYTES", 5)
    assert candidates._line_shape(io.BytesIO(output)) == (count, first_over)


def test_a_lone_surrogate_in_xml_reaches_the_parser_as_invalid_bytes() -> None:
    output = candidates.collect_lines([{"recipient": "x", "xml": "<a>\udcff</a>"}], "python:x")
    assert output.error is None
    assert str(parse_untrusted(output.deliveries[0].xml)).startswith("not-well-formed: ")


PYTHON_MISBEHAVIOURS = {
    "floods": "returned more than 1000 lines",
    "exits_hard": "ended without finishing its output (exit status 0)",
    "eats_memory": "ran out of memory (MemoryError at the 4 GiB address-space cap)",
    "loops": "did not return within 2s and was stopped",
    "nests_deeply": "raised RecursionError",
    "raises": "raised RuntimeError: vendor bug",
}


@pytest.mark.parametrize("behaviour", sorted(PYTHON_MISBEHAVIOURS))
def test_misbehaving_python_candidate_is_contained(behaviour: str, cases: list[Case]) -> None:
    started = time.monotonic()
    candidate = make_candidate(f"python:tests.misbehaving:{behaviour}", PROJECT)
    timeout = 60.0 if behaviour == "eats_memory" else 2.0  # reaching the 4 GiB address-space cap takes a while
    result = _run(candidate, _case(cases), timeout=timeout, max_bytes=8 << 20)
    assert time.monotonic() - started < timeout + 20
    assert result.error is not None and PYTHON_MISBEHAVIOURS[behaviour] in result.error, result.error
    assert result.findings == ()


def test_what_a_python_candidate_prints_goes_with_its_case_not_into_the_suite_output(
    cases: list[Case], capfd: pytest.CaptureFixture[str]
) -> None:
    failed = _run(make_candidate("python:tests.misbehaving:prints_and_raises", PROJECT), _case(cases))
    passed = _run(make_candidate("python:tests.misbehaving:prints_and_emits", PROJECT), _case(cases))
    assert failed.error is not None and "raised RuntimeError: vendor bug" in failed.error
    assert failed.stderr.splitlines() == ["vendor: reading the inventory", "vendor: no supplier table"]
    assert passed.error is None and passed.findings == () and passed.stderr == "vendor: emitting\n"
    assert capfd.readouterr() == ("", "")


def test_a_python_candidate_that_closes_the_suite_pipe_fails_quietly(cases: list[Case], capfd: pytest.CaptureFixture[str]) -> None:
    result = _run(make_candidate("python:tests.misbehaving:closes_its_descriptors", PROJECT), _case(cases))
    assert result.error is not None and "ended without finishing its output" in result.error
    assert "Traceback" not in result.stderr
    assert capfd.readouterr() == ("", "")


def test_a_python_candidate_that_edits_its_input_cannot_change_the_case(cases: list[Case]) -> None:
    case = _case(cases, "split-supply")
    before = case.scenario.as_protocol()
    for candidate in (make_candidate("python:tests.misbehaving:edits_its_input", PROJECT), PythonCandidate("edits", _edits)):
        assert _run(candidate, case).findings == ()
    assert case.scenario.as_protocol() == before


def _edits(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    from tests.misbehaving import edits_its_input  # noqa: PLC0415

    return edits_its_input(scenario)


def test_output_written_before_a_detached_child_holds_stdout_is_judged(tmp_path: Path, cases: list[Case]) -> None:
    body = (
        "import subprocess, reference_impl\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'], start_new_session=True)\n"
        "for line in reference_impl.emit(json.load(sys.stdin)): print(json.dumps(line), flush=True)\n"
    )
    result = _run(_script(tmp_path, body), _case(cases))
    assert result.error is None and result.findings == ()
    assert result.delivered_count == 1


def test_a_long_run_of_repeated_keys_is_refused_at_once(tmp_path: Path, cases: list[Case]) -> None:
    started = time.monotonic()
    result = _run(_script(tmp_path, "print('{' + ','.join('\"a\": 1' for _ in range(200000)) + '}')"), _case(cases), max_bytes=8 << 20)
    assert result.error is not None and "repeated key 'a'" in result.error
    assert time.monotonic() - started < 20  # it was quadratic: 40,000 pairs took a minute


def test_what_a_python_candidate_forks_ends_with_its_case(tmp_path: Path, cases: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "grandchild.pid"
    monkeypatch.setenv("CHFA_TEST_PID_FILE", str(pid_file))
    _run(make_candidate("python:tests.misbehaving:forks_a_sleeper", PROJECT), _case(cases))
    deadline = time.monotonic() + 10
    while not pid_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    status = Path(f"/proc/{pid_file.read_text()}/status")
    while status.exists() and "zombie" not in status.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not status.exists() or "zombie" in status.read_text()  # killed (a zombie waits for init to reap it)


def test_a_candidate_s_own_words_are_cut_to_a_readable_length(tmp_path: Path, cases: list[Case]) -> None:
    keys = "print(json.dumps({f'k{n}': 1 for n in range(100000)}))"
    result = _run(_script(tmp_path, keys), _case(cases), max_bytes=8 << 20)
    assert result.error is not None and "and 99990 more; expected recipient+xml or inventory" in result.error
    assert len(result.error) < 2000
    raising = PythonCandidate("raises", lambda scenario: (_ for _ in ()).throw(ValueError("x" * 1_000_000)))
    result = _run(raising, _case(cases))
    assert result.error is not None and len(result.error) < 2200 and result.error.endswith("...")


ESCAPING_CANDIDATE = """
import os, subprocess
from pathlib import Path
import reference_impl

PID_FILE = os.environ["CHFA_TEST_PID_FILE"]


def sleep_in_a_session_of_its_own():
    os.setsid()
    Path(PID_FILE + ".new").write_text(str(os.getpid()))
    os.replace(PID_FILE + ".new", PID_FILE)
    time.sleep(600)
    os._exit(0)


if sys.argv[1:] == ["sleeper"]:
    sleep_in_a_session_of_its_own()
{escape}
while not Path(PID_FILE).is_file():
    time.sleep(0.01)
{then}
"""
ESCAPES = {
    "setsid-in-a-program-it-starts": "subprocess.Popen([sys.executable, __file__, 'sleeper'])",
    "double-fork": "if os.fork() == 0:\n    if os.fork() == 0:\n        sleep_in_a_session_of_its_own()\n    os._exit(0)",
}
EMITS = "for line in reference_impl.emit(json.load(sys.stdin)): print(json.dumps(line), flush=True)"


@pytest.fixture
def escaped_pid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where an escaping candidate writes the pid of the process it leaves behind; killed afterwards if a test failed to."""
    pid_file = tmp_path / "escaped.pid"
    monkeypatch.setenv("CHFA_TEST_PID_FILE", str(pid_file))
    yield pid_file
    if _still_running(pid_file):
        os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _still_running(pid_file: Path) -> bool:
    """A zombie has an empty command line, and a reused pid another one: neither is the escaped process running."""
    try:
        command_line = Path(f"/proc/{pid_file.read_text()}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    return str(pid_file.parent).encode() in command_line


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_what_a_command_left_in_a_session_of_its_own_ends_with_its_case(
    escape: str, tmp_path: Path, cases: list[Case], escaped_pid_file: Path
) -> None:
    started = time.monotonic()
    result = _run(_script(tmp_path, ESCAPING_CANDIDATE.format(escape=ESCAPES[escape], then=EMITS)), _case(cases))
    assert time.monotonic() - started < 3  # not the 5s grace the reader gives a process holding stdout
    assert result.error is None and result.findings == () and result.delivered_count == 1
    assert escaped_pid_file.is_file() and not _still_running(escaped_pid_file)


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_what_a_timed_out_command_left_in_a_session_of_its_own_ends_with_its_case(
    escape: str, tmp_path: Path, cases: list[Case], escaped_pid_file: Path
) -> None:
    started = time.monotonic()
    result = _run(_script(tmp_path, ESCAPING_CANDIDATE.format(escape=ESCAPES[escape], then="time.sleep(60)")), _case(cases), timeout=2.0)
    assert time.monotonic() - started < 5
    assert result.error is not None and "did not finish within 2s" in result.error, result.error
    assert escaped_pid_file.is_file() and not _still_running(escaped_pid_file)


def test_a_command_that_cannot_start_is_named_with_the_reason(cases: list[Case]) -> None:
    result = _run(CommandCandidate("cmd:nowhere", ("/nonexistent/candidate",)), _case(cases))
    assert result.error == "candidate cmd:nowhere could not start: No such file or directory"
    assert result.stderr == ""


ENDINGS = {
    "exits-127-as-a-shell-does": ("sys.stderr.write('sh: 1: nowhere: not found\\n'); sys.exit(127)", "exited with status 127"),
    "killed-by-sigterm": ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "was killed by signal 15"),
    "aborts": ("import os, resource; resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); os.abort()", "was killed by signal 6"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_command_s_own_ending_is_reported_as_it_was(ending: str, tmp_path: Path, cases: list[Case]) -> None:
    body, message = ENDINGS[ending]
    result = _run(_script(tmp_path, body), _case(cases))
    assert result.error is not None and result.error.endswith(message), result.error
