"""Evidence that generated scenarios find what hand-written cases did not think of.

With the hand-written cases switched off (nothing in cases/ but the generated entry runs),
the generated scenarios alone, at the CI example count and a fixed seed, kill every mutant
of the catalogue whose fault lies in behaviour: the shrunk failure is reported under ids the
mutant is declared to break or that the spec declares to overlap with them, and under no
other, and the case file saved for it replays exactly those ids. A mutant whose fault is a fixed literal (kind "literal")
is left to the hand-written cases: any alert at all shows it. This test takes whatever
behavioural mutants the catalogue holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chfa_conformance.cases import Generation, load_case
from chfa_conformance.evaluation import run_case
from chfa_conformance.generated_failures import save_failure
from chfa_conformance.generation import SHRINK_RUNS, Search, explore
from chfa_conformance.report import failing
from chfa_conformance.specs import Spec
from tests.conftest import PROJECT, settings_for
from tests.mutants import catalogue
from tests.mutants.catalogue import Mutant

EVIDENCE_SEED = 20250601
# Behavioural mutants only: "literal" faults are shown by any alert, and where the catalogue
# has them, "log" mutants alter the case (the candidate is the reference), "variant" ones
# are known-good, and signed ones need DSP certificates configured.
MUTANTS: tuple[Mutant, ...] = catalogue.MUTANTS
# A cmd: mutant is a process per run (a quarter to half a second here): it gets a smaller
# shrinking budget. Shrinking makes the saved scenario smaller, and may also take it from a
# scenario where the mutant also breaks an overlapping requirement to one where it breaks
# only its own (40 runs left split-supply-gas-supplier-missed at a hub split only before
# the activation, where missing the gas supplier is RECIPIENTS-RESPONSIBLE; 120 reach the
# split hub).
CMD_SHRINK_RUNS = 120
BEHAVIOURAL = [m for m in MUTANTS if m.kind == "behaviour" and not m.signed]


def test_the_catalogue_has_behavioural_mutants_to_kill() -> None:
    assert len(BEHAVIOURAL) >= 3


@pytest.mark.parametrize("mutant", BEHAVIOURAL, ids=[mutant.name for mutant in BEHAVIOURAL])
def test_generated_scenarios_alone_kill_the_mutant_and_the_saved_file_replays(
    mutant: Mutant, generation: Generation, spec: Spec, tmp_path: Path
) -> None:
    _killed_within_its_ids_and_replayed(mutant, EVIDENCE_SEED, generation, spec, tmp_path)


# Seeds on which a shrunk scenario once came out under an id outside the mutant's own and
# their declared overlaps (a missed supplier that left a moment after the activation, or one
# on DUIS 5.0 that gets no version-mismatch alert, where two faults send the same messages).
ATTRIBUTION_SEEDS = [("recipients-at-sending-time", 7), ("recipients-at-sending-time", 18), ("split-supply-gas-supplier-missed", 11)]


@pytest.mark.parametrize(("name", "seed"), ATTRIBUTION_SEEDS, ids=[f"{name}-seed-{seed}" for name, seed in ATTRIBUTION_SEEDS])
def test_seeds_that_once_misattributed_a_recipient_fault_stay_within_its_ids(
    name: str, seed: int, generation: Generation, spec: Spec, tmp_path: Path
) -> None:
    mutant = next(mutant for mutant in BEHAVIOURAL if mutant.name == name)
    _killed_within_its_ids_and_replayed(mutant, seed, generation, spec, tmp_path)


def _killed_within_its_ids_and_replayed(mutant: Mutant, search_seed: int, generation: Generation, spec: Spec, tmp_path: Path) -> None:
    settings = settings_for(mutant.candidate)
    shrink_runs = CMD_SHRINK_RUNS if mutant.candidate.startswith("cmd:") else SHRINK_RUNS
    exploration = explore(generation, settings, Search(generation.examples, search_seed, shrink_runs=shrink_runs))
    falsified = exploration.falsified
    assert falsified is not None, f"{mutant.name} survived {exploration.examples} generated scenarios"
    failed = set(falsified.requirements)
    # a drawn scenario may show the fault where a requirement the spec declares to overlap
    # with the mutant's own covers it (a wrong-time recipient set that misses a supplier is
    # RECIPIENTS-RESPONSIBLE too); any other id would be a false alarm
    allowed = set(mutant.breaks) | {other for rid in mutant.breaks for other in spec.ids() if spec.overlap(rid, other)}
    assert failed, f"{mutant.name} was not caught"
    assert failed <= allowed, f"{mutant.name} was reported under {sorted(failed - allowed)}, outside {sorted(allowed)}"
    saved = save_failure(exploration, tmp_path, lambda path: f"pytest {path}", "(search)")
    case = load_case(saved, spec, PROJECT / "schemas")
    replayed = run_case(case, settings)
    assert set(case.requirements) == failed
    assert {finding.requirement for finding in failing(replayed.findings, spec, "should")} == failed


VARIANTS = [variant for variant in catalogue.VARIANTS if not variant.signed]
VARIANT_EXAMPLES = 100


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.name for variant in VARIANTS])
def test_known_good_variant_passes_generated_scenarios(variant: Mutant, generation: Generation) -> None:
    """No false alarm on drawn scenarios either (odd versions, zones, lower-case EUIs, waves)."""
    exploration = explore(generation, settings_for(variant.candidate), Search(VARIANT_EXAMPLES, EVIDENCE_SEED))
    falsified = exploration.falsified
    assert falsified is None, falsified and [str(finding) for finding in falsified.result.findings]
