"""Generated scenarios: the reference and known-good variants pass, failures shrink to a case
file that replays them, a seed repeats a run, and the pytest item wires it all up."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from lxml import etree

from chfa_conformance.candidates import PythonCandidate
from chfa_conformance.cases import Generation, load_case
from chfa_conformance.evaluation import run_case
from chfa_conformance.generated_failures import file_name
from chfa_conformance.generation import Search, _CandidateFailed, _Tally, batches, explore
from chfa_conformance.report import failing
from reference_impl import emit
from tests.conftest import PROJECT, scratch_project, settings_for

MUTANT = "python:tests.mutants.catalogue:emit__previous_version"
SEED = 20250601
Emit = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


def test_reference_passes_generated_scenarios_and_exercises_what_the_entry_claims(generation: Generation) -> None:
    exploration = explore(generation, settings_for("reference"), Search(generation.examples, SEED))
    assert exploration.falsified is None, exploration.falsified and exploration.falsified.result.findings
    assert exploration.examples == generation.examples
    assert set(generation.requirements) - exploration.applicable == set()


def emit_known_good_variant(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Valid output the reference does not produce: alerts in reverse order, another namespace
    prefix, EUIs in lower case, counters starting at 1000 and stepping by 7."""
    lines = emit(scenario)
    alerts = [line for line in lines if "xml" in line]
    counters: dict[str, int] = {}
    varied = []
    for line in alerts:
        counters[line["recipient"]] = counters.get(line["recipient"], 993) + 7
        varied.append({"recipient": line["recipient"].lower(), "xml": _reworded(line["xml"], counters[line["recipient"]])})
    return varied[::-1] + [line for line in lines if "inventory" in line]


def _reworded(xml: str, counter: int) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        if element.tag.endswith(("}DeviceID", "}ResponseID")) and element.text:
            element.text = re.sub(r":[0-9]+$", f":{counter}", element.text.lower())
    text = etree.tostring(root, encoding="unicode")
    return text.replace("<sr:", "<dsp:").replace("</sr:", "</dsp:").replace("xmlns:sr=", "xmlns:dsp=")


def test_a_known_good_variant_passes_generated_scenarios(generation: Generation) -> None:
    candidate = "python:tests.test_generated:emit_known_good_variant"
    varied = emit_known_good_variant(emit_input(generation))
    assert "<dsp:Response" in varied[0]["xml"] and varied[0]["recipient"].islower()
    exploration = explore(generation, settings_for(candidate), Search(150, SEED))
    assert exploration.falsified is None, exploration.falsified and exploration.falsified.result.findings
    assert exploration.alerts > 100


def test_the_same_seed_repeats_the_search_and_its_shrunk_failure(generation: Generation) -> None:
    settings = settings_for(MUTANT)
    first, second = (explore(generation, settings, Search(generation.examples, 11)) for _ in range(2))
    assert first.falsified is not None and second.falsified is not None
    assert first.falsified.data == second.falsified.data
    assert (first.examples, first.falsified.shrink_runs) == (second.examples, second.falsified.shrink_runs)
    passes = [explore(generation, settings_for("reference"), Search(40, 5)) for _ in range(2)]
    assert (passes[0].alerts, passes[0].applicable) == (passes[1].alerts, passes[1].applicable)


def test_shrinking_stops_at_its_run_limit_and_says_the_scenario_may_not_be_minimal(generation: Generation) -> None:
    settings = settings_for(MUTANT)
    capped = explore(generation, settings, Search(generation.examples, 11, shrink_runs=2)).falsified
    full = explore(generation, settings, Search(generation.examples, 11)).falsified
    assert capped is not None and full is not None
    assert (capped.shrink_runs, capped.shrink_limit_reached) == (2, True)
    assert "it may not be minimal" in capped.shrunk
    assert capped.requirements == full.requirements == ("ALERT-FW-VERSION",)
    assert not full.shrink_limit_reached and full.shrunk.endswith("to a minimal one")


def emit_input(generation: Generation) -> dict[str, Any]:
    """What a candidate receives for cases/electricity-only.yaml."""
    case = load_case(PROJECT / "cases" / "electricity-only.yaml", settings_for("reference").spec, PROJECT / "schemas")
    return case.scenario.as_protocol()


def emit_crashing_on_smets1(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A build that cannot handle a SMETS1 hub in its inventory."""
    if any(hub["smets"] == 1 for hub in scenario["hubs"]):
        raise KeyError("smets")
    return emit(scenario)


def test_a_candidate_that_crashes_is_shrunk_to_the_scenario_that_crashes_it(generation: Generation) -> None:
    candidate = "python:tests.test_generated:emit_crashing_on_smets1"
    exploration = explore(generation, settings_for(candidate), Search(generation.examples, SEED))
    falsified = exploration.falsified
    assert falsified is not None
    assert falsified.result.error is not None and "KeyError" in falsified.result.error
    assert [hub["smets"] for hub in falsified.data["hubs"]] == [1]
    assert len(falsified.data["events"]) <= 1  # the simplest hub: no event, or its one activation
    assert "ALERT-TRIGGER" in falsified.requirements  # exercised, so the saved file is a valid case
    assert (falsified.candidate_error, falsified.failed, falsified.note) == (True, "a candidate error", None)
    assert file_name(falsified) == f"{falsified.case.id}-candidate-error"


def emit_failing_on_first_sight(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A flaky build: the first time it sees a scenario it sends no alert, the next time it does."""
    marker = Path(os.environ["CHFA_TEST_SEEN"]) / hashlib.sha256(json.dumps(scenario, sort_keys=True).encode()).hexdigest()
    if marker.exists():
        return emit(scenario)
    marker.touch()
    return [line for line in emit(scenario) if "xml" not in line]


def test_a_candidate_that_does_not_fail_the_same_way_again_is_named_nondeterministic(
    generation: Generation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHFA_TEST_SEEN", str(tmp_path))
    candidate = "python:tests.test_generated:emit_failing_on_first_sight"
    falsified = explore(generation, settings_for(candidate), Search(generation.examples, SEED)).falsified
    assert falsified is not None and falsified.requirements == ("RECIPIENTS-RESPONSIBLE",)  # no alert sent the first time
    assert falsified.note is not None
    assert falsified.note.startswith("run once more on this scenario, the candidate passed: it does not fail the same way each time")


# --- the pytest item ---------------------------------------------------------------------


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A scratch project with this project's specs and schemas and a small generated entry."""
    scratch_project(pytester, ("electricity-only",))
    text = (PROJECT / "cases" / "generated.yaml").read_text()
    text = re.sub(r"examples: [0-9]+", "examples: 60", text).replace("thorough_examples: 60", "thorough_examples: 90")
    (pytester.path / "cases" / "generated.yaml").write_text(text)
    return pytester


def _saved(output: str) -> str:
    found = re.search(r"^saved as: (\S+)$", output, re.MULTILINE)
    assert found is not None, output
    return found.group(1)


def _failures_section(output: str) -> str:
    """The FAILURES section only: with CI set, pytest repeats whole messages in the short summary."""
    start = output.index("= FAILURES =")
    return output[start : output.index("short test summary info", start)]


def test_generated_item_runs_in_the_default_run_and_reports_its_seed(project: pytest.Pytester) -> None:
    result = project.runpytest("--hypothesis-seed=3")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "chfa-conformance generated scenarios: seed 3 (--hypothesis-seed=3 repeats it), CI examples",
            "generated scenarios generated: 60 example(s) in *, seed 3; no failure",
        ]
    )
    thorough = project.runpytest("--thorough", "cases/generated.yaml", "--requirement", "ALERT-DEVICE")
    thorough.stdout.fnmatch_lines(["generated scenarios generated: 90 example(s) in *; no failure"])


def test_failure_is_saved_and_the_saved_file_replays_the_same_requirement(project: pytest.Pytester) -> None:
    result = project.runpytest("cases/generated.yaml", "--candidate", MUTANT, "--hypothesis-seed=3", "--save-failures", "failures")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "ALERT-FW-VERSION in generated scenarios (cases/generated.yaml): candidate * failed on a drawn scenario after * seed 3; *",
            "ALERT-FW-VERSION (MUST): FirmwareVersion is not the newly active version*",
            f"replay: pytest failures/generated-seed-3-alert-fw-version.yaml --candidate={MUTANT}",
            f"search again: pytest --hypothesis-seed=3 cases/generated.yaml --candidate={MUTANT}",
            "saved as: failures/generated-seed-3-alert-fw-version.yaml",
        ]
    )
    saved = _saved(result.stdout.str())
    replay = project.runpytest(saved, "--candidate", MUTANT)
    replay.assert_outcomes(failed=1)
    replay.stdout.fnmatch_lines(["ALERT-FW-VERSION (MUST): FirmwareVersion is not the newly active version*"])
    assert re.findall(r"^([A-Z-]+) \((?:MUST|SHOULD|MAY)\):", _failures_section(replay.stdout.str()), re.MULTILINE) == ["ALERT-FW-VERSION"]
    project.runpytest(saved).assert_outcomes(passed=1)
    again = project.runpytest("cases/generated.yaml", "--candidate", MUTANT, "--hypothesis-seed=3", "--save-failures", "failures")
    assert _saved(again.stdout.str()) == saved, "the same seed finds and saves the same file"


def test_a_folder_outside_the_project_gets_a_replay_naming_the_ini(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    result = project.runpytest("cases/generated.yaml", "--candidate", MUTANT, "--hypothesis-seed=3", f"--save-failures={outside}")
    replay = next(line for line in result.stdout.lines if line.startswith("replay: "))
    words = shlex.split(replay.removeprefix("replay: "))
    assert words[:3] == ["pytest", "-c", str(project.path / "pytest.ini")]
    assert Path(words[3]).parent == outside
    rerun = project.runpytest(*words[1:])
    rerun.assert_outcomes(failed=1)


def test_without_a_folder_the_failure_prints_the_shrunk_scenario(project: pytest.Pytester) -> None:
    result = project.runpytest("cases/generated.yaml", "--candidate", MUTANT, "--hypothesis-seed=3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"replay: pytest --hypothesis-seed=3 cases/generated.yaml --candidate={MUTANT}",
            "not saved (--save-failures DIR writes it as a case file); the shrunk scenario:",
            "    id: generated-seed-3",
            "    requirements:",
            "    - ALERT-FW-VERSION",
            "    users:",
        ]
    )


def test_saved_case_is_an_ordinary_case_file(project: pytest.Pytester, spec: Any) -> None:
    result = project.runpytest("cases/generated.yaml", "--candidate", MUTANT, "--hypothesis-seed=3", "--save-failures", "failures")
    case = load_case(project.path / _saved(result.stdout.str()), spec, PROJECT / "schemas")
    assert case.requirements == ("ALERT-FW-VERSION",) and case.id == "generated-seed-3"
    outcome = run_case(case, settings_for(MUTANT))
    assert {finding.requirement for finding in failing(outcome.findings, spec, "should")} == {"ALERT-FW-VERSION"}


def test_reference_alerts_for_generated_scenarios_are_valid_against_the_official_schemas(
    generation: Generation, official_duis: Path
) -> None:
    exploration = explore(generation, settings_for("reference", official_duis), Search(100, SEED))
    assert exploration.falsified is None, exploration.falsified and exploration.falsified.result.findings
    assert {"DUIS-SCHEMA", "DUIS-VERSION"} <= exploration.applicable


def test_long_searches_run_in_batches_on_seeds_derived_from_the_run_seed() -> None:
    assert batches(7, 300) == [(7, 300)]
    assert batches(7, 2500) == [(7, 1000), ("7/1", 1000), ("7/2", 500)]
    assert sum(size for _, size in batches(3, 20_000)) == 20_000


def test_shrinking_keeps_to_the_fault_it_found() -> None:
    """A smaller scenario may lose an overlapping id; one that shows another id is another fault."""

    def failed(*ids: str) -> _CandidateFailed:
        return _CandidateFailed(cast(Any, None), {}, cast(Any, None), ids)

    tally = _Tally()
    assert tally.same_fault(failed("ALERT-FW-VERSION"))  # nothing found yet: any failure is the one
    tally.last_failure = failed("RECIPIENTS-RESPONSIBLE", "ROLLOUT-SCALE")
    assert tally.same_fault(failed("RECIPIENTS-RESPONSIBLE"))
    assert not tally.same_fault(failed("ALERT-FW-VERSION"))
    assert not tally.same_fault(failed("RECIPIENTS-RESPONSIBLE", "ALERT-FW-VERSION"))
    crashed = _CandidateFailed(cast(Any, None), {}, cast(Any, None), ("RECIPIENTS-RESPONSIBLE",), candidate_error=True)
    assert not tally.same_fault(crashed)  # a crash while shrinking a finding is another fault
    tally.last_failure = crashed
    assert tally.same_fault(_CandidateFailed(cast(Any, None), {}, cast(Any, None), ("ALERT-TRIGGER",), candidate_error=True))
    assert not tally.same_fault(failed("RECIPIENTS-RESPONSIBLE"))


def test_a_seed_draws_the_same_scenarios_whatever_local_code_is_loaded(
    generation: Generation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypothesis would also draw literals of the local modules loaded: pytest loads other
    modules than the CLI, so one seed drew other scenarios in each (and any edit changed them)."""
    drawn: list[list[str]] = [[], []]

    def recording(into: list[str]) -> Emit:
        def candidate(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
            into.append(hashlib.sha256(json.dumps(scenario, sort_keys=True).encode()).hexdigest())
            return emit(scenario)

        return candidate

    search = Search(40, SEED)
    explore(generation, replace(settings_for("reference"), candidate=PythonCandidate("first", recording(drawn[0]))), search)
    literals = tmp_path / "vendor_literals.py"
    literals.write_text(f"NUMBERS = {list(range(-5, 400))}\nWORDS = {['5.0', '5.1', 'GSME', 'ESME', '9001', 'Z'] * 3}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("vendor_literals")  # a local module full of literals hypothesis would draw from
    explore(generation, replace(settings_for("reference"), candidate=PythonCandidate("second", recording(drawn[1]))), search)
    assert len(drawn[0]) == 40 and drawn[0] == drawn[1]
