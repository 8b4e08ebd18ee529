"""`chfa-conformance validate` and `verify-signature` on the DSP's real messages (../shared/dccboxed).

One line per file (file, verdict, reason), exit 1 when any file fails, 2 for a setup error;
the verdicts are those ../shared/README.md gives for each message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chfa_conformance.cases import Case
from chfa_conformance.cli import main
from reference_impl import emit
from tests.conftest import DCCBOXED, PROJECT
from tests.test_signatures import ALL_CERTS, DCCBOXED_VERDICTS

# the schema's view: signatures are not its business, the XXE document never reaches it
SCHEMA_VERDICTS = {
    "read-inventory-response-5.4.xml": "valid",
    "readfw-response-resigned.xml": "valid",
    "read-inventory-response-4g.xml": "valid",
    "readfw-response.xml": "valid",
    "readfw-response-badsignature.xml": "valid",
    "readfw-response-no-signature.xml": "valid",
    "readfw-response-invalid.xml": "schema-invalid",
    "duis-xxe.xml": "refused",
}


@pytest.fixture(scope="module")
def messages() -> list[Path]:
    if not (DCCBOXED / "readfw-response.xml").is_file():
        pytest.skip(f"DSP-signed sample messages not found at {DCCBOXED}")
    return [DCCBOXED / name for name in sorted(SCHEMA_VERDICTS)]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str], str]:
    code = main(["--project", str(PROJECT), *args])
    out, err = capsys.readouterr()
    verdicts = {}
    for line in out.splitlines():
        path, verdict, reason = line.split(": ", 2)
        assert reason, line
        verdicts[Path(path).name] = verdict
    return code, verdicts, err


def test_validate_gives_the_schema_verdict_of_each_dccboxed_message(
    messages: list[Path], official_duis: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, verdicts, err = _run(["validate", *map(str, messages), "--duis-xsd", str(official_duis)], capsys)
    assert verdicts == SCHEMA_VERDICTS and code == 1 and err == ""
    valid = [str(path) for path in messages if SCHEMA_VERDICTS[path.name] == "valid"]
    assert _run(["validate", *valid, "--duis-xsd", str(official_duis)], capsys)[0] == 0


def test_without_official_schemas_a_response_message_is_not_covered_not_invalid(
    messages: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The compact schemas describe the alert only: a DUIS response is outside them, not wrong."""
    code, verdicts, _ = _run(["validate", *map(str, messages)], capsys)
    assert verdicts == {name: "refused" if verdict == "refused" else "not-covered" for name, verdict in SCHEMA_VERDICTS.items()}
    assert code == 1


def test_the_54_inventory_response_is_valid_for_duis_54_only(
    tmp_path: Path, official_duis: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "as-5.1.xml"
    copy.write_bytes((DCCBOXED / "read-inventory-response-5.4.xml").read_bytes().replace(b'schemaVersion="5.4"', b'schemaVersion="5.1"'))
    code, verdicts, _ = _run(["validate", str(copy), "--duis-xsd", str(official_duis)], capsys)
    assert (code, verdicts) == (1, {"as-5.1.xml": "schema-invalid"})


def test_verify_signature_gives_the_readme_verdict_of_each_dccboxed_message(
    messages: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    certificates = [str(DCCBOXED / name) for name in ALL_CERTS]
    code, verdicts, err = _run(["verify-signature", *map(str, messages), "--dsp-cert", *certificates], capsys)
    assert verdicts == {name: kind for name, (_, kind) in DCCBOXED_VERDICTS.items()}
    assert code == 1
    assert err == (  # Z1 and the '-ds' certificate share one key, and the DSP profile does not sign KeyInfo
        "chfa-conformance: note: serials F4889EF197D41E9016966F9D5AB0402 and 7DAC7283AAD29BDD23C9EFBFDDB52A41 share one key: "
        "the serial in KeyInfo is not signed, so a message verified under one would verify relabelled as the other\n"
    )
    valid = [str(path) for path in messages if DCCBOXED_VERDICTS[path.name][1] == "valid"]
    assert _run(["verify-signature", *valid, "--dsp-cert", *certificates], capsys)[0] == 0


def test_files_that_cannot_be_read_get_their_own_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, verdicts, _ = _run(["validate", str(tmp_path / "missing.xml"), str(tmp_path)], capsys)
    assert code == 1 and verdicts == {"missing.xml": "unreadable", tmp_path.name: "unreadable"}


@pytest.mark.parametrize("command", ["check", "generate", "stream"])
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_case_path_that_is_not_a_regular_file_is_not_read(
    command: str, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """/dev/zero would fill memory and a FIFO would wait for ever: neither is opened."""
    case = tmp_path / "case.yaml"
    if kind == "fifo":
        os.mkfifo(case)
    else:
        case.symlink_to("/dev/zero")
    assert main([command, str(case)]) == 2
    assert capsys.readouterr().err == f"chfa-conformance: {case}: cannot read: not a regular file\n"


@pytest.mark.parametrize("command", ["validate", "verify-signature"])
def test_a_file_name_cannot_forge_a_verdict_line_or_drive_the_terminal(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = tmp_path / "evil\nforged.xml: valid: schemaVersion 5.1\x1b[31m.xml"
    forged.write_text("<not-a-duis-message/>", encoding="utf-8")
    certificates = ["--dsp-cert", str(DCCBOXED / ALL_CERTS[0])] if command == "verify-signature" else []
    assert main([command, str(forged), *certificates]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "\x1b" not in out
    assert out.startswith(f"{tmp_path}/evil\\nforged.xml: valid: schemaVersion 5.1\\x1b[31m.xml: ")


def test_a_case_file_name_with_a_line_break_stays_on_its_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "a\nb.yaml"
    case.write_text("description: [unclosed\n", encoding="utf-8")
    assert main(["check", str(case)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}/a\\nb.yaml:" in err


def test_verify_signature_needs_a_certificate(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["verify-signature", "message.xml"])
    assert stopped.value.code == 2 and "--dsp-cert" in capsys.readouterr().err


def test_files_swallowed_by_dsp_cert_are_explained(messages: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-signature", "--dsp-cert", str(DCCBOXED / ALL_CERTS[0]), str(messages[0])]) == 2
    assert capsys.readouterr().err == (
        "chfa-conformance: verify-signature: no FILE to check (--dsp-cert takes every name after it: put the files first)\n"
    )


def test_a_certificate_that_is_not_a_regular_file_is_not_read(messages: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-signature", str(messages[0]), "--dsp-cert", "/dev/zero"]) == 2
    assert capsys.readouterr().err == "chfa-conformance: /dev/zero: cannot read the certificate: not a regular file\n"


def test_a_bad_certificate_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dsp.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code = main(["verify-signature", str(tmp_path / "dsp.pem"), "--dsp-cert", str(tmp_path / "dsp.pem")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"{tmp_path / 'dsp.pem'}: not a PEM X.509 certificate file" in err


def test_the_installed_command_runs_as_a_separate_process(messages: list[Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chfa_conformance.cli", "verify-signature", str(DCCBOXED / "readfw-response.xml"), "--dsp-cert",
         str(DCCBOXED / "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith(f"{DCCBOXED / 'readfw-response.xml'}: valid: signed by CN=Z1,OU=07 serial ")


def test_validate_works_from_the_folder_holding_the_files(cases: list[Case], tmp_path: Path) -> None:
    electricity_only = next(case for case in cases if case.id == "electricity-only")
    (tmp_path / "alert.xml").write_bytes(emit(electricity_only.scenario.as_protocol())[0]["xml"].encode())
    done = subprocess.run(
        [sys.executable, "-m", "chfa_conformance.cli", "validate", "alert.xml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("alert.xml: valid: schemaVersion 5.1, compact schemas in ")
