"""Spec and case files: complete, consistent with each other, and refused clearly when broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chfa_conformance.cases import Case, load_case
from chfa_conformance.cli import main
from chfa_conformance.errors import SourceError
from chfa_conformance.evaluation import CaseResult, run_case
from chfa_conformance.findings import JUDGED_REQUIREMENTS
from chfa_conformance.report import describe_failure
from chfa_conformance.specs import Spec, load_spec
from chfa_conformance.yaml_source import MAX_YAML_BYTES, load_yaml
from tests.conftest import PROJECT, settings_for

SHARED_REQUIREMENTS = PROJECT.parent / "shared" / "REQUIREMENTS.md"
CHECKS = PROJECT / "src" / "chfa_conformance" / "checks"
NOT_YET_CHECKED: set[str] = set()


def test_every_requirement_of_the_shared_reading_is_in_the_spec(spec: Spec) -> None:
    if not SHARED_REQUIREMENTS.is_file():
        pytest.skip(f"{SHARED_REQUIREMENTS} not present")
    rows = re.findall(r"^\| ([A-Z0-9-]+) \| (MUST|SHOULD|MAY) \|", SHARED_REQUIREMENTS.read_text(), re.MULTILINE)
    assert rows, "no requirement rows found"
    assert dict(rows) == {r.id: r.level for r in spec.requirements}


def test_assumptions_are_visible_in_the_spec(spec: Spec) -> None:
    assumed = {r.id for r in spec.requirements if r.assumption}
    assert {"DUIS-VERSION", "ALERT-CODE", "HEADER-IDS", "ALERT-LATENCY"} <= assumed
    assert set(spec.profile.assumptions) == {"alert_code", "version_mismatch_policy", "response_id_required", "latency_limit_seconds"}


def test_every_requirement_is_judged_somewhere_in_the_checks(spec: Spec) -> None:
    source = "\n".join(path.read_text() for path in CHECKS.glob("*.py"))
    reported = set(re.findall(r'"([A-Z][A-Z0-9-]*)"', source)) & set(spec.ids())  # ids without a hyphen too (SIGNED)
    used = set(re.findall(r'"([A-Z][A-Z0-9]+-[A-Z0-9-]+)"', source))
    assert used - set(spec.ids()) == set(), "checks report ids the spec does not define"
    assert set(spec.ids()) - reported == NOT_YET_CHECKED
    assert reported == JUDGED_REQUIREMENTS, "findings.JUDGED_REQUIREMENTS must list exactly the ids the checks report"


def _spec_folder(tmp_path: Path, requirements: str) -> Path:
    for name in ("profile.yaml", "spec-files.schema.json"):
        (tmp_path / name).write_bytes((PROJECT / "specs" / name).read_bytes())
    (tmp_path / "requirements.yaml").write_text(requirements)
    return tmp_path


def test_a_spec_without_a_judged_requirement_stops_with_one_line(tmp_path: Path) -> None:
    text = (PROJECT / "specs" / "requirements.yaml").read_text()
    start = text.index("  - id: ALERT-LATENCY")
    without = text[:start] + text[text.index("  - id: ", start + 1) :]
    with pytest.raises(SourceError, match=r"requirements.yaml: has no entry for ALERT-LATENCY, which the checks judge$"):
        load_spec(_spec_folder(tmp_path, without))


def test_a_spec_entry_no_check_judges_stops_with_its_line(tmp_path: Path) -> None:
    text = (PROJECT / "specs" / "requirements.yaml").read_text()
    extra = "\n  - id: PRIVACY-NOTICE\n    level: MAY\n    scope: provider\n    summary: Not judged by any check.\n    source: s.1\n"
    lines = (text.rstrip("\n") + "\n").count("\n") + 2
    with pytest.raises(SourceError, match=rf"requirements.yaml:{lines}: no check judges requirement PRIVACY-NOTICE"):
        load_spec(_spec_folder(tmp_path, text.rstrip("\n") + "\n" + extra))


def test_cases_exercise_every_requirement(spec: Spec, cases: list[Case]) -> None:
    marked = set().union(*(case.requirements for case in cases))
    assert set(spec.ids()) - marked == NOT_YET_CHECKED


def test_case_marks_are_backed_by_what_the_case_exercises(cases: list[Case], signed_results: dict[str, CaseResult]) -> None:
    """Judged in the fullest configuration (signatures verified), where every mark can be exercised."""
    over_claimed = {}
    for case in cases:
        claimed = set(case.requirements) - signed_results[case.id].applicable
        if claimed:
            over_claimed[case.id] = sorted(claimed)
    assert over_claimed == {}


def test_case_descriptions_are_unique(cases: list[Case]) -> None:
    descriptions = [case.description for case in cases]
    assert len(descriptions) == len(set(descriptions))


BAD_YAML = {
    "object-tag": ("a: !!python/object/apply:os.system ['true']\n", 1, "tag"),
    "custom-tag": ("a: !secret x\n", 1, "tag '!secret' is not allowed"),
    "duplicate-key": ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first on line 1)"),
    "alias": ("a: &x [1, 2]\nb: *x\n", 2, "aliases are not allowed"),
    "unquoted-date-time": ("a: 1\nat: 2025-06-01T10:00:00Z\n", 2, "not allowed (plain YAML only; quote a date-time: "),
    "syntax": ("a: [1, 2\nb: 3\n", 2, "YAML error"),
    "empty": ("", 1, "empty file"),
    "not-utf8": (b"a: \xff\n", 1, "not valid UTF-8"),
    "nested-too-deep": ("a: " + "[" * 5000 + "]" * 5000 + "\n", None, "nesting too deep"),
    "nul-character": ("description: x\x00\n", 1, "YAML error: character U+0000 at column 15 is not allowed"),
    "control-character": ("a: 1\r\nb: x\x01y\n", 2, "YAML error: character U+0001 at column 5 is not allowed"),
    "control-character-in-quotes": ('a: 1\nb: "\x7f"\n', 2, "YAML error: character U+007F at column 5 is not allowed"),
    "non-character": ("a: 1\nb: \ufffe\n", 2, "YAML error: character U+FFFE at column 4 is not allowed"),
    "binary-number-without-digits": ("a: 1\nb: 0b_\n", 2, "YAML error: '0b_' cannot be read as a number"),
    "number-beyond-int-digits": ("a: " + "9" * 5000 + "\n", 1, "cannot be read as a number (quote it if it is text)"),
    "two-documents": ("a: 1\n---\nb: 2\n", 2, "YAML error: expected a single document in the stream, but found another document"),
}


@pytest.mark.parametrize("kind", sorted(BAD_YAML))
def test_bad_yaml_is_one_line_with_file_and_line(kind: str, tmp_path: Path) -> None:
    text, line, problem = BAD_YAML[kind]
    path = tmp_path / "file.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SourceError) as raised:
        load_yaml(path)
    assert raised.value.line == line
    assert problem in str(raised.value)
    assert str(raised.value).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert "\n" not in str(raised.value)
    assert len(str(raised.value)) < len(str(path)) + 150


def test_the_command_line_stops_on_a_control_character_with_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"description: x\x01\n")
    assert main(["--project", str(PROJECT), "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chfa-conformance: {path}:1: YAML error: character U+0001 at column 15 is not allowed (")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_control_character_in_a_spec_file_is_one_line_with_its_place(tmp_path: Path) -> None:
    text = (PROJECT / "specs" / "requirements.yaml").read_text()
    with pytest.raises(SourceError, match=r"requirements.yaml:1: YAML error: character U\+0000 at column 1 is not allowed"):
        load_spec(_spec_folder(tmp_path, "\x00" + text))


BASE_CASE = """\
description: a small valid case used as the base of broken ones
requirements: [ALERT-DEVICE]
users:
  - {id: 90-B3-D5-1F-30-01-00-00, role: import_supplier, duis_version: "5.1"}
  - {id: 90-B3-D5-1F-30-01-00-01, role: gas_supplier, duis_version: "5.1"}
hubs:
  - chf: 00-DB-12-34-56-78-90-A0
    smets: 2
    meters:
      - {id: 00-DB-12-34-56-78-90-A1, type: ESME, commissioned: true,
         responsible: [{user: 90-B3-D5-1F-30-01-00-00, from: "2024-01-01T00:00:00Z"}]}
  - chf: 00-DB-12-34-56-78-90-B0
    smets: 2
    meters: []
events:
  - {hub: 00-DB-12-34-56-78-90-A0, at: "2025-06-01T10:00:00Z", outcome: activated, firmware_from: "1", firmware_to: "2"}
"""

_EVENT = '  - {{hub: 00-DB-12-34-56-78-90-A0, at: "{at}", outcome: {outcome}, firmware_from: "1", firmware_to: "{to}"}}\n'

BAD_CASES = {
    "unknown-field": (
        BASE_CASE.replace("smets: 2\n    meters: []", "smets: 2\n    colour: red\n    meters: []"),
        14,
        "Additional properties are not allowed ('colour'",
    ),
    "unknown-requirement": (
        BASE_CASE.replace("[ALERT-DEVICE]", "[ALERT-DEVICE, ALERT-COLOUR]"),
        2,
        "unknown requirement id 'ALERT-COLOUR'",
    ),
    "meter-on-two-hubs": (
        BASE_CASE.replace("    meters: []", "    meters: [{id: 00-DB-12-34-56-78-90-A1, type: GSME, commissioned: true}]"),
        14,
        "meter 00-DB-12-34-56-78-90-A1 is served by two hubs",
    ),
    "meter-listed-twice-under-one-hub": (
        BASE_CASE.replace(
            "  - chf: 00-DB-12-34-56-78-90-B0",
            "      - {id: 00-DB-12-34-56-78-90-A1, type: ESME, commissioned: false}\n  - chf: 00-DB-12-34-56-78-90-B0",
        ),
        12,
        "meter 00-DB-12-34-56-78-90-A1 is listed twice under hub 00-DB-12-34-56-78-90-A0",
    ),
    "event-for-unknown-hub": (
        BASE_CASE.replace("- {hub: 00-DB-12-34-56-78-90-A0,", "- {hub: 00-DB-12-34-56-78-90-C0,"),
        16,
        "event for unknown hub 00-DB-12-34-56-78-90-C0",
    ),
    "supplier-of-wrong-role": (
        BASE_CASE.replace("responsible: [{user: 90-B3-D5-1F-30-01-00-00", "responsible: [{user: 90-B3-D5-1F-30-01-00-01"),
        11,
        "must be an import_supplier",
    ),
    "overlapping-suppliers": (
        BASE_CASE.replace(
            'from: "2024-01-01T00:00:00Z"}]}',
            'from: "2024-01-01T00:00:00Z"}, {user: 90-B3-D5-1F-30-01-00-00, from: "2024-06-01T00:00:00Z"}]}',
        ),
        11,
        "two Responsible Suppliers",
    ),
    "unknown-duis-version": (
        BASE_CASE.replace(
            'duis_version: "5.1"}\n  - {id: 90-B3-D5-1F-30-01-00-01', 'duis_version: "5.2"}\n  - {id: 90-B3-D5-1F-30-01-00-01'
        ),
        4,
        "DUIS 5.2, which the profile does not know",
    ),
    "time-without-zone": (BASE_CASE.replace('at: "2025-06-01T10:00:00Z"', 'at: "2025-06-01T10:00:00"'), 16, "does not match"),
    "zone-out-of-range": (
        BASE_CASE.replace('at: "2025-06-01T10:00:00Z"', 'at: "2025-06-01T10:00:00+25:00"'),
        16,
        "'2025-06-01T10:00:00+25:00' has a time-zone offset outside -14:00 to +14:00",
    ),
    "registration-zone-out-of-range": (
        BASE_CASE.replace('from: "2024-01-01T00:00:00Z"', 'from: "2024-01-01T00:00:00-15:00"'),
        11,
        "has a time-zone offset outside -14:00 to +14:00",
    ),
    "two-events-at-one-instant": (
        BASE_CASE + _EVENT.format(at="2025-06-01T10:00:00Z", outcome="activation_failed", to="3"),
        17,
        "has two firmware events at 2025-06-01T10:00:00+00:00",
    ),
    "activation-from-the-wrong-version": (
        BASE_CASE + _EVENT.format(at="2025-07-01T10:00:00Z", outcome="activated", to="3"),
        17,
        "runs '2' since 2025-06-01T10:00:00+00:00, but the activation at 2025-07-01T10:00:00+00:00 starts from '1'",
    ),
    "control-character-in-version": (BASE_CASE.replace('firmware_to: "2"', 'firmware_to: "2\\x01"'), 16, "does not match"),
    "impossible-date": (
        BASE_CASE.replace('at: "2025-06-01T10:00:00Z"', 'at: "2025-02-30T10:00:00Z"'),
        16,
        "is not a date-time with a time zone",
    ),
    "requirement-listed-twice": (
        BASE_CASE.replace("requirements: [ALERT-DEVICE]", "requirements: [" + "ALERT-DEVICE, " * 30 + "ALERT-DEVICE]"),
        2,
        "case file: at requirements: lists 'ALERT-DEVICE' more than once",
    ),
    "activation-at-hour-24": (
        BASE_CASE.replace('at: "2025-06-01T10:00:00Z"', 'at: "2025-06-01T24:00:00Z"'),
        16,
        "'2025-06-01T24:00:00Z': write 24:00:00 as 00:00:00 of the next day",
    ),
    "activation-at-the-end-of-time": (
        BASE_CASE.replace('at: "2025-06-01T10:00:00Z"', 'at: "9999-12-31T23:59:59Z"'),
        16,
        "'9999-12-31T23:59:59Z' is after 9998: the alerts that follow it must stay in the calendar",
    ),
    "profile-version-with-and-without-alert": (
        BASE_CASE.replace("requirements:", 'profile: {duis_versions_without_alert: ["5.0", "5.1"]}\nrequirements:'),
        2,
        "DUIS 5.1 listed both with and without the alert",
    ),
    "lone-surrogate-in-description": (
        BASE_CASE.replace("description: a small valid case used as the base of broken ones", 'description: "a small \\udfff case"'),
        1,
        "a lone surrogate (\\ud800-\\udfff) is not a character",
    ),
    "profile-mismatch-code-is-the-alert-code": (
        BASE_CASE.replace("requirements:", "profile: {mismatch_alert_code: N64}\nrequirements:"),
        2,
        "profile override: mismatch_alert_code is alert_code (N64): the two alerts could not be told apart",
    ),
    "nul-character": (BASE_CASE.replace("a small valid", "a small\x00valid"), 1, "character U+0000 at column 21 is not allowed"),
    "written-out-without-hubs-and-events": (
        BASE_CASE[: BASE_CASE.index("hubs:")],
        1,
        "at (top level): missing hubs, events (needed with users)",
    ),
    "no-scenario-at-all": (
        BASE_CASE[: BASE_CASE.index("users:")] + "notices: []\n",
        1,
        "at (top level): needs wave, or users, hubs and events, or generate",
    ),
    "wave-with-a-written-out-scenario": (
        BASE_CASE + 'wave: {hubs: 3, start: "2025-06-01T00:00:00Z", firmware_from: "1", firmware_to: "2"}\n',
        17,
        "at wave: wave cannot be combined with users, hubs and events",
    ),
    "generate-with-notices": (
        BASE_CASE[: BASE_CASE.index("users:")] + "generate: {examples: 3, thorough_examples: 5}\nnotices: []\n",
        4,
        "at notices: notices cannot be combined with generate",
    ),
    "profile-override-unknown": (
        BASE_CASE.replace("requirements:", "profile: {alert_code: N64, colour: red}\nrequirements:"),
        2,
        "profile override: at colour: Additional properties",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_CASES))
def test_contradictory_or_malformed_case_stops_with_file_and_line(kind: str, spec: Spec, tmp_path: Path) -> None:
    text, line, problem = BAD_CASES[kind]
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as raised:
        load_case(path, spec, PROJECT / "schemas")
    assert problem in str(raised.value)
    assert raised.value.line == line, str(raised.value)


def test_a_large_case_of_the_wrong_kind_names_what_is_missing_not_the_document(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    users = "".join(f"  - {{id: 90-B3-D5-1F-30-01-{n // 256:02X}-{n % 256:02X}, role: import_supplier}}\n" for n in range(500))
    path.write_text(BASE_CASE[: BASE_CASE.index("users:")] + "users:\n" + users)
    with pytest.raises(SourceError) as raised:
        load_case(path, spec, PROJECT / "schemas")
    assert str(raised.value) == f"{path}:1: case file: at (top level): missing hubs, events (needed with users)"


def test_base_case_is_valid(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(BASE_CASE)
    assert load_case(path, spec, PROJECT / "schemas").scenario.hubs


def test_a_wave_start_with_an_impossible_zone_names_its_line(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "wave.yaml"
    path.write_text(
        "description: a wave whose start has a zone of 25 hours\nrequirements: [ROLLOUT-SCALE]\n"
        'wave:\n  hubs: 3\n  start: "2025-06-01T00:00:00+25:00"\n  firmware_from: "1"\n  firmware_to: "2"\n'
    )
    with pytest.raises(SourceError) as raised:
        load_case(path, spec, PROJECT / "schemas")
    assert str(raised.value) == f"{path}:5: '2025-06-01T00:00:00+25:00' has a time-zone offset outside -14:00 to +14:00"


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "9998-12-31T23:59:00Z"])
def test_a_wave_that_leaves_the_calendar_names_its_start_line(start: str, spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "wave.yaml"
    text = (PROJECT / "cases" / "pilot-wave-5000.yaml").read_text()
    path.write_text(re.sub(r'start: "[^"]*"', f'start: "{start}"', text))
    with pytest.raises(SourceError, match=rf"wave.yaml:\d+: a wave starting '{start}' does not fit between the years 2 and 9998$"):
        load_case(path, spec, PROJECT / "schemas")


def test_a_count_written_as_a_decimal_is_refused_with_its_line(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "wave.yaml"
    path.write_text((PROJECT / "cases" / "pilot-wave-5000.yaml").read_text().replace("hubs: 5000", "hubs: 15.0"))
    with pytest.raises(SourceError, match=r"wave.yaml:\d+: case file: at wave/hubs: 15.0 is not of type 'integer'$"):
        load_case(path, spec, PROJECT / "schemas")


def test_a_case_profile_override_is_read_as_the_spec_reads_it_and_named_with_its_failures(spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    override = 'profile: {dcc_originator: "90-b3-d5-1f-30-00-00-02", alert_code: N65}\nrequirements:'
    path.write_text(BASE_CASE.replace("requirements:", override))
    case = load_case(path, spec, PROJECT / "schemas")
    result = run_case(case, settings_for("reference"))
    assert result.findings == ()  # a lower-case originator is the same EUI, as it is in specs/
    assert case.scenario.profile.changes_from(spec.profile) == ["alert_code N65"]
    assert "\nprofile overridden by this case: alert_code N65\n" in describe_failure(result, spec, "replay")


@pytest.mark.parametrize(
    "notice, findings",
    [
        ('{at: "2025-05-01T10:00:00Z"}', []),  # no hubs written: the notice covers every hub
        ('{at: "2025-05-01T10:00:00Z", hubs: [00-DB-12-34-56-78-90-A0]}', []),
        ('{at: "2025-05-01T10:00:00Z", hubs: []}', ["NOTICE-7-DAYS"]),  # names no hub: covers none
        ('{at: "2025-05-01T10:00:00Z", hubs: [00-DB-12-34-56-78-90-B0]}', ["NOTICE-7-DAYS"]),
    ],
)
def test_a_notice_covers_the_hubs_it_names_or_all_when_it_names_none(notice: str, findings: list[str], spec: Spec, tmp_path: Path) -> None:
    path = tmp_path / "notice.yaml"
    path.write_text(BASE_CASE + f"notices:\n  - {notice}\n")
    result = run_case(load_case(path, spec, PROJECT / "schemas"), settings_for("reference"))
    assert [finding.requirement for finding in result.findings] == findings


def test_a_case_file_over_the_size_limit_is_refused_unread_with_the_way_out(tmp_path: Path) -> None:
    """PyYAML reads in pure Python: a 60 MB case file took 4 minutes and 5.6 GB before this limit."""
    case = tmp_path / "huge.yaml"
    with case.open("wb") as sparse:
        sparse.truncate(MAX_YAML_BYTES + 1)
    with pytest.raises(SourceError) as refused:
        load_yaml(case)
    assert str(refused.value) == (
        f"{case}: cannot read: {MAX_YAML_BYTES + 1} bytes exceeds the {MAX_YAML_BYTES}-byte limit (not read)"
        " (describe a scenario that large with a wave: block)"
    )
