"""`chfa-conformance`: the suite without pytest, for scripts, auditors and integration tests.

Each subcommand is a thin shell over the same plain functions the pytest plugin uses;
`validate` and `verify-signature` print one line per file: file, verdict, reason.
Exit status: 0 all good, 1 a finding or failed file, 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from chfa_conformance.captured import FileVerdict, validate_file, verify_file
from chfa_conformance.cases import load_case
from chfa_conformance.duis_schema import SchemaSet, compact_schemas, official_schemas
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import build_settings, run_case
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.report import describe_failure, failing, header_lines, positive_seconds, replay_command
from chfa_conformance.selftest import overlap_problems, render, run_selftest
from chfa_conformance.signatures import load_certificates, shared_key_notes
from chfa_conformance.specs import load_spec
from reference_impl.signing import CERT_VARIABLE, KEY_VARIABLE

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
            replay = replay_command(str(path), args.candidate, duis, [str(cert) for cert in args.dsp_cert], args.project)
            print(describe_failure(result, settings.spec, replay))
    if args.matrix:
        for written in write_matrix(build_matrix(results, settings, args.fail_on), args.matrix):
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
    for entry in output.inventory or ():
        print(json.dumps({"inventory": {"device": entry.device, "firmware_version": entry.firmware_version}}))
    return 0


def _selftest(args: argparse.Namespace) -> int:
    """Print the kill matrix of the project's mutant catalogue; non-zero on any miss."""
    project = args.project.resolve()
    if str(project) not in sys.path:
        sys.path.insert(0, str(project))  # the catalogue lives in the project's tests/
    try:
        catalogue = importlib.import_module(args.catalogue)
    except ImportError as exc:
        raise ValueError(
            f"cannot import the catalogue {args.catalogue} from {project} ({exc}); run from the project or pass --project"
        ) from exc
    subjects = [*catalogue.MUTANTS, *catalogue.VARIANTS]
    unknown = sorted(set(args.only) - {subject.name for subject in subjects})
    if unknown:
        raise ValueError(f"--only {', '.join(unknown)}: no such mutant or variant; known: {', '.join(s.name for s in subjects)}")
    if args.only:
        subjects = [subject for subject in subjects if subject.name in args.only]
    spec = load_spec(project / "specs")
    problems = overlap_problems(subjects, spec)
    case_files = sorted((project / "cases").glob("*.yaml"))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chfa-selftest-") as folder:
        certs = _signing_material(catalogue, Path(folder)) if any(getattr(s, "signed", False) for s in subjects) else []
        verdicts = run_selftest(subjects, project, case_files, args.duis_xsd, args.workers, certs)
    print(render(verdicts, spec))
    print(f"{len(case_files)} case files; wall time {time.perf_counter() - started:.1f}s with {args.workers} worker(s)")
    for problem in problems:
        print(f"overlap not declared: {problem}")
    return 0 if all(verdict.exact for verdict in verdicts) and not problems else 1


def _validate(args: argparse.Namespace) -> int:
    """Check each file against the DUIS schema of its own schemaVersion."""
    schemas: SchemaSet
    if args.duis_xsd is not None:
        schemas = official_schemas(args.duis_xsd)
    else:
        schemas = compact_schemas(args.project / "schemas", load_spec(args.project / "specs").profile)
    schemas.compile_all()  # a broken schema folder stops here, before any file is judged
    return _report([validate_file(path, schemas) for path in args.files])


def _verify_signature(args: argparse.Namespace) -> int:
    """Check each file's signature against the DSP certificates given."""
    certificates = load_certificates(args.dsp_cert)
    for note in shared_key_notes(certificates):
        print(f"chfa-conformance: note: {note}", file=sys.stderr)
    return _report([verify_file(path, certificates) for path in args.files])


def _report(verdicts: Sequence[FileVerdict]) -> int:
    for verdict in verdicts:
        print(verdict.line())
    return 0 if all(verdict.passed for verdict in verdicts) else 1


def _signing_material(catalogue: Any, folder: Path) -> list[Path]:
    """Have the catalogue make a DSP key and certificate; signing candidates find them through
    the environment (inherited by the worker processes)."""
    key_path, cert_path = catalogue.make_signing_material(folder)
    os.environ[KEY_VARIABLE], os.environ[CERT_VARIABLE] = str(key_path), str(cert_path)
    return [cert_path]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chfa-conformance", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="folder holding specs/ and schemas/ (default: here)")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run case files against a candidate")
    check.add_argument("cases", nargs="+", type=Path, metavar="CASE")
    check.add_argument("--candidate", default="reference")
    check.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR")
    check.add_argument("--case-timeout", type=positive_seconds, default=None, metavar="SECONDS")
    check.add_argument("--fail-on", choices=("must", "should", "may"), default="should")
    check.add_argument("--matrix", type=Path, default=None, metavar="DIR")
    check.add_argument("--dsp-cert", type=Path, action="append", default=[], metavar="PEM", help="verify signatures (repeatable)")
    check.set_defaults(run=_check)
    emit = commands.add_parser("emit", help="print the reference emitter's alerts for a case file")
    emit.add_argument("case", type=Path, metavar="CASE")
    emit.set_defaults(run=_emit)
    selftest = commands.add_parser("selftest", help="kill matrix: every mutant caught exactly, every variant passing")
    selftest.add_argument("--catalogue", default="tests.mutants.catalogue", help="module with MUTANTS and VARIANTS")
    selftest.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this mutant or variant")
    selftest.add_argument("--workers", type=int, default=2)
    selftest.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR")
    selftest.set_defaults(run=_selftest)
    validate = commands.add_parser("validate", help="check files against the DUIS schema of their schemaVersion")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR", help="official DUIS schemas (default: the compact ones)")
    validate.set_defaults(run=_validate)
    verify = commands.add_parser("verify-signature", help="check the DSP signature of files")
    verify.add_argument("files", nargs="+", type=Path, metavar="FILE")
    verify.add_argument("--dsp-cert", type=Path, action="extend", nargs="+", required=True, metavar="PEM")
    verify.set_defaults(run=_verify_signature)
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
