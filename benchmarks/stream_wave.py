"""Throughput and memory of a streamed rollout wave through the reference emitter and every check.

    python benchmarks/stream_wave.py                      # 10,000 and 100,000 hubs
    python benchmarks/stream_wave.py --hubs 1000 5000     # other sizes
    python benchmarks/stream_wave.py --in-memory          # also judge each wave whole, for contrast

Each size runs in a fresh process, so the peak resident memory printed is that run's own.
In the same process, after the streamed run, a baseline is measured: parsing and validating
the same kind of alert documents and nothing else, which judging can never beat; the ratio
says what the rest (emitting, reading, pairing, every check) costs on top. Flat memory means
the peak at 100,000 hubs is barely above the peak at 10,000. Numbers, never assertions: the
machine's speed drifts (see ../shared/README.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chfa_conformance.cases import Case
from chfa_conformance.evaluation import RunSettings, build_settings, run_case
from chfa_conformance.scenario import build_scenario, no_line
from chfa_conformance.streaming import judge_wave
from chfa_conformance.waves import expand_wave
from chfa_conformance.xml_safety import parse_untrusted
from reference_impl import emit

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_HUBS = (10_000, 100_000)
BASELINE_ALERTS = 30_000


def wave(hubs: int) -> dict[str, Any]:
    """A mass wave like cases/pilot-wave-5000.yaml: four suppliers, one on DUIS 5.0, a failure every 250."""
    return {
        "hubs": hubs,
        "start": "2025-06-01T00:00:00Z",
        "spacing_seconds": 1,
        "firmware_from": "9001",
        "firmware_to": "9002",
        "supplier_parties": 4,
        "duis_versions": ["5.1", "5.3", "5.4", "5.0"],
        "failed_every": 250,
        "notice_days_before": 10,
    }


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(hubs: int, chunk_hubs: int, in_memory: bool) -> dict[str, Any]:
    """One size, in this process: the streamed run, then the parse+validate baseline."""
    settings = build_settings(PROJECT, "reference")
    before = peak_mib()
    report = judge_wave(wave(hubs), settings.spec.profile, settings.schemas, chunk_hubs=chunk_hubs)
    result = {
        "hubs": hubs,
        "alerts": report.alerts,
        "expected": report.expected,
        "findings": sum(report.failed.values()),
        "error": report.error,
        "seconds": report.seconds,
        "alerts_per_second": report.alerts_per_second,
        "rss_before_mib": before,
        "peak_rss_mib": peak_mib(),
        "baseline_alerts_per_second": baseline(settings),
    }
    if in_memory:
        result |= whole(hubs, settings)
    return result


def baseline(settings: RunSettings) -> float:
    """Alerts per second for parse + schema validation alone, over the reference's own documents."""
    data = expand_wave(wave(200), settings.spec.profile.duis_versions_with_alert)
    scenario = {"protocol": 1, "id": "baseline", "profile": settings.spec.profile.as_protocol(), **data}
    documents = [line["xml"].encode("utf-8") for line in emit(scenario) if "xml" in line]
    started = time.perf_counter()
    for number in range(BASELINE_ALERTS):
        root = parse_untrusted(documents[number % len(documents)])
        assert not isinstance(root, Exception)
        settings.schemas.validate(root, root.get("schemaVersion"))
    return BASELINE_ALERTS / (time.perf_counter() - started)


def whole(hubs: int, settings: RunSettings) -> dict[str, Any]:
    """The same wave judged as one scenario (every alert held at once), for contrast."""

    started = time.perf_counter()
    data = expand_wave(wave(hubs), settings.spec.profile.duis_versions_with_alert)
    scenario = build_scenario("wave", data, settings.spec.profile, "wave", no_line)
    result = run_case(Case("wave", "whole wave", ("ROLLOUT-SCALE",), scenario, PROJECT, 1), settings)
    return {
        "in_memory_seconds": time.perf_counter() - started,
        "in_memory_findings": len(result.findings),
        "in_memory_peak_rss_mib": peak_mib(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hubs", type=int, nargs="+", default=list(DEFAULT_HUBS))
    parser.add_argument("--chunk-hubs", type=int, default=500)
    parser.add_argument("--in-memory", action="store_true", help="also judge each wave whole (memory grows with the wave)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.chunk_hubs, args.in_memory)))
        return 0
    rows = []
    for hubs in args.hubs:
        command = [sys.executable, __file__, "--child", str(hubs), "--chunk-hubs", str(args.chunk_hubs)]
        command += ["--in-memory"] if args.in_memory else []
        rows.append(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    print_table(rows, args.chunk_hubs)
    return 0


def print_table(rows: list[dict[str, Any]], chunk_hubs: int) -> None:
    print(f"streamed rollout wave, reference emitter, every check; chunks of {chunk_hubs} hubs; each size in its own process")
    columns = (("hubs", 8), ("alerts", 8), ("findings", 8), ("seconds", 8), ("alerts/s", 9), ("parse+validate/s", 17))
    columns += (("ratio", 6), ("RSS before", 11), ("peak RSS", 9))
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for row in rows:
        ratio = row["alerts_per_second"] / row["baseline_alerts_per_second"]
        print(
            f"{row['hubs']:>8} {row['alerts']:>8} {row['findings']:>8} {row['seconds']:>8.1f} {row['alerts_per_second']:>9.0f} "
            f"{row['baseline_alerts_per_second']:>17.0f} {ratio:>6.2f} {row['rss_before_mib']:>8.0f} MiB {row['peak_rss_mib']:>5.0f} MiB"
        )
        if "in_memory_seconds" in row:
            print(f"{'':>8} judged whole instead: {row['in_memory_seconds']:.1f} s, peak RSS {row['in_memory_peak_rss_mib']:.0f} MiB")
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        growth = large["peak_rss_mib"] - small["peak_rss_mib"]
        print(
            f"peak RSS {large['hubs']:,} vs {small['hubs']:,} hubs: {large['peak_rss_mib']:.0f} vs {small['peak_rss_mib']:.0f} MiB "
            f"({growth:+.0f} MiB for {large['hubs'] / small['hubs']:.0f}x the hubs)"
        )


if __name__ == "__main__":
    raise SystemExit(main())
