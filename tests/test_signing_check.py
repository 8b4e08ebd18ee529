"""SIGNED in the conformance run: the signing reference passes, signing mutants fail with it alone.

Keys and certificates are made at run time in a temporary folder. Each mutant breaks the
signature one way; the suite must report SIGNED and nothing else, with the verdict kind
leading the message so the four faults (and the two profile faults) read differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chfa_conformance.candidates import PythonCandidate, make_candidate
from chfa_conformance.cases import Case
from chfa_conformance.evaluation import CaseResult, RunSettings, run_case
from chfa_conformance.report import header_lines
from chfa_conformance.signatures import load_certificates
from reference_impl import emit
from reference_impl.signing import CERT_VARIABLE, KEY_VARIABLE, sign_document, signing_emitter
from tests.conftest import settings_for, signed_settings
from tests.signing_keys import Signer, make_signer
from tests.test_signatures import der_value

Emit = Callable[[Mapping[str, Any]], list[dict[str, Any]]]
LARGE_CASES = ("pilot-wave-5000",)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory, dsp_signer: Signer) -> dict[str, Signer]:
    """The DSP's signer, a stranger, and the DSP's key under a rotated-out serial."""
    folder = tmp_path_factory.mktemp("keys")
    dsp = dsp_signer
    return {
        "dsp": dsp,
        "stranger": make_signer(folder, "stranger", 0x0F4889EF197D41E9016966F9D5AB0403),
        "rotated": make_signer(folder, "rotated", 0x7DAC7283AAD29BDD23C9EFBFDDB52A41, key=dsp.key),
    }


def _settings(emitter: Emit, name: str, signer: Signer, duis_xsd: Path | None = None) -> RunSettings:
    return replace(signed_settings(signer, duis_xsd), candidate=PythonCandidate(name, emitter))


def _run(cases: list[Case], settings: RunSettings, skip: tuple[str, ...] = LARGE_CASES) -> dict[str, CaseResult]:
    return {case.id: run_case(case, settings) for case in cases if case.id not in skip}


def _edit_alerts(emitter: Emit, edit: Callable[[str], str]) -> Emit:
    def edited(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [dict(line, xml=edit(line["xml"])) if "xml" in line else line for line in emitter(scenario)]

    return edited


def _later_by_a_millisecond(xml: str) -> str:
    def bump(match: re.Match[str]) -> str:
        return f"{(int(match.group(1)) + 1) % 10}Z</sr:ResponseDateTime>"

    return re.sub(r"([0-9])Z</sr:ResponseDateTime>", bump, xml, count=1)


def _flip_signature_value(xml: str) -> str:
    return re.sub(r"<ds:SignatureValue>(.)", lambda m: "<ds:SignatureValue>" + ("B" if m.group(1) == "A" else "A"), xml, count=1)


def _der_signer(signer: Signer) -> Emit:
    """Signs correctly, then writes the value DER-encoded as generic XML-DSig libraries do."""

    def to_der(xml: str) -> str:
        value = re.search(r"<ds:SignatureValue>([^<]*)</ds:SignatureValue>", xml)
        assert value is not None
        return xml.replace(value.group(1), der_value(value.group(1)))

    return _edit_alerts(signing_emitter(signer.key, signer.certificate), to_der)


def _mutants(keys: dict[str, Signer]) -> dict[str, tuple[Emit, str]]:
    """name -> (emitter, the verdict kind SIGNED must name)."""
    dsp = keys["dsp"]
    signed = signing_emitter(dsp.key, dsp.certificate)
    return {
        "unsigned": (emit, "unsigned"),
        "tampered-after-signing": (_edit_alerts(signed, _later_by_a_millisecond), "digest-mismatch"),
        "signature-value-flipped": (_edit_alerts(signed, _flip_signature_value), "bad-signature"),
        "reference-to-a-fragment": (_edit_alerts(signed, lambda xml: xml.replace('URI=""', 'URI="#alert"', 1)), "wrapped"),
        "signed-by-a-stranger": (signing_emitter(keys["stranger"].key, keys["stranger"].certificate), "unknown-signer"),
        "signed-under-a-rotated-out-serial": (signing_emitter(dsp.key, keys["rotated"].certificate), "unknown-signer"),
        "der-signature-value": (_der_signer(dsp), "outside-profile"),
    }


MUTANT_NAMES = (
    "unsigned",
    "tampered-after-signing",
    "signature-value-flipped",
    "reference-to-a-fragment",
    "signed-by-a-stranger",
    "signed-under-a-rotated-out-serial",
    "der-signature-value",
)


def test_signing_reference_passes_every_case_and_exercises_signed(signed_results: dict[str, CaseResult]) -> None:
    results = signed_results
    assert {case_id: r.findings or r.error for case_id, r in results.items() if r.findings or r.error} == {}
    alerting = {case_id for case_id, r in results.items() if r.delivered_count}
    assert {case_id for case_id, r in results.items() if "SIGNED" in r.applicable} == alerting
    assert sum(results[case_id].delivered_count for case_id in alerting) > 5000


def test_signed_reference_alerts_are_valid_against_the_official_schemas(
    cases: list[Case], keys: dict[str, Signer], official_duis: Path
) -> None:
    dsp = keys["dsp"]
    results = _run(cases, _settings(signing_emitter(dsp.key, dsp.certificate), "reference-signed", dsp, official_duis))
    assert {case_id: r.findings or r.error for case_id, r in results.items() if r.findings or r.error} == {}
    assert sum(result.delivered_count for result in results.values()) > 40
    assert all("SIGNED" in result.applicable for result in results.values() if result.delivered_count)


def test_without_certificates_signed_is_not_exercised(cases: list[Case]) -> None:
    results = _run(cases, settings_for("reference"))
    assert not any("SIGNED" in result.applicable for result in results.values())


@pytest.mark.parametrize("name", MUTANT_NAMES)
def test_signing_mutant_fails_with_signed_alone(name: str, cases: list[Case], keys: dict[str, Signer]) -> None:
    emitter, kind = _mutants(keys)[name]
    results = _run(cases, _settings(emitter, name, keys["dsp"]))
    assert {case_id: r.error for case_id, r in results.items() if r.error} == {}
    findings = [finding for result in results.values() for finding in result.findings]
    assert findings, "the mutant was not caught"
    assert {finding.requirement for finding in findings} == {"SIGNED"}
    assert {finding.message.split(":")[0] for finding in findings} == {f"signature {kind}"}
    assert sum(result.delivered_count for result in results.values()) == len(findings)


def test_the_rotated_out_serial_really_has_the_dsp_key(keys: dict[str, Signer]) -> None:
    """Otherwise the 'rotated' mutant would only prove what the stranger proves."""
    document = sign_document(b"<a/>", keys["dsp"].key, keys["rotated"].certificate)
    assert b"<ds:X509SerialNumber>" in document
    public = keys["rotated"].certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_numbers() == keys["dsp"].key.public_key().public_numbers()


def test_the_run_header_notes_certificates_that_share_a_key(keys: dict[str, Signer]) -> None:
    settings = replace(settings_for("reference"), dsp_certificates=load_certificates([keys["dsp"].cert_path, keys["rotated"].cert_path]))
    notes = [line for line in header_lines(settings) if "note:" in line]
    assert len(notes) == 1 and "share one key" in notes[0]
    settings = replace(settings, dsp_certificates=load_certificates([keys["dsp"].cert_path, keys["stranger"].cert_path]))
    assert not any("note:" in line for line in header_lines(settings))


def test_the_python_spelling_signs_with_the_key_the_environment_names(
    cases: list[Case], dsp_signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate = make_candidate("python:reference_impl.signing:emit_signed")
    settings = replace(signed_settings(dsp_signer), candidate=candidate)
    case = next(case for case in cases if case.id == "split-supply")
    unset = run_case(case, settings).error
    assert unset is not None and unset.startswith(f"candidate {candidate.name} raised ValueError: set {KEY_VARIABLE} and {CERT_VARIABLE}")
    monkeypatch.setenv(KEY_VARIABLE, str(dsp_signer.key_path))
    monkeypatch.setenv(CERT_VARIABLE, str(dsp_signer.cert_path))
    result = run_case(case, settings)
    assert result.error is None and result.findings == () and result.delivered_count == 2 and "SIGNED" in result.applicable
