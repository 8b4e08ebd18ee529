"""`chfa-conformance`: the suite without pytest, for scripts, auditors and integration tests.

Each subcommand is a thin shell over the same plain functions the pytest plugin uses.
Exit status: 0 all good, 1 a finding or failed file, 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from chfa_conformance.cases import load_case
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import build_settings, run_case
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.report import describe_failure, failing, header_lines, replay_command

Command = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    """Run case files against a candidate and print the findings."""
    settings = build_settings(args.project, args.candidate, args.duis_xsd, args.case_timeout, dsp_certs=args.dsp_cert)
    for line in header_lines(settings):
        print(line)
    results = []
    for path in args.cases:
        case = load_case(path, settings.spec, settings.schemas_dir)
        result = run_case(case, settings)
        results.append(result)
        bad = failing(result.findings, settings.spec, args.fail_on)
        verdict = "FAIL" if bad or result.error else "pass"
        print(f"{path}: {verdict} ({result.delivered_count} alert(s), {len(result.findings)} finding(s))")
        if verdict == "FAIL":
            duis = str(args.duis_xsd) if args.duis_xsd else None
            replay = replay_command(str(path), args.candidate, duis, [str(cert) for cert in args.dsp_cert])
            print(describe_failure(result, settings.spec, replay))
    if args.matrix:
        for written in write_matrix(build_matrix(results, settings), args.matrix):
            print(f"compliance matrix: {written}")
    failed = [r for r in results if r.error or failing(r.findings, settings.spec, args.fail_on)]
    return 1 if failed else 0


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
    check.add_argument("--dsp-cert", type=Path, action="append", default=[], metavar="PEM", help="verify signatures (repeatable)")
    check.set_defaults(run=_check)
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
