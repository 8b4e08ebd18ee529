"""`chfa-conformance`: the suite without pytest, for scripts, auditors and integration tests.

Each subcommand is a thin shell over the same plain functions the pytest plugin uses:
`check` runs case files (a generated-scenarios entry included), `generate` searches with
generated scenarios, `stream` judges a wave case of any size in bounded memory, `emit`
prints the reference emitter's alerts, `selftest` prints the kill matrix, and `validate` and
`verify-signature` print one line per captured file: file, verdict, reason.
Exit status: 0 all good, 1 a finding or failed file, 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from chfa_conformance.captured import FileVerdict, validate_file, verify_file
from chfa_conformance.cases import CASE_SUFFIXES, Generation, load_case, load_entry, load_wave
from chfa_conformance.duis_schema import SchemaSet, compact_schemas, official_schemas
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import CaseResult, RunSettings, build_settings, project_specs, run_case
from chfa_conformance.generated_failures import describe_generated_failure, save_failure
from chfa_conformance.generation import SHRINK_RUNS, Search, explore, parse_seed
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.options import add_run_options
from chfa_conformance.printable import one_line
from chfa_conformance.report import (
    describe_failure,
    failing,
    header_lines,
    replay_command,
    shown_from,
    whole_number,
    writable_folder,
)
from chfa_conformance.selftest import overlap_problems, render, run_selftest
from chfa_conformance.signatures import load_certificates, shared_key_notes
from chfa_conformance.specs import load_spec
from chfa_conformance.streaming import CHUNK_HUBS, judge_wave
from chfa_conformance.waves import wave_start
from reference_impl.signing import CERT_VARIABLE, KEY_VARIABLE

Command = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    """Run case files against a candidate and print the findings."""
    settings = build_settings(args.project, args.candidate, args.duis_xsd, args.case_timeout, dsp_certs=args.dsp_cert)
    if args.matrix:
        writable_folder(args.matrix, "--matrix")
    for line in header_lines(settings):
        print(line)
    results = []
    # every file is read before any runs: a broken one stops the run at once, not after hours
    entries = [(path, load_entry(path, settings.spec, settings.schemas_dir)) for path in _case_files(args.cases)]
    for path, entry in entries:
        if isinstance(entry, Generation):
            result = _search(entry, settings, args, Search(entry.examples, secrets.randbelow(2**32), args.fail_on))
        else:
            result = run_case(entry, settings)
            bad = failing(result.findings, settings.spec, args.fail_on)
            verdict = "FAIL" if bad or result.error else "pass"
            error = "candidate error, " if result.error else ""
            print(f"{one_line(str(path))}: {verdict} ({error}{result.delivered_count} alert(s), {len(result.findings)} finding(s))")
            if verdict == "FAIL":
                print(describe_failure(result, settings.spec, _replay(path, args)))
        results.append(result)
    if args.matrix:
        for written in write_matrix(build_matrix(results, settings, args.fail_on), args.matrix):
            print(f"compliance matrix: {one_line(str(written))}")
    failed = [r for r in results if r.error or failing(r.findings, settings.spec, args.fail_on)]
    print(f"{len(results)} case(s) run, {len(failed)} failed")
    return 1 if failed else 0


def _case_files(paths: Sequence[Path]) -> list[Path]:
    """The case files named, a folder standing for the case files below it; a FIFO or a broken
    link among them is kept, so reading it names the problem instead of skipping it."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
        elif inside := sorted(f for f in path.rglob("*") if f.suffix in CASE_SUFFIXES and not f.is_dir()):
            found += inside
        else:
            raise SourceError(path, None, f"is a folder with no case file ({', '.join(CASE_SUFFIXES)}) below it")
    return found


def _generate(args: argparse.Namespace) -> int:
    """Search with generated scenarios; save the shrunk failure when asked."""
    settings = build_settings(args.project, args.candidate, args.duis_xsd, args.case_timeout)
    if args.save_failures:
        writable_folder(args.save_failures, "--save-failures")
    file = args.file if args.file is not None else shown_from(args.project.absolute() / "cases" / "generated.yaml", Path.cwd())
    entry = load_entry(file, settings.spec, settings.schemas_dir)
    if not isinstance(entry, Generation):
        raise SourceError(file, 1, "is not a generated-scenarios entry (no generate: block)")
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
        f"{one_line(str(entry.path))}: {outcome} ({exploration.examples} example(s) in {exploration.seconds:.1f}s, "
        f"{exploration.examples_per_second:.0f}/s, {exploration.alerts} alert(s), seed {search.seed})"
    )
    if exploration.falsified is not None:
        search_again = _search_again(entry.path, search, args)
        folder = args.save_failures
        saved = save_failure(exploration, folder, lambda path: _replay(path, args), search_again) if folder else None
        replay = _replay(saved, args) if saved is not None else search_again
        print(describe_generated_failure(exploration, settings.spec, replay, search_again, str(saved) if saved else None))
    return exploration.as_case_result()


def _search_again(path: Path, search: Search, args: argparse.Namespace) -> str:
    """The generate command that repeats this search, quoted so that it pastes into a shell."""
    parts = ["chfa-conformance", "generate", str(path), f"--seed={search.seed}", f"--candidate={args.candidate}"]
    parts += ["--thorough"] if args.thorough else []
    parts += [f"--fail-on={args.fail_on}"] if args.fail_on != "should" else []
    parts += [f"--shrink-runs={search.shrink_runs}"] if search.shrink_runs != SHRINK_RUNS else []
    parts += [f"--duis-xsd={args.duis_xsd}"] if args.duis_xsd else []
    parts += [f"--case-timeout={args.case_timeout:g}"] if args.case_timeout else []
    return shlex.join(parts)


def _replay(path: Path, args: argparse.Namespace) -> str:
    """The pytest command that runs this case file again (naming the project's pytest.ini
    when the file lives outside the project)."""
    project = args.project.resolve()
    options = [] if path.resolve().is_relative_to(project) else ["-c", str(project / "pytest.ini")]
    if args.fail_on != "should":
        options.append(f"--fail-on={args.fail_on}")
    if args.case_timeout:
        options.append(f"--case-timeout={args.case_timeout:g}")
    duis = str(args.duis_xsd) if args.duis_xsd else None
    return replay_command(str(path), args.candidate, duis, [str(cert) for cert in args.dsp_cert], options)


def _stream(args: argparse.Namespace) -> int:
    """Judge a wave case file chunk by chunk with the reference emitter, in bounded memory."""
    settings = build_settings(args.project, "reference", args.duis_xsd)
    wave_id, wave, profile = load_wave(args.case, settings.spec, settings.schemas_dir)
    block = {**wave, "hubs": args.hubs} if args.hubs is not None else wave
    try:
        wave_start(block)
    except ValueError as exc:
        raise SourceError(args.case, None, str(exc)) from exc
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


def _default_project() -> Path:
    """Here when here is a project; else the checkout this package runs from, so an auditor's
    `validate` works from the folder holding the files."""
    here = Path.cwd()
    checkout = Path(__file__).resolve().parents[2]
    return here if (here / "specs").is_dir() or not (checkout / "specs").is_dir() else checkout


def _validate(args: argparse.Namespace) -> int:
    """Check each file against the DUIS schema of its own schemaVersion."""
    schemas: SchemaSet
    if args.duis_xsd is not None:
        schemas = official_schemas(args.duis_xsd)
    else:
        schemas = compact_schemas(args.project / "schemas", load_spec(project_specs(args.project)).profile)
    schemas.compile_all()  # a broken schema folder stops here, before any file is judged
    return _report([validate_file(path, schemas) for path in args.files])


def _verify_signature(args: argparse.Namespace) -> int:
    """Check each file's signature against the DSP certificates given."""
    if not args.files:  # FILE is optional to argparse only so that this can say why it is missing
        raise ValueError("verify-signature: no FILE to check (--dsp-cert takes every name after it: put the files first)")
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


def _add_run_options(command: argparse.ArgumentParser) -> None:
    """The options check and generate share with the pytest plugin."""
    add_run_options(command.add_argument, ["--candidate", "--duis-xsd", "--case-timeout", "--fail-on"], Path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chfa-conformance", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--project", type=Path, default=_default_project(), help="folder holding specs/ and schemas/ (default: here, else this checkout)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run case files against a candidate")
    check.add_argument("cases", nargs="+", type=Path, metavar="CASE", help="case files, or folders standing for the case files below them")
    _add_run_options(check)
    add_run_options(check.add_argument, ["--matrix", "--dsp-cert"], Path)
    check.set_defaults(run=_check, thorough=False, save_failures=None)
    generate = commands.add_parser("generate", help="search with generated scenarios (a generate: entry)")
    generate.add_argument(
        "file", type=Path, nargs="?", default=None, metavar="FILE", help="the entry (default: cases/generated.yaml of --project)"
    )
    _add_run_options(generate)
    generate.add_argument(
        "--seed", type=parse_seed, default=None, help="repeat a search, as pytest's --hypothesis-seed (default: a fresh seed, printed)"
    )
    add_run_options(generate.add_argument, ["--thorough", "--shrink-runs", "--save-failures"], Path)
    generate.set_defaults(run=_generate, dsp_cert=[])
    stream = commands.add_parser("stream", help="judge a wave case of any size chunk by chunk (reference emitter)")
    stream.add_argument("case", type=Path, metavar="CASE", help="a case file with a wave: block")
    stream.add_argument("--hubs", type=whole_number(1), default=None, help="override the wave's number of hubs")
    stream.add_argument("--chunk-hubs", type=whole_number(1), default=CHUNK_HUBS, metavar="N", help="hubs per chunk (default %(default)s)")
    add_run_options(stream.add_argument, ["--duis-xsd"], Path)
    stream.set_defaults(run=_stream)
    emit = commands.add_parser("emit", help="print the reference emitter's alerts for a case file")
    emit.add_argument("case", type=Path, metavar="CASE", help="the case file whose scenario the emitter answers")
    emit.set_defaults(run=_emit)
    selftest = commands.add_parser("selftest", help="kill matrix: every mutant caught exactly, every variant passing")
    selftest.add_argument("--catalogue", default="tests.mutants.catalogue", help="module with MUTANTS and VARIANTS")
    selftest.add_argument("--only", action="append", default=[], metavar="NAME", help="run only this mutant or variant")
    selftest.add_argument("--workers", type=whole_number(1), default=2, help="processes running mutants side by side (default %(default)s)")
    add_run_options(selftest.add_argument, ["--duis-xsd"], Path)
    selftest.set_defaults(run=_selftest)
    validate = commands.add_parser("validate", help="check files against the DUIS schema of their schemaVersion")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE", help="captured DUIS messages")
    validate.add_argument("--duis-xsd", type=Path, default=None, metavar="DIR", help="official DUIS schemas (default: the compact ones)")
    validate.set_defaults(run=_validate)
    verify = commands.add_parser("verify-signature", help="check the DSP signature of files")
    verify.add_argument("files", nargs="*", type=Path, metavar="FILE", help="captured DUIS messages")
    verify.add_argument(
        "--dsp-cert", type=Path, action="extend", nargs="+", required=True, metavar="PEM", help="the DSP certificates that may have signed"
    )
    verify.set_defaults(run=_verify_signature)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command: Command = args.run
    try:
        return command(args)
    except (SourceError, SchemaLoadError, ValueError) as exc:
        print(f"chfa-conformance: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
