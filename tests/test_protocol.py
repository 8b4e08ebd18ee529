"""The candidate protocol's JSON Schemas are the contract: what the suite sends validates
against the scenario schema, and the suite's line check agrees with the output schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from chfa_conformance.candidates import collect_lines
from chfa_conformance.cases import Case
from reference_impl import emit
from tests.conftest import PROJECT

SCENARIO_SCHEMA = json.loads((PROJECT / "schemas" / "scenario-v1.schema.json").read_text())
OUTPUT_SCHEMA = json.loads((PROJECT / "schemas" / "candidate-output-v1.schema.json").read_text())


def test_every_scenario_sent_to_candidates_matches_the_scenario_schema(cases: list[Case]) -> None:
    validator = jsonschema.Draft202012Validator(SCENARIO_SCHEMA)
    problems = {case.id: [error.message for error in validator.iter_errors(case.scenario.as_protocol())][:3] for case in cases}
    assert {case_id: errors for case_id, errors in problems.items() if errors} == {}


def test_every_reference_output_line_matches_the_output_schema(cases: list[Case]) -> None:
    validator = jsonschema.Draft202012Validator(OUTPUT_SCHEMA)
    lines = [line for case in cases if case.id != "pilot-wave-5000" for line in emit(case.scenario.as_protocol())]
    assert len(lines) > 30
    assert [line for line in lines if not validator.is_valid(line)] == []


LINES: list[Any] = [
    {"recipient": "90-B3-D5-1F-30-01-00-00", "xml": "<a/>"},
    {"inventory": {"device": "00-DB-12-34-56-78-90-A0", "firmware_version": "9002"}},
    {"recipient": "90-B3-D5-1F-30-01-00-00"},
    {"xml": "<a/>"},
    {"recipient": 7, "xml": "<a/>"},
    {"recipient": "x", "xml": "<a/>", "extra": 1},
    {"inventory": {"device": "x"}},
    {"inventory": {"device": "x", "firmware_version": 9002}},
    {"inventory": "x"},
    [1, 2],
    "text",
    None,
]


@pytest.mark.parametrize("line", LINES, ids=[json.dumps(line)[:40] for line in LINES])
def test_line_check_agrees_with_the_output_schema(line: Any) -> None:
    by_schema = jsonschema.Draft202012Validator(OUTPUT_SCHEMA).is_valid(line)
    by_suite = collect_lines([line], "probe").error is None
    assert by_suite == by_schema
