"""Faulty emitters fail the conformance run with exactly the requirement ids they break."""

from __future__ import annotations

import pytest

from tests.conftest import RunAll
from tests.mutants.catalogue import CATALOGUE, Mutant


@pytest.mark.parametrize("mutant", CATALOGUE, ids=[mutant.name for mutant in CATALOGUE])
def test_mutant_fails_with_exactly_its_requirement_ids(mutant: Mutant, run_all: RunAll) -> None:
    results = run_all(mutant.candidate)
    errors = {case_id: result.error for case_id, result in results.items() if result.error}
    assert errors == {}
    reported = set().union(*(result.failed_requirements() for result in results.values()))
    assert reported == mutant.breaks


def test_one_mutant_runs_as_a_separate_process() -> None:
    assert any(mutant.candidate.startswith("cmd:") for mutant in CATALOGUE)
