"""`python:module:function` candidates, run in a child process the suite can stop.

A vendor's Python build is still called as a function, but in a forked copy of the suite's
process, so whatever it does (loop for ever, flood output, eat memory, call os._exit,
change the scenario it is given) ends as that case's failure: the time limit kills it, the
line and byte limits stop reading it, an address-space limit contains its memory, and a
missing end-of-output marker reveals an early exit. Forking (not spawning a fresh
interpreter) keeps the cost to milliseconds per case. The suite's own process never imports
the vendor's module: a module that exits, hangs or raises SystemExit while being imported
would take the run down with it, so the set-up check imports it in a child as well.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import io
import json
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from chfa_conformance.candidates import (
    CandidateOutput,
    Limits,
    collect_lines,
    object_without_repeated_keys,
    printed_tail,
    shortened,
)

MAX_CHILD_ADDRESS_SPACE = 4 * 1024**3
_LINE, _ERROR, _DONE = b"L", b"E", b"D"


@dataclass(frozen=True)
class IsolatedPythonCandidate:
    name: str
    target: str
    search_path: tuple[str, ...] = ()

    def run(self, scenario: Mapping[str, Any], limits: Limits) -> CandidateOutput:
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        with tempfile.TemporaryFile() as printed:
            child = context.Process(
                target=_serve,
                args=(self.target, self.search_path, copy.deepcopy(dict(scenario)), sender, limits.max_output_lines, printed.fileno()),
                name=f"candidate {self.name}",
                daemon=True,
            )
            child.start()
            sender.close()
            try:
                output = _collect(receiver, child, self.name, limits)
            finally:
                receiver.close()
                _end_group(child)
            return dataclasses.replace(output, stderr=printed_tail(printed))


def _collect(receiver: Connection, child: Any, name: str, limits: Limits) -> CandidateOutput:
    deadline = time.monotonic() + limits.timeout_seconds
    raw: list[bytes] = []
    received = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return CandidateOutput(error=f"candidate {name} did not return within {limits.timeout_seconds:g}s and was stopped")
        if not receiver.poll(min(remaining, 1.0)):
            continue
        try:
            message = receiver.recv_bytes(max(1, limits.max_output_bytes - received))
        except EOFError:
            child.join(5)
            return CandidateOutput(error=f"candidate {name} ended without finishing its output (exit status {child.exitcode})")
        except OSError:
            return CandidateOutput(error=f"candidate {name} wrote more than {limits.max_output_bytes} bytes and was stopped")
        received += len(message)
        kind, body = message[:1], message[1:]
        if kind == _DONE:
            break
        if kind == _ERROR:
            return CandidateOutput(error=f"candidate {name} {body.decode('utf-8', errors='replace')}")
        raw.append(body)
    return _lines(raw, name)


def import_problem(target: str, search_path: tuple[str, ...], timeout_seconds: float) -> str | None:
    """Why `module:function` cannot be used as a candidate, found by importing it in a child; None if it can."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile() as printed:
        child = context.Process(target=_probe, args=(target, search_path, sender, printed.fileno()), name=f"import {target}", daemon=True)
        child.start()
        sender.close()
        try:
            problem = _import_outcome(receiver, child, target.partition(":")[0], timeout_seconds)
        finally:
            receiver.close()
            _end_group(child)
        return _with_last_printed_line(problem, printed_tail(printed))


def _import_outcome(receiver: Connection, child: Any, module_name: str, timeout_seconds: float) -> str | None:
    if not receiver.poll(timeout_seconds):
        return f"importing {module_name} did not finish within {timeout_seconds:g}s"
    try:
        problem = receiver.recv_bytes(64 * 1024).decode("utf-8", errors="replace")
    except (EOFError, OSError):
        child.join(5)
        return f"importing {module_name} ended its process (exit status {child.exitcode})"
    return problem or None


def _with_last_printed_line(problem: str | None, printed: str) -> str | None:
    """The set-up error is one line, so of what the module printed only its last line goes with it."""
    last = next((line.strip() for line in reversed(printed.splitlines()) if line.strip()), "")
    return problem if problem is None or not last else f"{problem}; it last printed: {shortened(last, 300)}"


def _end_group(child: Any) -> None:
    """Kill the child and every process it started (they share its process group), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    if child.is_alive():
        child.kill()
    child.join(5)


def _enter_child(search_path: tuple[str, ...], printed_fd: int) -> None:
    """In the child, before any vendor code: a process group of its own (whatever the candidate
    forks ends with it), the address-space cap, the project on the import path, and what the
    candidate prints kept for the report instead of mixed into the suite's own output."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    os.dup2(printed_fd, 1)
    os.dup2(printed_fd, 2)
    sys.stdin, sys.stdout, sys.stderr = _text_stream(0, "r"), _text_stream(1, "w"), _text_stream(2, "w")
    resource.setrlimit(resource.RLIMIT_AS, (MAX_CHILD_ADDRESS_SPACE, MAX_CHILD_ADDRESS_SPACE))
    sys.path[:0] = [entry for entry in search_path if entry not in sys.path]


def _text_stream(fd: int, mode: str) -> io.TextIOWrapper:
    """A fresh stream on a standard fd: under pytest the inherited sys.stdout points at pytest's capture file."""
    return io.TextIOWrapper(io.FileIO(fd, mode, closefd=False), errors="backslashreplace", line_buffering=True)


def _not_a_function(module: object, module_name: str, function_name: str) -> str:
    """Why `module_name:function_name` names no function ("" when it does)."""
    if not hasattr(module, function_name):
        return f"{module_name} has no function {function_name}"
    found = getattr(module, function_name)
    return "" if callable(found) else f"{module_name}.{function_name} is a {type(found).__name__}, not a function"


def _probe(target: str, search_path: tuple[str, ...], sender: Connection, printed_fd: int) -> None:
    """In the child: import the module and find the function; send "" or the problem."""
    module_name, _, function_name = target.partition(":")
    try:
        _enter_child(search_path, printed_fd)
        module = importlib.import_module(module_name)
        sender.send_bytes(_not_a_function(module, module_name, function_name).encode())
    except ImportError as exc:
        sender.send_bytes(f"cannot import {module_name}: {shortened(str(exc))}".encode("utf-8", errors="replace"))
    except BaseException as exc:  # noqa: BLE001 - whatever the module does while importing is its problem, reported
        with contextlib.suppress(OSError):
            problem = f"importing {module_name} raised {type(exc).__name__}: {shortened(str(exc))}"
            sender.send_bytes(problem.encode("utf-8", errors="replace"))
    finally:
        with contextlib.suppress(OSError):
            sender.close()


def _lines(raw: list[bytes], name: str) -> CandidateOutput:
    lines = []
    for number, body in enumerate(raw, start=1):
        try:
            lines.append(json.loads(body, object_pairs_hook=object_without_repeated_keys))
        except (ValueError, RecursionError) as exc:
            return CandidateOutput(error=f"candidate {name} output line {number} cannot be read back ({exc})")
    return collect_lines(lines, name)


def _serve(
    target: str, search_path: tuple[str, ...], scenario: dict[str, Any], sender: Connection, max_lines: int, printed_fd: int
) -> None:
    """In the child: call the function, send each line as JSON, then the end marker."""
    try:
        _enter_child(search_path, printed_fd)
        module_name, _, function_name = target.partition(":")
        function = getattr(importlib.import_module(module_name), function_name)
        for count, line in enumerate(function(scenario), start=1):
            if count > max_lines:
                sender.send_bytes(_ERROR + f"returned more than {max_lines} lines".encode())
                return
            sender.send_bytes(_LINE + json.dumps(line).encode("utf-8", errors="surrogatepass"))
        sender.send_bytes(_DONE)
    except BrokenPipeError:
        pass  # the suite stopped listening (a limit was reached); it reports that itself
    except MemoryError:
        with contextlib.suppress(OSError):
            sender.send_bytes(
                _ERROR + f"ran out of memory (MemoryError at the {MAX_CHILD_ADDRESS_SPACE // 1024**3} GiB address-space cap)".encode()
            )
    except BaseException as exc:  # noqa: BLE001 - the candidate's failure is reported, whatever it is
        with contextlib.suppress(OSError):
            sender.send_bytes(_ERROR + f"raised {type(exc).__name__}: {shortened(str(exc))}".encode("utf-8", errors="replace"))
    finally:
        with contextlib.suppress(OSError):
            sender.close()
