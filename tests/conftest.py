"""Fixtures for the suite's own tests: the project's spec, cases and settings."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from chfa_conformance.candidates import PythonCandidate
from chfa_conformance.cases import Case, Generation, load_entry
from chfa_conformance.evaluation import CaseResult, RunSettings, build_settings, run_case
from chfa_conformance.specs import Spec, load_spec
from reference_impl.signing import signing_emitter
from tests.signing_keys import Signer, make_signer

PROJECT = Path(__file__).resolve().parents[1]
OFFICIAL_DUIS = Path(os.environ.get("CHFA_OFFICIAL_DUIS", PROJECT.parent / "shared" / "duis"))
DCCBOXED = Path(os.environ.get("CHFA_DCCBOXED", PROJECT.parent / "shared" / "dccboxed"))
CASE_FILES = sorted((PROJECT / "cases").glob("*.yaml"))

pytest_plugins = ["pytester"]

RunAll = Callable[..., dict[str, CaseResult]]


def scratch_project(pytester: pytest.Pytester, case_names: tuple[str, ...]) -> pytest.Pytester:
    """A pytester project using this project's specs and schemas, with copies of some cases."""
    for folder in ("specs", "schemas"):
        (pytester.path / folder).symlink_to(PROJECT / folder)
    (pytester.path / "pytest.ini").write_text("[pytest]\ntestpaths = cases\naddopts = -p chfa_conformance.pytest_plugin\n")
    (pytester.path / "cases").mkdir()
    for name in case_names:
        shutil.copy(PROJECT / "cases" / f"{name}.yaml", pytester.path / "cases")
    return pytester


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec(PROJECT / "specs")


@pytest.fixture(scope="session")
def entries(spec: Spec) -> list[Case | Generation]:
    """Everything in cases/: hand-written scenario cases and generated-scenario entries."""
    return [load_entry(path, spec, PROJECT / "schemas") for path in CASE_FILES]


@pytest.fixture(scope="session")
def cases(entries: list[Case | Generation]) -> list[Case]:
    """The hand-written scenario cases in cases/."""
    return [entry for entry in entries if isinstance(entry, Case)]


@pytest.fixture(scope="session")
def generation(entries: list[Case | Generation]) -> Generation:
    """The generated-scenarios entry of cases/ (cases/generated.yaml)."""
    found = [entry for entry in entries if isinstance(entry, Generation)]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="session")
def official_duis() -> Path:
    if not (OFFICIAL_DUIS / "DUIS Schema V5.1.xsd").is_file():
        pytest.skip(f"official DUIS schemas not found at {OFFICIAL_DUIS} (set CHFA_OFFICIAL_DUIS)")
    return OFFICIAL_DUIS


def settings_for(candidate: str, duis_xsd: Path | None = None, timeout: float | None = None) -> RunSettings:
    return build_settings(PROJECT, candidate, duis_xsd, timeout)


@pytest.fixture(scope="session")
def dsp_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """A DSP signing key and certificate made for this run (no private key is committed)."""
    return make_signer(tmp_path_factory.mktemp("dsp"), "dsp", 0x0F4889EF197D41E9016966F9D5AB0402)


@pytest.fixture(scope="session")
def signed_results(cases: list[Case], dsp_signer: Signer) -> dict[str, CaseResult]:
    """Every case run once in the fullest configuration: the signing reference, signatures verified."""
    settings = signed_settings(dsp_signer)
    return {case.id: run_case(case, settings) for case in cases}


def signed_settings(signer: Signer, duis_xsd: Path | None = None) -> RunSettings:
    """The reference emitter signing with `signer`, judged against `signer`'s certificate."""
    base = build_settings(PROJECT, "reference", duis_xsd, dsp_certs=[signer.cert_path])
    return replace(base, candidate=PythonCandidate("reference-signed", signing_emitter(signer.key, signer.certificate)))


@pytest.fixture(scope="session")
def run_all(cases: list[Case]) -> RunAll:
    """Run every case in cases/ against a candidate; results by case id."""

    def run(candidate: str, duis_xsd: Path | None = None, skip: tuple[str, ...] = ()) -> dict[str, CaseResult]:
        settings = settings_for(candidate, duis_xsd)
        return {case.id: run_case(case, settings) for case in cases if case.id not in skip}

    return run
