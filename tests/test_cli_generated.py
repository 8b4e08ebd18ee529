"""The CLI's generate and stream subcommands, and check on a generated entry or a folder."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from chfa_conformance.cli import _parser, main
from tests.conftest import PROJECT

MUTANT = "python:tests.mutants.catalogue:emit__previous_version"


@pytest.fixture
def small_entry(tmp_path: Path) -> Path:
    text = (PROJECT / "cases" / "generated.yaml").read_text()
    path = tmp_path / "generated.yaml"
    path.write_text(re.sub(r"examples: [0-9]+", "examples: 30", text))
    return path


def test_generate_saves_the_shrunk_failure_and_exits_1(small_entry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--project",
            str(PROJECT),
            "generate",
            str(small_entry),
            "--candidate",
            MUTANT,
            "--seed",
            "3",
            "--save-failures",
            str(tmp_path / "out"),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert f"search again: chfa-conformance generate {small_entry} --seed=3 --candidate={MUTANT}" in printed
    saved = sorted((tmp_path / "out").glob("*.yaml"))
    assert [path.name for path in saved] == ["generated-seed-3-alert-fw-version.yaml"]
    assert main(["--project", str(PROJECT), "check", str(saved[0]), "--candidate", MUTANT]) == 1
    assert main(["--project", str(PROJECT), "check", str(saved[0])]) == 0


def test_a_folder_name_that_is_not_utf8_nor_printable_loses_no_failure(
    small_entry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The replay comment holds the folder's name: writing it failed after the file was
    opened, leaving an empty case file and no report; ESC went to the terminal raw."""
    folder = tmp_path / "out\udcff\x1b[31m"  # a byte that is not UTF-8 (as Python names it), then ESC
    argv = ["--project", str(PROJECT), "generate", str(small_entry), "--candidate", MUTANT, "--seed", "3", "--save-failures", str(folder)]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\udcff" not in printed and "ALERT-FW-VERSION (MUST)" in printed
    saved = folder / "generated-seed-3-alert-fw-version.yaml"
    assert "/out\\udcff\\x1b[31m/generated-seed-3-alert-fw-version.yaml" in saved.read_text(encoding="utf-8")
    assert main(argv) == 1  # the same search again rewrites the same file, adds no other
    assert list(folder.iterdir()) == [saved]


def test_check_runs_a_generated_entry_like_a_case(small_entry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(PROJECT), "check", str(small_entry)]) == 0
    assert re.search(r"generated.yaml: no failure \(30 example\(s\) in .*, seed [0-9]+\)", capsys.readouterr().out)


def test_generate_refuses_a_file_without_a_generate_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--project", str(PROJECT), "generate", str(PROJECT / "cases" / "split-supply.yaml")]) == 2
    assert "is not a generated-scenarios entry" in capsys.readouterr().err


def test_stream_judges_a_wave_case_with_more_hubs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--project", str(PROJECT), "stream", str(PROJECT / "cases" / "pilot-wave-5000.yaml"), "--hubs", "600", "--chunk-hubs", "200"]
    )
    assert code == 0
    assert "600 hub(s) in 3 chunk(s), 897 alert(s) of 897 expected" in capsys.readouterr().out


def test_the_search_again_line_pastes_into_a_shell(small_entry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = f"cmd:{sys.executable} {PROJECT / 'tests' / 'mutants' / 'run_mutant.py'} version-trimmed"
    options = ["--candidate", candidate, "--seed", "5", "--shrink-runs", "3", "--fail-on", "must", "--case-timeout", "30"]
    assert main(["--project", str(PROJECT), "generate", str(small_entry), *options]) == 1
    first = capsys.readouterr().out
    line = next(line for line in first.splitlines() if line.startswith("search again: "))
    argv = shlex.split(line.removeprefix("search again: "))
    assert argv[:2] == ["chfa-conformance", "generate"]
    assert {f"--candidate={candidate}", "--shrink-runs=3", "--fail-on=must", "--case-timeout=30"} <= set(argv)
    assert main(["--project", str(PROJECT), *argv[1:]]) == 1
    assert _findings(capsys.readouterr().out) == _findings(first)


def _findings(printed: str) -> list[str]:
    return re.findall(r"^[A-Z-]+ \((?:MUST|SHOULD|MAY)\): .*$", printed, re.MULTILINE)


@pytest.mark.parametrize("command", ["check", "generate"])
def test_an_output_folder_that_cannot_be_made_stops_before_the_run(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    option = "--matrix" if command == "check" else "--save-failures"
    target = PROJECT / "cases" / ("split-supply.yaml" if command == "check" else "generated.yaml")
    assert main(["--project", str(PROJECT), command, str(target), option, str(blocker / "out")]) == 2
    printed = capsys.readouterr()
    assert printed.err == f"chfa-conformance: {option} {blocker / 'out'}: cannot make the folder (Not a directory)\n"
    assert "chfa-conformance candidate" not in printed.out  # nothing ran


@pytest.mark.parametrize("arguments", [["selftest", "--workers", "0"], ["generate", "--shrink-runs", "-5"]])
def test_counts_are_whole_numbers_in_range(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--project", str(PROJECT), *arguments])
    assert exited.value.code == 2
    assert f"argument {arguments[1]}: {arguments[2]!r} is not a whole number of" in capsys.readouterr().err


def test_check_runs_the_case_files_of_a_folder_as_pytest_collects_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("gas-only.yaml", "split-supply.yaml"):
        (tmp_path / "nested").mkdir(exist_ok=True)
        (tmp_path / "nested" / name.replace(".yaml", ".yml")).write_text((PROJECT / "cases" / name).read_text())
    (tmp_path / "notes.txt").write_text("not a case")
    assert main(["--project", str(PROJECT), "check", str(tmp_path)]) == 0
    ran = [line.split(": ")[0] for line in capsys.readouterr().out.splitlines() if line.endswith("finding(s))")]
    assert ran == [str(tmp_path / "nested" / "gas-only.yml"), str(tmp_path / "nested" / "split-supply.yml")]


def test_check_reports_a_failing_generated_entry_and_goes_on(small_entry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = PROJECT / "cases" / "gas-only.yaml"
    assert main(["--project", str(PROJECT), "check", str(small_entry), str(after), "--candidate", MUTANT]) == 1
    printed = capsys.readouterr().out
    assert "search again: chfa-conformance generate" in printed and "ALERT-FW-VERSION (MUST)" in printed
    assert f"{after}: FAIL" in printed  # the run went on after the generated entry


def test_check_names_a_candidate_error_and_counts_the_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = PROJECT / "cases" / "electricity-only.yaml"
    hangs = f"cmd:{shlex.join([sys.executable, '-c', 'import time; time.sleep(30)'])}"
    assert main(["--project", str(PROJECT), "check", str(case), "--candidate", hangs, "--case-timeout", "1"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert f"{case}: FAIL (candidate error, 0 alert(s), 0 finding(s))" in printed
    assert printed[-1] == "1 case(s) run, 1 failed"


def test_check_of_a_folder_without_case_files_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a case")
    assert main(["--project", str(PROJECT), "check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"chfa-conformance: {tmp_path}: is a folder with no case file (.yaml, .yml) below it\n"


def test_a_reader_that_leaves_early_ends_the_command_quietly() -> None:
    wave = PROJECT / "cases" / "pilot-wave-5000.yaml"
    command = [sys.executable, "-m", "chfa_conformance.cli", "--project", str(PROJECT), "emit", str(wave)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100)
    process.stdout.close()  # as `| head -c 100` does
    assert process.stderr.read() == b""
    assert process.wait(timeout=60) == 1


@pytest.mark.parametrize("command", ["check", "generate", "stream", "emit", "selftest", "validate", "verify-signature"])
def test_every_option_and_argument_says_what_it_is(command: str) -> None:
    commands = next(action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction))
    unexplained = [action.dest for action in commands.choices[command]._actions if not action.help]
    assert unexplained == []


def test_generate_finds_the_entry_of_the_project_named_and_takes_a_text_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From another folder the default entry was looked up there; pytest's --hypothesis-seed=abc had no CLI twin."""
    monkeypatch.chdir(tmp_path)
    assert main(["--project", str(PROJECT), "generate", "--seed", "abc", "--candidate", MUTANT]) == 1
    printed = capsys.readouterr().out
    assert f"{PROJECT / 'cases' / 'generated.yaml'}: FAIL (" in printed and "seed abc)" in printed
    assert f"search again: chfa-conformance generate {PROJECT / 'cases' / 'generated.yaml'} --seed=abc " in printed


def test_check_reads_every_case_file_before_running_any(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken file named last, or a FIFO in a folder, stops the run before the first case runs."""
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text((PROJECT / "cases" / "electricity-only.yaml").read_text())
    os.mkfifo(folder / "b.yaml")
    assert main(["--project", str(PROJECT), "check", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"chfa-conformance: {folder / 'b.yaml'}: cannot read: not a regular file\n"
    assert ": pass (" not in captured.out and ": FAIL (" not in captured.out
