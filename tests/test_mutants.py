"""The kill matrix: every mutant is caught under exactly its declared requirement ids over
all of cases/, and every known-good variant passes everything."""

from __future__ import annotations

import pytest

from chfa_conformance.selftest import Verdict, overlap_problems, run_selftest
from chfa_conformance.specs import Spec
from reference_impl.signing import CERT_VARIABLE, KEY_VARIABLE
from tests.conftest import CASE_FILES, PROJECT
from tests.mutants.catalogue import MUTANTS, VARIANTS, Mutant, make_signing_material


@pytest.fixture(scope="session")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdict]:
    key, cert = make_signing_material(tmp_path_factory.mktemp("selftest-keys"))
    with pytest.MonkeyPatch.context() as patch:  # signing subjects read their key from the environment
        patch.setenv(KEY_VARIABLE, str(key))
        patch.setenv(CERT_VARIABLE, str(cert))
        verdicts = run_selftest([*MUTANTS, *VARIANTS], PROJECT, CASE_FILES, workers=2, dsp_certs=[cert])
    return {verdict.name: verdict for verdict in verdicts}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.name for mutant in MUTANTS])
def test_mutant_is_caught_under_exactly_its_ids(mutant: Mutant, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[mutant.name]
    assert verdict.errors == ()
    assert sorted(verdict.reported) == sorted(mutant.breaks)


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_known_good_variant_passes_every_case(variant: Mutant, verdicts: dict[str, Verdict]) -> None:
    verdict = verdicts[variant.name]
    assert verdict.errors == ()
    assert verdict.reported == frozenset()


def test_every_provider_requirement_has_a_mutant(spec: Spec) -> None:
    caught = set().union(*(mutant.breaks for mutant in MUTANTS))
    assert set(spec.ids()) - caught == set()


def test_several_ids_only_where_the_spec_declares_an_overlap(spec: Spec) -> None:
    assert overlap_problems(MUTANTS, spec) == []


def test_catalogue_shape() -> None:
    assert len(VARIANTS) >= 10
    separate = [mutant for mutant in MUTANTS if mutant.candidate.startswith("cmd:")]
    assert len(separate) >= 3
    assert any(mutant.process == "shell" for mutant in separate), "one mutant must not be written in Python"
    assert len({mutant.name for mutant in MUTANTS + VARIANTS}) == len(MUTANTS) + len(VARIANTS)
