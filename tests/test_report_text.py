"""What a reader sees: values that differ only invisibly are spelled out, odd recipients are quoted."""

from __future__ import annotations

import dataclasses
import shlex
import sys
import unicodedata

import pytest

from chfa_conformance.candidates import PythonCandidate, make_candidate
from chfa_conformance.cases import Case
from chfa_conformance.evaluation import RunSettings, run_case
from chfa_conformance.findings import Finding
from chfa_conformance.report import MAX_FINDINGS_SHOWN, describe_failure
from reference_impl import emit
from tests.conftest import settings_for


@pytest.mark.parametrize(
    "expected, seen, spelled",
    [
        ("Ünï-é", unicodedata.normalize("NFD", "Ünï-é"), True),
        ("1.2.3", "1.2.3\u200b", True),  # a zero-width space
        ("1.2.3", "1.2.4", False),  # plain ASCII tells itself apart
        ("Ünï", "Ünï", False),
    ],
)
def test_look_alike_values_are_spelled_out_in_code_points(expected: str, seen: str, spelled: bool) -> None:
    evidence = Finding("ALERT-FW-VERSION", "wrong", expected=expected, seen=seen).evidence()
    assert ("as code points" in evidence) is spelled
    if spelled:
        assert f"expected {expected!r} (as code points {expected!a}); seen {seen!r} (as code points {seen!a})" == evidence


@pytest.mark.parametrize(
    "recipient, shown",
    [("bob", "'bob'"), ("90b3d51f30010000", "'90b3d51f30010000'"), (" 90-b3-d5-1f-30-01-00-09", "90-B3-D5-1F-30-01-00-09")],
)
def test_a_recipient_is_shown_as_given_unless_it_is_an_eui(recipient: str, shown: str, cases: list[Case]) -> None:
    case = next(case for case in cases if case.id == "electricity-only")

    def readdressed(scenario: dict[str, object]) -> list[dict[str, object]]:
        return [dict(line, recipient=recipient) if "xml" in line else line for line in emit(scenario)]

    base = settings_for("reference")
    settings = RunSettings(base.spec, base.schemas, PythonCandidate("readdressed", readdressed), base.limits, base.schemas_dir)
    extra = [finding for finding in run_case(case, settings).findings if finding.requirement == "RECIPIENTS-ONLY-SUPPLIERS"]
    assert extra and all(finding.recipient == shown for finding in extra)
    assert f"{shown} is no user of the scenario" in extra[0].message


def test_control_characters_from_a_candidate_reach_the_terminal_escaped(cases: list[Case]) -> None:
    case = next(case for case in cases if case.id == "electricity-only")
    script = "import sys; sys.stderr.write('\\x1b[2J\\x1b[31mRED\\x07\\u202eevil\\n'); raise SystemExit('bad\\x1b[0m')"
    base = settings_for("reference")
    candidate = make_candidate(f"cmd:{shlex.join([sys.executable, '-c', script])}")
    settings = RunSettings(base.spec, base.schemas, candidate, base.limits, base.schemas_dir)
    text = describe_failure(run_case(case, settings), base.spec, "replay")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "    \\x1b[2J\\x1b[31mRED\\x07\\u202eevil" in text
    assert "bad\\x1b[0m" in text


def test_findings_beyond_the_limit_of_each_requirement_are_counted_not_listed(cases: list[Case]) -> None:
    case = next(case for case in cases if case.id == "electricity-only")
    base = settings_for("reference")
    result = run_case(case, base)
    many = tuple(Finding("ROLLOUT-SCALE", f"no alert for hub {number}", delivery=number) for number in range(MAX_FINDINGS_SHOWN + 7))
    one = (Finding("DUIS-VERSION", "wrong version"),)
    text = describe_failure(dataclasses.replace(result, findings=many + one), base.spec, "replay")
    assert [line for line in text.splitlines() if line.startswith("ROLLOUT-SCALE (MUST)")] == [
        f"ROLLOUT-SCALE (MUST): no alert for hub {number}" for number in range(MAX_FINDINGS_SHOWN)
    ]
    assert f"\nROLLOUT-SCALE: 7 more finding(s) not shown ({MAX_FINDINGS_SHOWN + 7} in all)\n" in text
    assert "DUIS-VERSION (MUST): wrong version" in text and "DUIS-VERSION: " not in text


def test_the_first_line_leads_with_what_failed_for_pytests_one_line_summary(cases: list[Case]) -> None:
    case = next(case for case in cases if case.id == "electricity-only")
    base = settings_for("reference")
    result = run_case(case, base)
    found = dataclasses.replace(result, findings=(Finding("DUIS-VERSION", "x"), Finding("ALERT-FW-VERSION", "y")))
    crashed = dataclasses.replace(result, error="candidate exited with status 1")
    first_lines = [describe_failure(variant, base.spec, "replay").splitlines()[0] for variant in (found, crashed)]
    assert first_lines == [
        f"ALERT-FW-VERSION, DUIS-VERSION in case electricity-only ({case.path}:1): {case.description}",
        f"candidate error in case electricity-only ({case.path}:1): {case.description}",
    ]
