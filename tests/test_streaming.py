"""A wave judged chunk by chunk gives what judging it whole gives, faults included, while
holding only one chunk and a few counter ranges."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

import pytest

from chfa_conformance.candidates import PythonCandidate
from chfa_conformance.cases import Case
from chfa_conformance.checks.records import CounterLedger
from chfa_conformance.cli import main
from chfa_conformance.evaluation import RunSettings, run_case
from chfa_conformance.scenario import build_scenario, no_line
from chfa_conformance.specs import Spec
from chfa_conformance.streaming import judge_wave
from chfa_conformance.waves import expand_wave, iter_wave_hubs, wave_users
from reference_impl import emit
from tests.conftest import PROJECT, settings_for

WAVE = {
    "hubs": 1200,
    "start": "2025-06-01T00:00:00Z",
    "spacing_seconds": 2,
    "firmware_from": "9001",
    "firmware_to": "9002",
    "supplier_parties": 4,
    "duis_versions": ["5.1", "5.3", "5.4", "5.0"],
    "failed_every": 250,
    "notice_days_before": 10,
}
Lines = list[dict[str, Any]]
Fault = Callable[[Lines], Lines]


def _whole(spec: Spec, candidate: Callable[[Mapping[str, Any]], Lines]) -> Counter[str]:
    """Findings per id when the wave is judged as one scenario (the ordinary path)."""
    base = settings_for("reference")
    data = expand_wave(WAVE, spec.profile.duis_versions_with_alert)
    scenario = build_scenario("wave", data, spec.profile, "wave", no_line)
    case = Case("wave", "a wave judged whole", ("ROLLOUT-SCALE",), scenario, PROJECT / "cases", 1)
    settings = RunSettings(base.spec, base.schemas, PythonCandidate("faulty", candidate), base.limits, base.schemas_dir)
    result = run_case(case, settings)
    assert result.error is None
    return Counter(finding.requirement for finding in result.findings)


def _unchanged(lines: Lines) -> Lines:
    return lines


def _drop_hub_0a0(lines: Lines) -> Lines:
    return [line for line in lines if "00-DB-00-00-00-00-0A-00" not in line.get("xml", "")]


def _old_version_on_hub_fa4(lines: Lines) -> Lines:
    return [
        dict(line, xml=line["xml"].replace(">9002<", ">9001<")) if "00-DB-00-00-00-00-0F-A4" in line.get("xml", "") else line
        for line in lines
    ]


def _with(fault: Fault) -> Callable[[Mapping[str, Any], MutableMapping[str, int]], Lines]:
    def chunked(scenario: Mapping[str, Any], counters: MutableMapping[str, int]) -> Lines:
        return fault(emit(scenario, counters))

    return chunked


@pytest.mark.parametrize("fault", [_unchanged, _drop_hub_0a0, _old_version_on_hub_fa4], ids=["none", "dropped-hub", "old-version"])
def test_streamed_judgement_equals_the_whole_wave_judgement(spec: Spec, fault: Fault) -> None:
    streamed = judge_wave(WAVE, spec.profile, settings_for("reference").schemas, _with(fault), chunk_hubs=250)
    assert streamed.error is None
    assert (streamed.hubs, streamed.chunks, streamed.activations) == (1200, 5, 1200 - 4)
    assert streamed.alerts == streamed.expected - (sum(streamed.failed.values()) if fault is _drop_hub_0a0 else 0)
    assert Counter(streamed.failed) == _whole(spec, lambda scenario: fault(emit(scenario)))
    assert bool(streamed.failed) == (fault is not _unchanged)


def test_faults_are_found_by_the_streamed_run(spec: Spec) -> None:
    schemas = settings_for("reference").schemas
    assert judge_wave(WAVE, spec.profile, schemas, _with(_drop_hub_0a0), chunk_hubs=250).failed == {"ROLLOUT-SCALE": 1}
    old = judge_wave(WAVE, spec.profile, schemas, _with(_old_version_on_hub_fa4), chunk_hubs=250)
    assert old.failed == {"ALERT-FW-VERSION": 2} and "FirmwareVersion" in old.first_findings[0].message


def test_a_counter_reused_in_a_later_chunk_is_caught(spec: Spec) -> None:
    def restarting(scenario: Mapping[str, Any], counters: MutableMapping[str, int]) -> Lines:
        return emit(scenario)  # forgets the counters of earlier chunks

    schemas = settings_for("reference").schemas
    report = judge_wave(WAVE, spec.profile, schemas, restarting, chunk_hubs=250)
    first_chunk = judge_wave({**WAVE, "hubs": 250}, spec.profile, schemas, restarting)
    assert set(report.failed) == {"HEADER-IDS"} and first_chunk.failed == {}
    assert report.alerts - first_chunk.alerts >= report.failed["HEADER-IDS"] > 1000
    assert "earlier in the rollout" in report.first_findings[0].message


def test_the_counter_ledger_keeps_one_range_per_recipient_that_counts_up() -> None:
    ledger = CounterLedger()
    for counter in itertools.chain(range(500, 100_000), range(0, 500)):
        ledger.add("90-B3-D5-1F-30-01-00-00", counter)
    assert ledger.ranges == {"90-B3-D5-1F-30-01-00-00": [[0, 99_999]]}
    ledger.add("90-B3-D5-1F-30-01-00-00", 100_001)
    assert ledger.holds("90-B3-D5-1F-30-01-00-00", 100_001) and not ledger.holds("90-B3-D5-1F-30-01-00-00", 100_000)


def test_a_wave_is_expanded_lazily() -> None:
    huge = {**WAVE, "hubs": 10**9}
    hubs = iter_wave_hubs(huge, wave_users(huge, ("5.1",)))
    first = list(itertools.islice(hubs, 3))
    assert [hub["chf"] for hub, _ in first] == ["00-DB-00-00-00-00-00-00", "00-DB-00-00-00-00-00-04", "00-DB-00-00-00-00-00-08"]


def test_an_emitter_that_fails_ends_the_run_with_its_reason(spec: Spec) -> None:
    def garbage(scenario: Mapping[str, Any], counters: MutableMapping[str, int]) -> Iterable[Any]:
        return [["not", "a", "line"]]

    report = judge_wave(WAVE, spec.profile, settings_for("reference").schemas, garbage, chunk_hubs=250)
    assert report.error is not None and re.search(r"chunk 1: .*line 1 is not a JSON object", report.error)
    assert report.chunks == 1


BAD_SIZES = [("--hubs", "0"), ("--hubs", "-5"), ("--chunk-hubs", "0"), ("--chunk-hubs", "-3"), ("--hubs", "ten")]


@pytest.mark.parametrize("option, value", BAD_SIZES)
def test_stream_refuses_sizes_that_are_not_whole_numbers_from_1(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--project", str(PROJECT), "stream", str(PROJECT / "cases" / "pilot-wave-5000.yaml"), option, value])
    assert exited.value.code == 2
    assert f"argument {option}: {value!r} is not a whole number of 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "inf", "1e308", "nan"])
def test_a_case_time_limit_must_be_a_finite_positive_number_up_to_a_day(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--project", str(PROJECT), "check", str(PROJECT / "cases" / "electricity-only.yaml"), "--case-timeout", value])
    assert exited.value.code == 2
    assert "argument --case-timeout" in capsys.readouterr().err
