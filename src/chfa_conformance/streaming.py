"""Judge a rollout wave of any size in bounded memory.

The wave is expanded lazily (waves.iter_wave_hubs), cut into chunks of hubs in time order,
and each chunk runs through the emitter and the ordinary judging (observation.observe_one,
checks.judge_observed: pairing, content, recipients, schema, inventory, notices) before the
next chunk is drawn; only counts, the first few findings and the ResponseID counter ledger
outlive a chunk. Judging a wave chunk by chunk equals judging it whole, because every hub of
a wave has its one event and its alerts in its own chunk; the two things that reach across
chunks are carried explicitly:

- whether the wave is a rollout (ROLLOUT-SCALE) is decided for the whole wave, and each
  chunk's profile says so;
- ResponseID counters: the emitter continues them across chunks, and a CounterLedger (a few
  ranges per recipient) catches a counter reused from an earlier chunk.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from chfa_conformance.candidates import CandidateOutput, collect_lines
from chfa_conformance.checks import judge_observed
from chfa_conformance.checks.records import CounterLedger, check_counters_against
from chfa_conformance.duis_schema import SchemaSet
from chfa_conformance.expectations import expected_alerts
from chfa_conformance.findings import Finding
from chfa_conformance.observation import observe_one
from chfa_conformance.scenario import Scenario, build_scenario, no_line
from chfa_conformance.specs import Profile
from chfa_conformance.waves import iter_wave_hubs, wave_activations, wave_notices, wave_users
from reference_impl import emit as reference_emit

# An emitter that can be fed one rollout in chunks: the scenario of a chunk, and the
# per-recipient counters it continues from (updated in place). reference_impl.emit is one.
ChunkEmitter = Callable[[Mapping[str, Any], MutableMapping[str, int]], Iterable[Mapping[str, Any]]]
CHUNK_HUBS = 500
KEPT_FINDINGS = 20


@dataclass(frozen=True)
class StreamReport:
    """What a streamed run judged: counts, findings per requirement id, the first findings."""

    wave_id: str
    hubs: int
    chunks: int
    activations: int
    expected: int
    alerts: int
    failed: Mapping[str, int]
    first_findings: tuple[Finding, ...]
    error: str | None
    seconds: float

    @property
    def alerts_per_second(self) -> float:
        return self.alerts / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class _Chunk:
    """One chunk's verdict, folded into the running totals and then dropped."""

    hubs: int
    activations: int
    expected: int
    alerts: int
    findings: tuple[Finding, ...]
    error: str | None


def judge_wave(
    wave: Mapping[str, Any],
    profile: Profile,
    schemas: SchemaSet,
    emitter: ChunkEmitter = reference_emit,
    wave_id: str = "wave",
    chunk_hubs: int = CHUNK_HUBS,
    kept_findings: int = KEPT_FINDINGS,
) -> StreamReport:
    """Run the wave through `emitter` chunk by chunk and judge every alert, in bounded memory."""
    started = time.perf_counter()
    users = wave_users(wave, profile.duis_versions_with_alert)
    rollout = wave_activations(wave) >= profile.rollout_min_activations
    chunk_profile = replace(profile, rollout_min_activations=0 if rollout else int(wave["hubs"]) + 1)
    totals: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    kept: list[Finding] = []
    counters: dict[str, int] = {}
    ledger = CounterLedger()
    error = None
    for number, scenario in enumerate(_chunk_scenarios(wave, users, chunk_profile, wave_id, chunk_hubs)):
        chunk = _judge_chunk(scenario, emitter, counters, ledger, schemas, offset=totals["alerts"])
        totals.update(chunks=1, hubs=chunk.hubs, activations=chunk.activations, expected=chunk.expected, alerts=chunk.alerts)
        failed.update(finding.requirement for finding in chunk.findings)
        kept += chunk.findings[: max(0, kept_findings - len(kept))]
        if chunk.error is not None:
            error = f"chunk {number + 1}: {chunk.error}"
            break
    return StreamReport(
        wave_id,
        totals["hubs"],
        totals["chunks"],
        totals["activations"],
        totals["expected"],
        totals["alerts"],
        dict(failed),
        tuple(kept),
        error,
        time.perf_counter() - started,
    )


def _chunk_scenarios(
    wave: Mapping[str, Any], users: list[dict[str, Any]], profile: Profile, wave_id: str, chunk_hubs: int
) -> Iterator[Scenario]:
    """The wave as consecutive scenarios of at most `chunk_hubs` hubs, drawn only when asked for."""
    notices = wave_notices(wave)
    hubs = iter_wave_hubs(wave, users)
    for number in itertools.count(1):
        batch = list(itertools.islice(hubs, chunk_hubs))
        if not batch:
            return
        data: dict[str, Any] = {"users": users, "hubs": [hub for hub, _ in batch], "events": [event for _, event in batch]}
        if notices is not None:
            data["notices"] = notices
        yield build_scenario(f"{wave_id}-chunk-{number}", data, profile, wave_id, no_line)


def _judge_chunk(
    scenario: Scenario,
    emitter: ChunkEmitter,
    counters: MutableMapping[str, int],
    ledger: CounterLedger,
    schemas: SchemaSet,
    offset: int,
) -> _Chunk:
    """Emit one chunk, judge it with the ordinary checks plus counters from earlier chunks."""
    activations = sum(1 for _ in scenario.activations())
    try:
        lines = list(emitter(scenario.as_protocol(), counters))
    except Exception as exc:  # noqa: BLE001 - the emitter's failure is the run's finding, not a crash
        return _Chunk(len(scenario.hubs), activations, 0, 0, (), f"the emitter raised {type(exc).__name__}: {exc}")
    output = collect_lines(lines, "emitter")
    if output.error is not None:
        return _Chunk(len(scenario.hubs), activations, 0, 0, (), output.error)
    deliveries = tuple(replace(delivery, number=offset + delivery.number) for delivery in output.deliveries)
    output = CandidateOutput(deliveries, output.inventory)
    observed = [observe_one(delivery, schemas) for delivery in deliveries]
    expected = expected_alerts(scenario)
    findings = [*judge_observed(scenario, expected, observed, output).findings, *check_counters_against(observed, ledger)]
    ledger.record(observed)
    return _Chunk(len(scenario.hubs), activations, len(expected), len(observed), tuple(findings), None)
