"""Peak memory and time of the suite on the largest hostile inputs, each against a baseline.

Run by hand from the project root: `python benchmarks/hostile_inputs.py`. Nothing is asserted;
the numbers are printed. Every measurement is a fresh process (wall time in the parent, peak
RSS from os.wait4), so one input's memory never hides in another's.

- captured files: `chfa-conformance validate FILE` against `xmllint --noout --schema` with the
  compact alert schema on the same file (the system xmllint links an older libxml2, 2.9);
- candidate output: judging cases/electricity-only.yaml with a `cmd:` candidate that delivers
  the input, against that candidate alone writing to /dev/null. The judging process reports
  its own peak (RUSAGE_SELF), so the candidate's memory is not counted as the suite's.

Linux hands the exec'ing parent's peak RSS on to the child's ru_maxrss, so this parent imports
only the standard library and builds the corpus in a child: every figure then carries a floor
of this small process (about 10 MiB), not of a 100 MiB document.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = (
    "document-100-mib",
    "document-40-mib",
    "text-node-over-parser-limit",
    "text-node-cut-off",
    "nesting-10000-deep",
    "attribute-bomb",
    "element-bomb",
)
CANDIDATE_DOCUMENTS = ("document-100-mib", "document-40-mib", "text-node-over-parser-limit", "attribute-bomb", "element-bomb")
CANDIDATE_BEHAVIOURS = ("prints-a-million-alerts", "prints-a-million-small-alerts")
CASE = ROOT / "cases" / "electricity-only.yaml"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def measure(argv: list[str], stdin: bytes = b"", keep_output: bool = True) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB (the process, or a child it waited for), and its stdout.

    A baseline's output goes to /dev/null: read back here, it would raise this process's peak,
    and with it the figure of every process started after.
    """
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        sink = out if keep_output else subprocess.DEVNULL
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.DEVNULL)
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read().decode("utf-8", "replace")


def child(mode: str, *args: str) -> list[str]:
    return [sys.executable, __file__, mode, *args]


def row(name: str, seconds: float, peak: float, base: tuple[float, float] | None, note: str = "") -> str:
    if base is None:
        return f"{name:30} {seconds:6.2f}s {peak:7.1f} MiB |        -           - |      -       -  {note}"
    ratios = f"{seconds / base[0]:6.2f}x {peak / base[1]:6.2f}x"
    return f"{name:30} {seconds:6.2f}s {peak:7.1f} MiB | {base[0]:6.2f}s {base[1]:7.1f} MiB | {ratios}  {note}"


def captured_files(folder: Path) -> None:
    print("captured file: `validate FILE`           | xmllint --noout --schema  | ratio time, memory")
    xmllint = shutil.which("xmllint")
    print(row("(python start + imports)", *measure([sys.executable, "-m", "chfa_conformance.cli", "--help"])[:2], None))
    for name in FILES:
        path = str(folder / f"{name}.xml")
        seconds, peak, out = measure([sys.executable, "-m", "chfa_conformance.cli", "--project", str(ROOT), "validate", path])
        schema = str(ROOT / "schemas" / "chfa-alert.xsd")
        base = measure([xmllint, "--noout", "--schema", schema, path], keep_output=False)[:2] if xmllint else None
        print(row(name, seconds, peak, base, out.split(": ", 2)[1] if ": " in out else out.strip()))


def candidate_output(folder: Path) -> None:
    print("candidate output: judging one case      | the candidate alone       | ratio time, memory")
    scenario = (folder / "scenario.json").read_bytes()
    runs = [
        (name, [sys.executable, str(ROOT / "tests" / "hostile" / "emit_document.py"), str(folder / f"{name}.xml"), SUPPLIER])
        for name in CANDIDATE_DOCUMENTS
    ]
    runs += [(name, [sys.executable, str(folder / f"{name}.py")]) for name in CANDIDATE_BEHAVIOURS]
    for name, argv in runs:
        seconds, _, out = measure(child("--judge", *argv))
        report = json.loads(out.strip().splitlines()[-1])
        base = measure(argv, scenario, keep_output=False)[:2]
        print(row(name, seconds, report["peak_mib"], base, report["outcome"][:60]))


def build(folder: Path) -> None:
    """Child: write the corpus documents, behaviour scripts and the case's scenario into `folder`."""
    sys.path.insert(0, str(ROOT))
    from chfa_conformance.cases import load_case  # noqa: PLC0415 - heavy imports stay out of the measuring parent
    from chfa_conformance.evaluation import build_settings  # noqa: PLC0415
    from reference_impl import emit  # noqa: PLC0415
    from tests.hostile.corpus import BEHAVIOURS, DOCUMENTS, MARKER  # noqa: PLC0415

    (folder / "marker.txt").write_text(MARKER)
    settings = build_settings(ROOT, "reference")
    scenario = load_case(CASE, settings.spec, settings.schemas_dir).scenario.as_protocol()
    (folder / "scenario.json").write_text(json.dumps(scenario))
    alert = next(line["xml"] for line in emit(scenario) if "xml" in line).encode()
    for document in DOCUMENTS:
        if document.name in FILES:
            (folder / f"{document.name}.xml").write_bytes(document.build(alert, folder))
    for behaviour in BEHAVIOURS:
        if behaviour.name in CANDIDATE_BEHAVIOURS:
            (folder / f"{behaviour.name}.py").write_text("import sys, json, time\n" + behaviour.script + "\n")


def judge(argv: list[str]) -> None:
    """Child: judge the case with `argv` as a cmd: candidate; report its own peak RSS and the outcome."""
    from chfa_conformance.candidates import CommandCandidate, Limits  # noqa: PLC0415
    from chfa_conformance.cases import load_case  # noqa: PLC0415
    from chfa_conformance.evaluation import RunSettings, build_settings, run_case  # noqa: PLC0415

    base = build_settings(ROOT, "reference")
    candidate = CommandCandidate("cmd:bench", tuple(argv))
    settings = RunSettings(base.spec, base.schemas, candidate, Limits(timeout_seconds=60), base.schemas_dir)
    result = run_case(load_case(CASE, base.spec, base.schemas_dir), settings)
    outcome = result.error or "; ".join(f"{f.requirement}: {f.message}" for f in result.findings) or "pass"
    print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}))


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        return build(Path(sys.argv[2]))
    if sys.argv[1:2] == ["--judge"]:
        return judge(sys.argv[2:])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        subprocess.run(child("--build", name), check=True)
        captured_files(folder)
        print()
        candidate_output(folder)
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this measuring process peaked at {floor:.1f} MiB: the floor under every figure above)")
    return None


if __name__ == "__main__":
    main()
