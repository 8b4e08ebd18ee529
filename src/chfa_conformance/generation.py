"""Generated scenarios: draw scenarios, judge the candidate on each, shrink the first failure.

The property checked on every drawn scenario is the conformance run's own: the candidate's
output draws no finding at the failing level, and the candidate itself does not fail. Each
example goes through `evaluation.run_case`, so the oracle (`expectations.expected_alerts`)
and every requirement check (`checks.judge`) apply exactly as for a hand-written case.

Hypothesis does the drawing and the shrinking, configured so that a run depends on its seed
alone: no example database (examples saved by an earlier run would be replayed first), no
deadline (a slow `cmd:` candidate must not change the search), one bug reported, and none of
the literals hypothesis otherwise collects from the local modules loaded (pytest loads other
modules than the CLI, and any edit changes them: one seed drew other scenarios in each, and a
test passed alone but failed in the full run).

Shrinking re-runs the candidate on hundreds of variants; a `cmd:` candidate costs a process
each. So while shrinking, a scenario already judged is not run again (a third of the
attempts repeat one), and the first new scenario after `Search.shrink_runs` candidate runs
ends the shrinking with the best failure so far. Answering such scenarios "passes" instead
does not end it: hypothesis goes on through every shrink pass, and on a wave its passes over
thousands of hubs ran for over ten minutes. Both are counted in runs, not seconds, so a
seed still repeats a run exactly. Because of that memory, hypothesis never sees a candidate
change its answer; so the shrunk scenario is run once more, and a candidate that does not
fail the same way again is named nondeterministic in the failure's note.

A candidate that fails itself (crash, hang, garbage) is a candidate error, not a finding: its
failure is named so, keeps to errors while shrinking, and is saved under that name. Its
requirement ids are those the scenario exercises, so the saved file is still a valid case.

The pytest item, the CLI and the self-tests all call `explore`; writing the shrunk scenario
as a case file is `generated_failures.py`'s job.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import providers as hypothesis_providers
from hypothesis.internal.constants_ast import Constants

from chfa_conformance.candidates import CandidateOutput
from chfa_conformance.cases import Case, Generation
from chfa_conformance.checks.applicability import applicable_requirements
from chfa_conformance.evaluation import CaseResult, RunSettings, run_case
from chfa_conformance.expectations import expected_alerts
from chfa_conformance.report import failing
from chfa_conformance.scenario import build_scenario, no_line
from chfa_conformance.strategies import scenarios

Seed = int | str


def parse_seed(text: str) -> Seed:
    """A seed as hypothesis' --hypothesis-seed takes it: a number, else the text itself."""
    try:
        return int(text)
    except ValueError:
        return text


SHRINK_RUNS = 200
BATCH_EXAMPLES = 1000


@dataclass(frozen=True)
class Search:
    """How one exploration runs: how many examples, from which seed, what counts as failing."""

    examples: int
    seed: Seed
    fail_on: str = "should"
    shrink_runs: int = SHRINK_RUNS


@dataclass(frozen=True)
class Falsified:
    """The minimal failing scenario hypothesis shrank to, and what the candidate did on it.

    `requirements` are the ids failing at the search's level, in spec order; when the
    candidate itself failed (crash, hang, garbage: a candidate error), the ids the scenario
    exercises.
    """

    case: Case
    data: Mapping[str, Any]
    result: CaseResult
    requirements: tuple[str, ...]
    examples_before: int
    shrink_runs: int
    note: str | None = None
    shrink_limit_reached: bool = False  # stopped by Search.shrink_runs: smaller failing scenarios may exist

    @property
    def candidate_error(self) -> bool:
        return self.result.error is not None

    @property
    def fault(self) -> tuple[bool, frozenset[str]]:
        """What identifies the fault: a candidate error or not, and the ids."""
        return self.candidate_error, frozenset(self.requirements)

    @property
    def failed(self) -> str:
        """What failed, in a few words: the ids, or that the candidate itself failed."""
        return "a candidate error" if self.candidate_error else ", ".join(self.requirements)

    @property
    def shrunk(self) -> str:
        """How the shrinking went, for the report and the saved file."""
        if self.shrink_limit_reached:
            return f"shrunk in {self.shrink_runs} run(s), where shrinking stopped at its limit (--shrink-runs; it may not be minimal)"
        return f"shrunk in {self.shrink_runs} run(s) to a minimal one"


@dataclass(frozen=True)
class Exploration:
    """The outcome of one search: how much was judged, and the failure found, if any."""

    generation: Generation
    candidate: str
    seed: Seed
    examples: int
    seconds: float
    alerts: int
    expected: int
    applicable: frozenset[str]
    falsified: Falsified | None

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else 0.0

    def as_case_result(self) -> CaseResult:
        """One row for the compliance matrix and the run summary: the failure, or the whole search."""
        if self.falsified is not None:
            shrunk = self.falsified.result
            return replace(shrunk, case=replace(shrunk.case, id=self.generation.id), seconds=self.seconds)
        empty = build_scenario(self.generation.id, {"users": [], "hubs": [], "events": []}, self.generation.profile, "", no_line)
        case = Case(
            self.generation.id,
            self.generation.description,
            self.generation.requirements,
            empty,
            self.generation.path,
            self.generation.line,
        )
        return CaseResult(case, self.candidate, (), self.applicable, None, "", self.expected, self.alerts, self.seconds)


class _ShrinkBudgetSpent(BaseException):
    """Raised inside the property to end shrinking: a BaseException, which hypothesis lets out
    at once instead of taking it for a failure to shrink."""


class _CandidateFailed(Exception):
    """Raised inside the property when an example fails; carries the example out of hypothesis."""

    def __init__(
        self, case: Case, data: Mapping[str, Any], result: CaseResult, requirements: tuple[str, ...], candidate_error: bool = False
    ) -> None:
        super().__init__(f"candidate failed: {'a candidate error' if candidate_error else ', '.join(requirements)}")
        self.case = case
        self.data = data
        self.result = result
        self.requirements = requirements
        self.candidate_error = candidate_error
        self.key = scenario_key(data)

    @property
    def fault(self) -> tuple[bool, frozenset[str]]:
        """As Falsified.fault: a candidate error or not, and the ids."""
        return self.candidate_error, frozenset(self.requirements)


@dataclass
class _Tally:
    """What the property saw, counted while hypothesis calls it (local to one exploration)."""

    examples: int = 0
    shrink_runs: int = 0
    alerts: int = 0
    expected: int = 0
    applicable: set[str] = field(default_factory=set)
    last_failure: _CandidateFailed | None = None
    judged_while_shrinking: dict[str, _CandidateFailed | None] = field(default_factory=dict)

    @property
    def shrinking(self) -> bool:
        return self.last_failure is not None

    def same_fault(self, failure: _CandidateFailed) -> bool:
        """Whether a failure seen while shrinking is the one being shrunk: its ids are some of
        those first seen (a smaller scenario may lose an overlapping id such as ROLLOUT-SCALE,
        but one that gains an id shows another fault). Hypothesis cannot tell them apart: every
        failure is raised from the same place."""
        first = self.last_failure
        if first is None:
            return True
        if first.candidate_error or failure.candidate_error:
            return first.candidate_error and failure.candidate_error
        return set(failure.requirements) <= set(first.requirements)

    def record(self, result: CaseResult, failure: _CandidateFailed | None) -> None:
        if not self.shrinking:
            self.examples += 1
            self.alerts += result.delivered_count
            self.expected += result.expected_count
            self.applicable |= result.applicable
        else:
            self.shrink_runs += 1
        if failure is not None:
            self.last_failure = failure
            self.judged_while_shrinking[failure.key] = failure


def scenario_key(data: Mapping[str, Any]) -> str:
    """Equal scenarios, equal keys: what 'already judged' means while shrinking."""
    return json.dumps(data, sort_keys=True)


def hypothesis_settings(examples: int) -> settings:
    """Settings under which a run depends on its seed and the code loaded alone (see the module docstring)."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )


def scenario_id(generation: Generation, chosen_seed: Seed) -> str:
    """The id every example of a search carries, and its saved case file keeps, so that a
    replay hands the candidate exactly the scenario the search did."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(chosen_seed).lower()).strip("-") or "0"
    return f"{generation.id}-seed-{slug}"


def generated_case(generation: Generation, data: Mapping[str, Any], case_id: str) -> Case:
    """A drawn scenario as a case; the data is copied so a candidate that alters its input
    cannot alter what is later saved."""
    written = copy.deepcopy(dict(data))
    scenario = build_scenario(case_id, written, generation.profile, str(generation.path), no_line)
    return Case(case_id, generation.description, generation.requirements, scenario, generation.path, generation.line)


def batches(run_seed: Seed, examples: int) -> list[tuple[Seed, int]]:
    """The hypothesis runs a search is made of: (seed, examples) each, at most BATCH_EXAMPLES.

    One hypothesis run keeps a record of every example it drew (a quarter of a megabyte
    each here), so a nightly search of 20,000 would need gigabytes; in batches, memory stays
    that of one batch. The first batch runs on the search's own seed (a CI-sized search is
    one batch), the others on seeds derived from it, so a seed still repeats a whole search.
    """
    sizes = [BATCH_EXAMPLES] * (examples // BATCH_EXAMPLES) + ([examples % BATCH_EXAMPLES] if examples % BATCH_EXAMPLES else [])
    return [(run_seed if number == 0 else f"{run_seed}/{number}", size) for number, size in enumerate(sizes)]


@contextlib.contextmanager
def _no_literals_of_loaded_code() -> Iterator[None]:
    """While drawing, hypothesis sees no literals of the local modules loaded, so a seed draws
    the same scenarios in pytest and the CLI. Hypothesis offers no setting for it; its private
    hook is replaced for the search and put back (pinned in constraints.txt; if a release
    renames it, nothing is replaced and a seed depends on the modules loaded again)."""
    collect = getattr(hypothesis_providers, "_get_local_constants", None)
    cache = getattr(hypothesis_providers, "CONSTANTS_CACHE", None)
    if collect is None or cache is None:
        yield
        return
    nothing = Constants()
    hypothesis_providers._get_local_constants = lambda: nothing
    cache.cache.clear()  # it holds the pools drawn from, local literals included
    try:
        yield
    finally:
        hypothesis_providers._get_local_constants = collect
        cache.cache.clear()


def explore(generation: Generation, run: RunSettings, search: Search) -> Exploration:
    """Judge the candidate on up to `search.examples` drawn scenarios; shrink the first failure."""
    tally = _Tally()
    case_id = scenario_id(generation, search.seed)

    def judge_one(data: dict[str, Any]) -> None:
        failure = _judged_while_shrinking(data, tally, search.shrink_runs, judge) if tally.shrinking else judge(data)
        if failure is not None:
            raise failure

    def judge(data: dict[str, Any]) -> _CandidateFailed | None:
        case = generated_case(generation, data, case_id)
        result = run_case(case, run)
        failure = _failure_of(case, data, result, run, search.fail_on)
        if failure is not None and not tally.same_fault(failure):
            failure = None  # another fault of the candidate: shrinking keeps to the one it found
        tally.record(result, failure)
        return failure

    started = time.perf_counter()
    falsified: Falsified | None = None
    for batch_seed, size in batches(search.seed, search.examples):
        prop = seed(batch_seed)(hypothesis_settings(size)(given(scenarios(generation.profile))(judge_one)))
        try:
            with _no_literals_of_loaded_code():
                prop()
        except _CandidateFailed as failure:
            falsified = _falsified(failure, tally, None)
        except _ShrinkBudgetSpent:
            assert tally.last_failure is not None  # only raised while shrinking
            falsified = replace(_falsified(tally.last_failure, tally, None), shrink_limit_reached=True)
        except Flaky:
            if tally.last_failure is None:
                raise
            note = "the candidate did not fail the same way when the scenario was run again (nondeterministic?)"
            falsified = _falsified(tally.last_failure, tally, note)
        if falsified is not None:
            falsified = _confirmed(falsified, run, search.fail_on)
            break
    seconds = time.perf_counter() - started
    return Exploration(
        generation,
        run.candidate.name,
        search.seed,
        tally.examples,
        seconds,
        tally.alerts,
        tally.expected,
        frozenset(tally.applicable),
        falsified,
    )


def _judged_while_shrinking(
    data: dict[str, Any], tally: _Tally, budget: int, judge: Callable[[dict[str, Any]], _CandidateFailed | None]
) -> _CandidateFailed | None:
    """The failure a scenario shows while shrinking: from memory if it was judged before; a new
    one once the budget is spent ends the shrinking (with the last failure found as the best)."""
    key = scenario_key(data)
    if key in tally.judged_while_shrinking:
        return tally.judged_while_shrinking[key]
    if tally.shrink_runs >= budget:
        raise _ShrinkBudgetSpent
    failure = judge(data)
    tally.judged_while_shrinking[key] = failure
    return failure


def _failure_of(case: Case, data: Mapping[str, Any], result: CaseResult, run: RunSettings, fail_on: str) -> _CandidateFailed | None:
    """The failure this example shows, if any, with the requirement ids it is filed under."""
    if result.error is not None:
        exercised = applicable_requirements(case.scenario, CandidateOutput(), expected_alerts(case.scenario))
        ids = tuple(rid for rid in run.spec.ids() if rid in exercised) or case.requirements
        return _CandidateFailed(case, data, result, ids, candidate_error=True)
    failed = {finding.requirement for finding in failing(result.findings, run.spec, fail_on)}
    if not failed:
        return None
    return _CandidateFailed(case, data, result, tuple(rid for rid in run.spec.ids() if rid in failed))


def _confirmed(falsified: Falsified, run: RunSettings, fail_on: str) -> Falsified:
    """The shrunk failure, run once more: a candidate that does not fail the same way again gets
    a note, since its saved file may replay passing (not counted as a shrink run)."""
    again = _failure_of(falsified.case, falsified.data, run_case(falsified.case, run), run, fail_on)
    if again is not None and again.fault == falsified.fault:
        return falsified
    if again is None:
        seen = "passed"
    else:
        seen = "failed with a candidate error" if again.candidate_error else f"failed {', '.join(again.requirements)} instead"
    note = f"run once more on this scenario, the candidate {seen}: it does not fail the same way each time (nondeterministic?)"
    return replace(falsified, note=note if falsified.note is None else f"{falsified.note}; {note}")


def _falsified(failure: _CandidateFailed, tally: _Tally, note: str | None) -> Falsified:
    return Falsified(failure.case, failure.data, failure.result, failure.requirements, tally.examples, tally.shrink_runs, note)
