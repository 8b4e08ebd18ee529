"""The pytest layer seen from outside: collection, selection, failure reports, header."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT, scratch_project
from tests.signing_keys import Signer


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A scratch project using this project's specs and schemas, with two cases."""
    return scratch_project(pytester, ("electricity-only", "two-activations-one-hub"))


def _mutant_in(project: pytest.Pytester) -> str:
    project.makepyfile(
        wrong_version=textwrap.dedent(
            """
            from reference_impl import emit as reference

            def emit(scenario):
                lines = reference(scenario)
                return [dict(line, xml=line["xml"].replace(">9002<", ">9001<")) if "xml" in line else line for line in lines]
            """
        )
    )
    project.syspathinsert()
    return "python:wrong_version:emit"


def test_cases_are_collected_as_items_marked_with_their_ids(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["cases/electricity-only.yaml::electricity-only", "cases/two-activations-one-hub.yaml::two-activations-one-hub"]
    )
    result = project.runpytest("-m", "requirement", "-q")
    result.assert_outcomes(passed=2)


def test_requirement_option_selects_cases_by_id(project: pytest.Pytester) -> None:
    result = project.runpytest("--requirement", "SMI-CONSISTENT", "--requirement", "ALERT-ONCE", "-v")
    result.assert_outcomes(passed=2)
    result = project.runpytest("--requirement", "RECIPIENTS-ONLY-SUPPLIERS", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*electricity-only*PASSED*"])


def test_unknown_requirement_id_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--requirement", "NO-SUCH-ID")
    result.stderr.fnmatch_lines(["*--requirement NO-SUCH-ID: unknown id*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_header_prints_the_profile_and_its_assumptions(project: pytest.Pytester) -> None:
    result = project.runpytest("-q", "-p", "no:randomly")
    header = project.runpytest("--co")
    header.stdout.fnmatch_lines(
        ["chfa-conformance profile: alert code N64*", "*assumed alert_code: N64 is assumed*", "*assumed version_mismatch_policy*"]
    )
    assert result.ret == 0


def test_failure_names_requirement_case_recipient_and_evidence(project: pytest.Pytester) -> None:
    result = project.runpytest("--candidate", _mutant_in(project), "cases/electricity-only.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*case electricity-only (cases/electricity-only.yaml:1)*",
            "ALERT-FW-VERSION (MUST): FirmwareVersion is not the newly active version*",
            "*alert #1; recipient 90-B3-D5-1F-30-01-00-00; at /Response/Body/DCCAlertMessage/DCCAlert/"
            "CommsHubFirmwareActivation/FirmwareVersion; expected '9002'; seen '9001'",
            "replay: pytest cases/electricity-only.yaml --candidate=python:wrong_version:emit",
        ]
    )


def test_the_replay_line_keeps_the_case_time_limit(project: pytest.Pytester) -> None:
    result = project.runpytest("--candidate", _mutant_in(project), "--case-timeout=7.5", "cases/electricity-only.yaml")
    result.stdout.fnmatch_lines(["replay: pytest --case-timeout=7.5 cases/electricity-only.yaml --candidate=python:wrong_version:emit"])


@pytest.mark.parametrize("option", ["--matrix", "--save-failures"])
def test_an_output_folder_that_cannot_be_made_stops_before_the_run(option: str, project: pytest.Pytester) -> None:
    (project.path / "a-file").write_text("")
    result = project.runpytest(f"{option}=a-file/out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option} */a-file/out: cannot make the folder (Not a directory)"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_shrink_runs_is_a_whole_number_from_0(project: pytest.Pytester) -> None:
    result = project.runpytest("--shrink-runs=-5")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --shrink-runs: '-5' is not a whole number of 0 or more"])


def test_junit_xml_carries_requirement_ids(project: pytest.Pytester) -> None:
    project.runpytest("--candidate", _mutant_in(project), "--junitxml=report.xml")
    report = (project.path / "report.xml").read_text()
    assert 'name="requirements" value="ALERT-TRIGGER ALERT-FW-VERSION' in report
    assert 'name="failed_requirements" value="ALERT-FW-VERSION"' in report


def test_matrix_is_written_in_three_formats(project: pytest.Pytester) -> None:
    project.runpytest("--candidate", _mutant_in(project), "--matrix", "out")
    markdown = (project.path / "out" / "compliance-matrix.md").read_text()
    assert "| ALERT-FW-VERSION | MUST | 2 | 0 | FAIL | FAIL |" in markdown
    assert "| NOTICE-7-DAYS | MAY | 0 | 0 | - | - |" in markdown
    assert (project.path / "out" / "compliance-matrix.json").is_file()
    assert "<table>" in (project.path / "out" / "compliance-matrix.html").read_text()


def test_allure_results_are_labelled(project: pytest.Pytester) -> None:
    project.runpytest("--alluredir", "allure", "cases/electricity-only.yaml")
    results = "".join(path.read_text() for path in (project.path / "allure").glob("*-result.json"))
    assert '"name": "tag", "value": "ALERT-FW-VERSION"' in results


@pytest.mark.parametrize(
    "text, line",
    [
        (
            "description: a case whose hub is missing its smets generation\nrequirements: [ALERT-DEVICE]\n"
            "users: []\nhubs:\n  - chf: 00-DB-12-34-56-78-90-A0\nevents: []\n",
            "cases/broken.yaml:5: case file: at hubs/0: 'smets' is a required property",
        ),
        (
            "description: a case with a NUL\x00 in it\n",
            "cases/broken.yaml:1: YAML error: character U+0000 at column 31 is not allowed (*",
        ),
        (
            "description: a case without hubs and events\nrequirements: [ALERT-DEVICE]\nusers: []\n",
            "cases/broken.yaml:1: case file: at (top level): missing hubs, events (needed with users)",
        ),
    ],
    ids=["schema", "control-character", "alternative"],
)
def test_broken_case_file_is_one_line_naming_file_and_line(text: str, line: str, project: pytest.Pytester) -> None:
    (project.path / "cases" / "broken.yaml").write_text(text)
    result = project.runpytest("cases/broken.yaml")
    result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()


def test_broken_spec_file_stops_the_run_with_one_line(project: pytest.Pytester) -> None:
    (project.path / "specs").unlink()
    (project.path / "specs").mkdir()
    for name in ("profile.yaml", "spec-files.schema.json"):
        shutil.copy(PROJECT / "specs" / name, project.path / "specs")
    text = (PROJECT / "specs" / "requirements.yaml").read_text().replace("level: SHOULD", "level: OUGHT", 1)
    (project.path / "specs" / "requirements.yaml").write_text(text)
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    line = next(line for line in result.stderr.lines if "requirements.yaml" in line)
    assert "specs/requirements.yaml:" in line and "'OUGHT' is not one of ['MUST', 'SHOULD', 'MAY']" in line


def test_missing_official_schema_import_fails_closed(project: pytest.Pytester, official_duis: Path, tmp_path: Path) -> None:
    partial = tmp_path / "duis"
    partial.mkdir()
    for name in ("DUIS Schema V5.1.xsd", "xmldsig-core-schema.xsd"):
        (partial / name).symlink_to(official_duis / name)
    result = project.runpytest(f"--duis-xsd={partial}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*imports 'MMC Schema V5.1.xsd', which is not in*"])


def test_schema_version_without_official_file_is_a_finding(project: pytest.Pytester, official_duis: Path, tmp_path: Path) -> None:
    partial = tmp_path / "duis"
    partial.mkdir()
    for path in official_duis.iterdir():
        if "V5.3" not in path.name:
            (partial / path.name).symlink_to(path)
    result = project.runpytest(f"--duis-xsd={partial}", "cases/two-activations-one-hub.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["DUIS-SCHEMA (MUST): not valid against the DUIS schema for schemaVersion 5.3: no schema for schemaVersion 5.3 in official*"]
    )


def test_yaml_outside_a_cases_folder_is_not_collected(project: pytest.Pytester) -> None:
    (project.path / "cases" / "sub").mkdir()
    (project.path / "config.yaml").write_text("a: 1\n")
    result = project.runpytest(".", "--co", "-q")
    assert "config.yaml" not in result.stdout.str()


def test_a_folder_named_on_the_command_line_has_its_case_files_collected(project: pytest.Pytester) -> None:
    (project.path / "saved" / "deeper").mkdir(parents=True)
    (project.path / "cases" / "electricity-only.yaml").rename(project.path / "saved" / "deeper" / "mine.yml")
    result = project.runpytest("saved", "-q")
    result.assert_outcomes(passed=1)


def test_dsp_cert_verifies_the_signature_of_every_alert(project: pytest.Pytester, dsp_signer: Signer) -> None:
    cert = dsp_signer.cert_path
    signing = f"cmd:{sys.executable} -m reference_impl --sign-key {dsp_signer.key_path} --sign-cert {cert}"
    result = project.runpytest("--candidate", signing, f"--dsp-cert={cert}", "--matrix", "out")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"chfa-conformance signatures: verified against CN=Z1,OU=07 serial * ({cert})"])
    assert "| SIGNED | SHOULD | 0 | 2 | pass | pass |" in (project.path / "out" / "compliance-matrix.md").read_text()


def test_an_unsigned_alert_is_a_signed_finding_never_a_silent_pass(project: pytest.Pytester, dsp_signer: Signer) -> None:
    result = project.runpytest(f"--dsp-cert={dsp_signer.cert_path}", "cases/electricity-only.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "SIGNED (SHOULD): signature unsigned: the message carries no ds:Signature",
            "*alert #1; recipient 90-B3-D5-1F-30-01-00-00; at /Response/ds:Signature; expected 'a valid DSP signature'; seen 'unsigned'",
            f"replay: pytest cases/electricity-only.yaml --dsp-cert={dsp_signer.cert_path}",
        ]
    )


def test_signed_requirement_without_certificates_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--requirement", "SIGNED")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--requirement SIGNED: signatures are judged only when --dsp-cert PEM*"])
    header = project.runpytest("--co")
    header.stdout.fnmatch_lines(["chfa-conformance signatures: not checked (no --dsp-cert given; SIGNED is not exercised)"])


def test_a_bad_certificate_file_stops_the_run_with_one_line(project: pytest.Pytester) -> None:
    (project.path / "dsp.pem").write_text("not a certificate\n")
    result = project.runpytest("--dsp-cert=dsp.pem")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*dsp.pem: not a PEM X.509 certificate file*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_fail_on_must_keeps_summary_and_matrix_consistent(project: pytest.Pytester) -> None:
    late = "python:tests.mutants.catalogue:emit__an_hour_late"
    project.syspathinsert(PROJECT)
    result = project.runpytest(f"--candidate={late}", "--fail-on=must", "--matrix=out", "cases/electricity-only.yaml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ALERT-LATENCY (SHOULD): findings in 1 case(s), shown only (--fail-on must)"])
    assert "| ALERT-LATENCY | SHOULD | 0 | 0 | finding |" in (project.path / "out" / "compliance-matrix.md").read_text()


def test_replay_of_a_case_outside_the_project_names_its_configuration(project: pytest.Pytester, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "case.yaml"
    outside.parent.mkdir()
    shutil.copy(PROJECT / "cases" / "electricity-only.yaml", outside)
    result = project.runpytest("-c", str(project.path / "pytest.ini"), f"--candidate={_mutant_in(project)}", str(outside))
    replay = next(line for line in result.stdout.lines if line.startswith("replay: "))
    assert f"-c {project.path / 'pytest.ini'}" in replay
    again = project.runpytest(*replay.removeprefix("replay: pytest ").split())
    again.assert_outcomes(failed=1)
