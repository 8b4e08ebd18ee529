"""Candidate adapters: hand a scenario to a DSP build and collect what it delivers.

`reference` (the embedded emitter), `python:module:function` (in a forked child) and
`cmd:<command line>` (any language: scenario JSON on stdin, JSON lines on stdout) and
`http://...` (a harness answering a POST with those lines, http_candidate.py) all end in the
same CandidateOutput. A candidate that hangs, crashes, exits non-zero, floods its
output or prints something that is not a protocol line yields an output with `error` set,
so its case fails with that message and the run goes on.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import os
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from chfa_conformance import reaper
from chfa_conformance.xml_safety import MAX_DOCUMENT_BYTES
from reference_impl import emit as reference_emit

DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_OUTPUT_BYTES = 128 * 1024 * 1024
MAX_OUTPUT_LINES = 500_000
MAX_LINE_BYTES = 64 * 1024 * 1024  # a 32 MiB document (xml_safety's limit) with room for JSON escapes
MAX_STDERR_SHOWN = 2000
MAX_FIELD = 64  # recipient, device and firmware_version, as candidate-output-v1.schema.json says
STOP_GRACE_SECONDS = 3.0  # for the reaper to kill and reap what the candidate started (reaper.py gives up after about 1s)


@dataclass(frozen=True)
class Delivery:
    """One alert as the candidate delivered it; `number` counts alert lines from 1."""

    number: int
    recipient: str
    xml: bytes


@dataclass(frozen=True)
class InventoryEntry:
    device: str
    firmware_version: str


@dataclass(frozen=True)
class CandidateOutput:
    deliveries: tuple[Delivery, ...] = ()
    inventory: tuple[InventoryEntry, ...] | None = None
    error: str | None = None
    stderr: str = ""


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_output_bytes: int = MAX_OUTPUT_BYTES
    max_output_lines: int = MAX_OUTPUT_LINES


class Candidate(Protocol):
    @property
    def name(self) -> str: ...

    def run(self, scenario: Mapping[str, Any], limits: Limits) -> CandidateOutput: ...


EmitFunction = Callable[[Mapping[str, Any]], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class PythonCandidate:
    """A trusted in-process function (the embedded reference, test doubles), in a worker thread
    so a hang cannot stall the run. Vendors' `python:` builds run isolated (isolated.py)."""

    name: str
    function: EmitFunction = field(repr=False)

    def run(self, scenario: Mapping[str, Any], limits: Limits) -> CandidateOutput:
        outcome: dict[str, Any] = {}
        private = copy.deepcopy(dict(scenario))  # a candidate that edits its input must not edit the case

        def call() -> None:
            try:
                outcome["lines"] = list(itertools.islice(self.function(private), limits.max_output_lines + 1))
            except BaseException as exc:  # noqa: BLE001 - any failure of the candidate is its case's failure
                outcome["error"] = f"{type(exc).__name__}: {shortened(str(exc))}"

        worker = threading.Thread(target=call, name=f"candidate {self.name}", daemon=True)
        worker.start()
        worker.join(limits.timeout_seconds)
        if worker.is_alive():
            return CandidateOutput(error=f"candidate {self.name} did not return within {limits.timeout_seconds:g}s")
        if "error" in outcome:
            return CandidateOutput(error=f"candidate {self.name} raised {outcome['error']}")
        lines = outcome["lines"]
        if len(lines) > limits.max_output_lines:
            return CandidateOutput(error=f"candidate {self.name} returned {len(lines)} lines, over the {limits.max_output_lines} limit")
        return collect_lines(lines, self.name)


@dataclass(frozen=True)
class CommandCandidate:
    """A separate process speaking protocol version 1 on stdin/stdout, run under reaper.py so that
    nothing it starts, even in a session of its own, outlives the case."""

    name: str
    argv: tuple[str, ...]
    cwd: Path | None = None

    def run(self, scenario: Mapping[str, Any], limits: Limits) -> CandidateOutput:
        payload = json.dumps(scenario).encode("utf-8")
        with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
            try:
                process = subprocess.Popen(
                    reaper.command_line(self.argv),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr_file,
                    cwd=self.cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                return CandidateOutput(error=f"candidate {self.name} could not start: {exc.strerror or exc}")
            failure = _converse(process, payload, limits, stdout_file)
            stderr = printed_tail(stderr_file)
            unstarted = reaper.start_failure(process.returncode, stderr)
            if unstarted is not None:
                return CandidateOutput(error=f"candidate {self.name} could not start: {unstarted}")
            if failure is not None:
                return CandidateOutput(error=f"candidate {self.name} {failure}", stderr=stderr)
            stdout_file.seek(0)
            return parse_saved_output(stdout_file, self.name, limits, stderr)


def _converse(process: subprocess.Popen[bytes], payload: bytes, limits: Limits, sink: Any) -> str | None:
    """Feed stdin, copy stdout to `sink` under the size limit, wait under the time limit."""
    overflow, stop = threading.Event(), threading.Event()
    threading.Thread(target=_write_stdin, args=(process, payload), daemon=True).start()
    reader = threading.Thread(target=_copy_stdout, args=(process, sink, limits.max_output_bytes, overflow, stop), daemon=True)
    reader.start()
    try:
        code = process.wait(timeout=limits.timeout_seconds)
    except subprocess.TimeoutExpired:
        _stop(process)
        process.wait()
        reader.join(timeout=5)
        if overflow.is_set():
            return f"wrote more than {limits.max_output_bytes} bytes and was stopped"
        return f"did not finish within {limits.timeout_seconds:g}s and was stopped"
    _kill(process)  # children left behind in its session would hold stdout open
    reader.join(timeout=5)
    stop.set()  # a process that left the session may hold stdout for ever: what it wrote so far is the output
    if overflow.is_set():
        return f"wrote more than {limits.max_output_bytes} bytes and was stopped"
    if code != 0:
        return f"exited with status {code}" if code > 0 else f"was killed by signal {-code}"
    return None


def _copy_stdout(process: subprocess.Popen[bytes], sink: Any, limit: int, overflow: threading.Event, stop: threading.Event) -> None:
    """Copy as it arrives (os.read: a buffered read would sit on written bytes while an orphan holds the pipe)."""
    assert process.stdout is not None
    written = 0
    while (chunk := os.read(process.stdout.fileno(), 1 << 16)) and not stop.is_set():
        written += len(chunk)
        if written > limit:
            overflow.set()
            _stop(process)
            break
        sink.write(chunk)
    process.stdout.close()


def _write_stdin(process: subprocess.Popen[bytes], payload: bytes) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(payload)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM first: the reaper kills what left the process group, which SIGKILL to the group (the reaper with it) would miss."""
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def printed_tail(stream: Any) -> str:
    """The last words a candidate wrote to a file of its own: enough to explain a failure, never the whole flood."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - MAX_STDERR_SHOWN))
    return str(stream.read().decode("utf-8", errors="replace"))


def parse_saved_output(stream: Any, name: str, limits: Limits, stderr: str) -> CandidateOutput:
    """Protocol lines from the saved output; memory stays bounded by one line of MAX_LINE_BYTES."""
    count, over = _line_shape(stream)  # measured before parsing: a flood or a huge line is never held in memory
    if count > limits.max_output_lines:
        return CandidateOutput(error=f"candidate {name} wrote more than {limits.max_output_lines} lines", stderr=stderr)
    if over is not None:
        problem = f"is over {MAX_LINE_BYTES} bytes (an alert document may be at most {MAX_DOCUMENT_BYTES})"
        return CandidateOutput(error=f"candidate {name} output line {over} {problem}", stderr=stderr)
    stream.seek(0)
    lines: list[Mapping[str, Any]] = []
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig")  # the protocol is UTF-8; json would guess UTF-16 for binary noise
        except UnicodeDecodeError as exc:
            problem = f"is not UTF-8 (byte {exc.start + 1} is 0x{raw[exc.start]:02x})"
            return CandidateOutput(error=f"candidate {name} output line {number} {problem}", stderr=stderr)
        try:
            line = json.loads(text, object_pairs_hook=object_without_repeated_keys)
        except (ValueError, RecursionError) as exc:  # ValueError: JSON syntax, UTF-8, repeated keys, a 5,000-digit number
            shown = raw[:80].decode("utf-8", errors="replace")
            return CandidateOutput(error=f"candidate {name} output line {number} is not JSON ({exc}): {shown!r}", stderr=stderr)
        lines.append(line)
    output = collect_lines(lines, name)
    return CandidateOutput(output.deliveries, output.inventory, output.error, stderr)


def _line_shape(stream: Any) -> tuple[int, int | None]:
    """How many lines the saved output has, and the number of the first line over MAX_LINE_BYTES."""
    count, current, over = 0, 0, None
    while chunk := stream.read(1 << 20):
        lengths = list(map(len, chunk.split(b"\n")))
        lengths[0] += current  # the line the previous chunk left open
        if over is None and max(lengths) > MAX_LINE_BYTES:
            over = count + next(index for index, length in enumerate(lengths) if length > MAX_LINE_BYTES) + 1
        count += len(lengths) - 1
        current = lengths[-1]
    return count + (1 if current else 0), over


def shortened(text: str, limit: int = MAX_STDERR_SHOWN) -> str:
    """A candidate's own words in a report, cut to a length a reader can take in."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are unique: a line saying two things is refused, not read last-wins."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"repeated key {key[:64]!r}")
        result[key] = value
    return result


def collect_lines(lines: Iterable[Any], name: str) -> CandidateOutput:
    """Sort protocol lines into deliveries and inventory entries; a malformed line is an error."""
    deliveries: list[Delivery] = []
    inventory: list[InventoryEntry] | None = None
    for number, line in enumerate(lines, start=1):
        problem = _line_problem(line)
        if problem is not None:
            return CandidateOutput(error=f"candidate {name} output line {number} {problem}")
        if "inventory" in line:
            entry = line["inventory"]
            inventory = (inventory or []) + [InventoryEntry(entry["device"], entry["firmware_version"])]
        else:
            # surrogatepass: a lone surrogate ("\udcff" in the JSON) stays an invalid byte sequence, which the
            # XML parser then reports as not well-formed, instead of crashing here or being silently replaced
            xml = line["xml"].encode("utf-8", "surrogatepass")
            deliveries.append(Delivery(len(deliveries) + 1, line["recipient"], xml))
    return CandidateOutput(tuple(deliveries), tuple(inventory) if inventory is not None else None)


def _line_problem(line: Any) -> str | None:
    if not isinstance(line, Mapping):
        return f"is not a JSON object but {type(line).__name__}"
    if set(line) == {"recipient", "xml"}:
        if not isinstance(line["recipient"], str) or not isinstance(line["xml"], str):
            return "has a recipient or xml that is not a string"
        try:
            line["recipient"].encode("utf-8")
        except UnicodeEncodeError:
            return "has a recipient that is not valid Unicode (a lone surrogate)"
        return None if len(line["recipient"]) <= MAX_FIELD else f"has a recipient longer than {MAX_FIELD} characters"
    if set(line) == {"inventory"}:
        entry = line["inventory"]
        if isinstance(entry, Mapping) and set(entry) == {"device", "firmware_version"} and all(isinstance(v, str) for v in entry.values()):
            return None if all(len(value) <= MAX_FIELD for value in entry.values()) else f"has an inventory field longer than {MAX_FIELD}"
        return "has an inventory entry without exactly 'device' and 'firmware_version' strings"
    keys = sorted(shortened(str(key), 64) for key in itertools.islice(line, 10))
    more = f" and {len(line) - 10} more" if len(line) > 10 else ""
    return f"has keys {keys}{more}; expected recipient+xml or inventory"


def make_candidate(spec: str, cwd: Path | None = None, import_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Candidate:
    """Build a candidate from its command-line spelling (see README, 'Plugging in a candidate')."""
    if spec == "reference":
        return PythonCandidate("reference", reference_emit)
    if spec.startswith("python:"):
        target = spec.removeprefix("python:")
        module_name, _, function_name = target.partition(":")
        if not module_name or not function_name:
            raise ValueError(f"python candidate {target!r} must be module:function")
        from chfa_conformance.isolated import IsolatedPythonCandidate, import_problem  # noqa: PLC0415 - it builds on this module

        search_path = (str(cwd),) if cwd is not None else ()
        problem = import_problem(target, search_path, import_timeout_seconds)
        if problem is not None:
            raise ValueError(f"python candidate: {problem}")
        return IsolatedPythonCandidate(spec, target, search_path)
    if spec.startswith("cmd:"):
        try:
            argv = tuple(shlex.split(spec.removeprefix("cmd:")))
        except ValueError as exc:
            raise ValueError(f"cmd: candidate {spec!r} is not a valid command line ({exc})") from exc
        if not argv:
            raise ValueError('cmd: needs a command line, e.g. cmd:"python -m reference_impl"')
        return CommandCandidate(spec, argv, cwd)
    if spec[:8].lower().startswith(("http://", "https://")):
        from chfa_conformance.http_candidate import http_candidate  # noqa: PLC0415 - it builds on this module

        return http_candidate(spec)
    raise ValueError(f'unknown candidate {spec!r}: use reference, python:module:function, cmd:"command line" or http://host:port/path')
