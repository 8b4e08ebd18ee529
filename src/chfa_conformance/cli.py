"""`chfa-conformance`: the suite without pytest, for scripts, auditors and integration tests.

Each subcommand is a thin shell over the same plain functions the pytest plugin uses:
`check` runs case files (a generated-scenarios entry included), `generate` searches with
generated scenarios, `stream` judges a wave case of any size in bounded memory, `emit`
prints the reference emitter's alerts. Exit status: 0 all good, 1 a finding or failed
file, 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from chfa_conformance.cases import Generation, load_case, load_entry, load_wave
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import CaseResult, RunSettings, build_settings, run_case
from chfa_conformance.generated_failures import describe_generated_failure, save_failure
from chfa_conformance.generation import SHRINK_RUNS, Search, explore
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.report import describe_failure, failing, header_lines, replay_command
from chfa_conformance.streaming import CHUNK_HUBS, judge_wave

Command = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    """Run case files against a candidate and print the findings."""
    settings = build_settings(args.project, args.candidate, args.duis_xsd, args.case_timeout)
    for line in header_lines(settings):
        print(line)
    results = []
    for path in args.cases:
        entry = load_entry(path, settings.spec, settings.schemas_dir)
        if isinstance(entry, Generation):
            result = _search(entry, settings, args, Search(entry.examples, secrets.randbelow(2**32), args.fail_on))
        else:
            result = run_case(entry, settings)
            bad = failing(result.findings, settings.spec, args.fail_on)
            verdict = "FAIL" if bad or result.error else "pass"
            print(f"{path}: {verdict} ({result.delivered_count} alert(s), {len(result.findings)} finding(s))")
            if verdict == "FAIL":
                print(describe_failure(result, settings.spec, _replay(path, args)))
        results.append(result)
    if args.matrix:
        for written in write_matrix(build_matrix(results, settings), args.matrix):
            print(f"compliance matrix: {written}")
    failed = [r for r in results if r.error or failing(r.findings, settings.spec, args.fail_on)]
    return 1 if failed else 0


def _generate(args: argparse.Namespace) -> int:
    """Search with generated scenarios; save the shrunk failure when asked."""
    settings = build_settings(args.project, args.candidate, args.duis_xsd, args.case_timeout)
    entry = load_entry(args.file, settings.spec, settings.schemas_dir)
    if not isinstance(entry, Generation):
        raise SourceError(args.file, 1, "is not a generated-scenarios entry (no generate: block)")
    chosen = args.seed if args.seed is not None else secrets.randbelow(2**32)
    search = Search(entry.thorough_examples if args.thorough else entry.examples, chosen, args.fail_on, args.shrink_runs)
    for line in header_lines(settings):
        print(line)
    result = _search(entry, settings, args, search)
    return 1 if result.error or failing(result.findings, settings.spec, args.fail_on) else 0


def _search(entry: Generation, settings: RunSettings, args: argparse.Namespace, search: Search) -> CaseResult:
    exploration = explore(entry, settings, search)
    outcome = "no failure" if exploration.falsified is None else "FAIL"
    print(
        f"{entry.path}: {outcome} ({exploration.examples} example(s) in {exploration.seconds:.1f}s, "
        f"{exploration.examples_per_second:.0f}/s, {exploration.alerts} alert(s), seed {search.seed})"
    )
    if exploration.falsified is not None:
        seed_option = f"--seed={search.seed}" + (" --thorough" if args.thorough else "")
        search_again = f"chfa-conformance generate {entry.path} {seed_option} --candidate {args.candidate}"
        folder = args.save_failures
        saved = save_failure(exploration, folder, lambda path: _replay(path, args), search_again) if folder else None
        replay = _replay(saved, args) if saved is not None else search_again
        print(describe_generated_failure(exploration, settings.spec, replay, search_again, str(saved) if saved else None))
    return exploration.as_case_result()


def _replay(path: Path, args: argparse.Namespace) -> str:
    return replay_command(str(path), args.candidate, str(args.duis_xsd) if args.duis_xsd else None)


def _stream(args: argparse.Namespace) -> int:
    """Judge a wave case file chunk by chunk with the reference emitter, in bounded memory."""
    settings = build_settings(args.project, "reference", args.duis_xsd)
    wave_id, wave, profile = load_wave(args.case, settings.spec, settings.schemas_dir)
    block = {**wave, "hubs": args.hubs} if args.hubs else wave
    report = judge_wave(block, profile, settings.schemas, wave_id=wave_id, chunk_hubs=args.chunk_hubs)
    print(
        f"{args.case}: {report.hubs} hub(s) in {report.chunks} chunk(s), {report.alerts} alert(s) of {report.expected} expected, "
        f"{report.seconds:.1f}s ({report.alerts_per_second:.0f} alerts/s)"
    )
    for requirement_id, count in sorted(report.failed.items()):
        print(f"  {requirement_id}: {count} finding(s)")
    for finding in report.first_findings:
        print(f"  {finding.requirement}: {finding.message}; {finding.evidence()}")
    if report.error is not None:
        print(f"EMITTER FAILED: {report.error}")
    return 1 if report.failed or report.error else 0


def _emit(args: argparse.Namespace) -> int:
    """Print, as protocol lines, what the reference emitter delivers for a case file."""
    settings = build_settings(args.project, "reference")
    case = load_case(args.case, settings.spec, settings.schemas_dir)
    output = settings.candidate.run(case.scenario.as_protocol(), settings.limits)
    for delivery in output.deliveries:
        print(json.dumps({"recipient": delivery.recipient, "xml": delivery.xml.decode("utf-8")}))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chfa-conformance", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="folder holding specs/ and schemas/ (default: here)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run case files against a candidate")
    check.add_argument("cases", nargs="+", type=Path, metavar="CASE")
    check.add_argument("--candidate", default="reference")
    check.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR")
    check.add_argument("--case-timeout", type=float, default=None, metavar="SECONDS")
    check.add_argument("--fail-on", choices=("must", "should", "may"), default="should")
    check.add_argument("--matrix", type=Path, default=None, metavar="DIR")
    check.set_defaults(run=_check, thorough=False, save_failures=None)
    generate = commands.add_parser("generate", help="search with generated scenarios (a generate: entry)")
    generate.add_argument("file", type=Path, nargs="?", default=Path("cases/generated.yaml"), metavar="FILE")
    generate.add_argument("--candidate", default="reference")
    generate.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR")
    generate.add_argument("--case-timeout", type=float, default=None, metavar="SECONDS")
    generate.add_argument("--fail-on", choices=("must", "should", "may"), default="should")
    generate.add_argument("--seed", type=int, default=None, help="repeat a search (default: a fresh seed, printed)")
    generate.add_argument("--thorough", action="store_true", help="draw thorough_examples instead of examples")
    generate.add_argument("--shrink-runs", type=int, default=SHRINK_RUNS, metavar="N")
    generate.add_argument("--save-failures", type=Path, default=None, metavar="DIR")
    generate.set_defaults(run=_generate)
    stream = commands.add_parser("stream", help="judge a wave case of any size chunk by chunk (reference emitter)")
    stream.add_argument("case", type=Path, metavar="CASE")
    stream.add_argument("--hubs", type=int, default=None, help="override the wave's number of hubs")
    stream.add_argument("--chunk-hubs", type=int, default=CHUNK_HUBS, metavar="N")
    stream.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR")
    stream.set_defaults(run=_stream)
    emit = commands.add_parser("emit", help="print the reference emitter's alerts for a case file")
    emit.add_argument("case", type=Path, metavar="CASE")
    emit.set_defaults(run=_emit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Command = args.run
    try:
        return command(args)
    except (SourceError, SchemaLoadError, ValueError) as exc:
        print(f"chfa-conformance: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
