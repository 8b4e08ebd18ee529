"""The kill matrix: run every case against each faulty emitter and each known-good variant.

A mutant is caught when the suite reports exactly the requirement ids it declares; a
variant passes when nothing at all is reported. Mutants run in worker processes (one per
core) because each runs the whole of cases/.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chfa_conformance.cases import Case, load_entry
from chfa_conformance.evaluation import build_settings, run_case
from chfa_conformance.scenario import build_scenario
from chfa_conformance.specs import Spec, load_spec


class Subject(Protocol):
    """What the self-test needs of a mutant or variant (tests/mutants/catalogue.py)."""

    @property
    def name(self) -> str: ...
    @property
    def breaks(self) -> frozenset[str]: ...
    @property
    def kind(self) -> str: ...
    @property
    def candidate(self) -> str: ...
    @property
    def alter_case(self) -> Callable[[dict[str, Any]], None] | None: ...
    @property
    def signed(self) -> bool: ...


@dataclass(frozen=True)
class Verdict:
    name: str
    kind: str
    declared: frozenset[str]
    reported: frozenset[str]
    errors: tuple[str, ...]
    seconds: float

    @property
    def exact(self) -> bool:
        """Caught under exactly its ids (a variant: nothing reported), with no candidate error."""
        return self.reported == self.declared and not self.errors


def judge_subject(
    subject: Subject, project: Path, case_files: tuple[Path, ...], duis_xsd: Path | None = None, dsp_certs: tuple[Path, ...] = ()
) -> Verdict:
    """Run all cases against one subject and collect the requirement ids reported.

    Signed subjects are judged with the DSP certificates configured; the others without, so
    that a fault in what is signed is not reported twice.
    """
    started = time.perf_counter()
    certificates = list(dsp_certs) if subject.signed else []
    settings = build_settings(project, subject.candidate, duis_xsd, dsp_certs=certificates)
    reported: set[str] = set()
    errors: list[str] = []
    for original in _cases(project, case_files):
        case = _altered(original, subject.alter_case)
        result = run_case(case, settings)
        reported |= result.failed_requirements()
        if result.error is not None:
            errors.append(f"{case.id}: {result.error}")
    return Verdict(subject.name, subject.kind, subject.breaks, frozenset(reported), tuple(errors), time.perf_counter() - started)


def _altered(case: Case, alter: Callable[[dict[str, Any]], None] | None) -> Case:
    """The case with its scenario data rewritten (for faults that lie in the rollout log)."""
    if alter is None:
        return case
    data = copy.deepcopy(dict(case.scenario.written))
    alter(data)
    scenario = build_scenario(case.id, data, case.scenario.profile, str(case.path), lambda where: None)
    return dataclasses.replace(case, scenario=scenario)


def run_selftest(
    subjects: Iterable[Subject],
    project: Path,
    case_files: Sequence[Path],
    duis_xsd: Path | None = None,
    workers: int = 2,
    dsp_certs: Sequence[Path] = (),
) -> list[Verdict]:
    """Verdicts in the order of `subjects`; signed subjects need `dsp_certs`."""
    subjects = list(subjects)
    files, certs = tuple(case_files), tuple(dsp_certs)
    if workers <= 1:
        return [judge_subject(subject, project, files, duis_xsd, certs) for subject in subjects]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(judge_subject, subject, project, files, duis_xsd, certs) for subject in subjects]
        return [future.result() for future in futures]


@functools.lru_cache(maxsize=2)
def _cases(project: Path, case_files: tuple[Path, ...]) -> tuple[Case, ...]:
    """Scenario case files parsed once per worker process (cases are immutable; the 5,000-hub
    wave is not cheap). Generated-scenario entries are left out: the kill matrix is the
    hand-written cases' proof, repeatable to the byte; tests/test_generated_kills_mutants.py
    holds the generated scenarios' own."""
    spec = load_spec(project / "specs")
    entries = (load_entry(path, spec, project / "schemas") for path in case_files)
    return tuple(entry for entry in entries if isinstance(entry, Case))


def overlap_problems(subjects: Iterable[Subject], spec: Spec) -> list[str]:
    """Mutants declaring several ids that the spec does not say overlap."""
    problems = []
    for subject in subjects:
        ids = sorted(subject.breaks)
        for index, first in enumerate(ids):
            problems += [
                f"{subject.name}: {first} and {second} are not declared to overlap in specs/"
                for second in ids[index + 1 :]
                if not spec.overlap(first, second)
            ]
    return problems


def render(verdicts: Sequence[Verdict], spec: Spec) -> str:
    """The kill matrix as text: one row per subject, one column per requirement id."""
    ids = list(spec.ids())
    width = max(len(verdict.name) for verdict in verdicts)
    lines = ["columns: " + "  ".join(f"{number}={rid}" for number, rid in enumerate(ids, start=1))]
    lines.append(" " * (width + 2) + " ".join(f"{number:>2}" for number in range(1, len(ids) + 1)) + "  verdict")
    for verdict in verdicts:
        cells = " ".join(f"{_cell(verdict, rid):>2}" for rid in ids)
        lines.append(f"{verdict.name:<{width}}  {cells}  {_verdict_word(verdict)}")
    lines.append("cells: X reported and declared; ! reported, not declared (false alarm); o declared, not reported (missed)")
    lines += _totals(verdicts)
    for verdict in verdicts:
        lines += [f"  {verdict.name}: candidate error in {error}" for error in verdict.errors]
    return "\n".join(lines)


def _cell(verdict: Verdict, requirement_id: str) -> str:
    declared, reported = requirement_id in verdict.declared, requirement_id in verdict.reported
    return {(True, True): "X", (False, True): "!", (True, False): "o"}.get((declared, reported), ".")


def _verdict_word(verdict: Verdict) -> str:
    if verdict.kind == "variant":
        return "passes" if verdict.exact else "FALSE POSITIVE"
    return "killed exactly" if verdict.exact else "MISS"


def _totals(verdicts: Sequence[Verdict]) -> list[str]:
    mutants = [v for v in verdicts if v.kind != "variant"]
    variants = [v for v in verdicts if v.kind == "variant"]
    seconds = sum(v.seconds for v in verdicts)
    return [
        f"mutants: {len(mutants)}, killed with exactly the declared ids: {sum(v.exact for v in mutants)}",
        f"known-good variants: {len(variants)}, false positives: {sum(not v.exact for v in variants)}",
        f"case runs: {seconds:.1f}s of work in total",
    ]
