"""Run a `cmd:` candidate so that nothing it starts outlives its case (Linux).

`python reaper.py ARGV...` (or `python -m chfa_conformance.reaper ARGV...`) runs ARGV with the
inherited stdin, stdout and stderr and ends as ARGV ended: the same exit status, or killed by
the same signal. The suite's process-group kill cannot reach a process that called setsid() (or
double-forked into a session of its own); such a process also holds stdout open, so the case
would wait out the read grace. This supervisor is therefore a child subreaper (prctl
PR_SET_CHILD_SUBREAPER): whatever ARGV orphans is re-parented here instead of to init, and once
ARGV ends every process still below this one is killed and reaped, again until none is left
(killing a parent orphans its children to here). The suite stops a candidate over its time or
output limit with SIGTERM to this process first, whose handler does the same before the suite
kills the process group: SIGKILL to the group alone would take this supervisor down first and
leave the escaped processes running.

Descendants are found from /proc/*/stat: /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN,
which not every kernel has. Without prctl (not Linux) orphans go to init as before and only what
is still below this process is killed. A command that cannot be started ends this process with
START_FAILED and one line on stderr starting with START_FAILURE, which start_failure() turns
back into the reason.

It runs once per case, so its start-up counts: command_line() starts it by path with `-I -S`,
and it imports only the standard library and neither pathlib nor typing at run time. Site (the
editable-install hook loads pathlib and more) and those imports make the start-up about half as
long again (some 40 ms against 27 ms). -I also keeps the candidate's directory and PYTHON*
variables from shadowing what it imports.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import sys
import time

TYPE_CHECKING = False  # typing's import alone adds a tenth to the start-up; mypy reads any TYPE_CHECKING as typing's
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType
    from typing import NoReturn

PR_SET_CHILD_SUBREAPER = 36
START_FAILED = 127
START_FAILURE = "chfa_conformance.reaper: could not start: "
UNSEEN_PASSES = 100  # about a second of passes that find a live child /proc does not show (no /proc, another pid namespace)


def command_line(argv: Sequence[str]) -> list[str]:
    """The supervised form of `argv`."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), *argv]  # noqa: PTH100 - see the module docstring


def start_failure(returncode: int | None, stderr: str) -> str | None:
    """Why the command could not be started (as OSError.strerror says it), or None if it was started."""
    if returncode != START_FAILED or not stderr.startswith(START_FAILURE):
        return None
    return stderr.removeprefix(START_FAILURE).rstrip("\n")


def main(argv: Sequence[str]) -> NoReturn:
    if not argv:
        sys.stderr.write("usage: python -m chfa_conformance.reaper COMMAND [ARGUMENT...]\n")
        sys.exit(2)
    _become_subreaper()
    signal.signal(signal.SIGTERM, _on_sigterm)  # before the command starts: there is never one without the handler
    try:
        command = subprocess.Popen(argv)  # as the suite started commands before: the same search, signals and errors
    except OSError as exc:
        sys.stderr.write(f"{START_FAILURE}{exc.strerror or exc}\n")
        sys.exit(START_FAILED)
    _release_pipes()
    returncode = command.wait()
    end_descendants()
    _end_like(returncode)


def _become_subreaper() -> None:
    """Have orphans below this process come back to it; where prctl is missing the command is only run."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def _release_pipes() -> None:
    """Leave stdin and stdout to the command: the suite's writer sees EPIPE and its reader EOF when the command's side closes."""
    nothing = os.open(os.devnull, os.O_RDWR)
    os.dup2(nothing, 0)
    os.dup2(nothing, 1)
    os.close(nothing)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """The suite stops the candidate: take everything below down, then go as the suite asked."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    end_descendants()
    _end_like(-signum)


def end_descendants() -> None:
    """Kill and reap every process below this one, until this process has no child left."""
    unseen = 0
    while _children_alive():
        killed = {pid: parent for pid, parent in _descendants(os.getpid()).items() if _killed(pid)}
        if os.getpid() in killed.values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(-1, 0)  # a child of this process was killed: this returns as soon as one is gone
            unseen = 0
            continue
        unseen += 1
        if unseen > UNSEEN_PASSES:
            return  # what /proc cannot show (or this process may not kill) is left to the suite's group kill
        time.sleep(0.01)  # only grandchildren killed, or a child re-parented while /proc was read: look again


def _killed(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _children_alive() -> bool:
    """Reap the children that have ended; whether any child is still running."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _descendants(root: int) -> dict[int, int]:
    """Every process below `root`, with its parent."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found: dict[int, int] = {}
    waiting = [root]
    while waiting:
        parent = waiting.pop()
        for pid in children.get(parent, []):
            if pid not in found:
                found[pid] = parent
                waiting.append(pid)
    return found


def _parents() -> dict[int, int]:
    """The parent of every process /proc shows."""
    try:
        names = [name for name in os.listdir("/proc") if name.isdigit()]  # noqa: PTH208 - see the module docstring
    except OSError:
        return {}
    parents: dict[int, int] = {}
    for name in names:
        stat = _read(f"/proc/{name}/stat")
        if stat:  # empty: it ended while /proc was read
            parents[int(name)] = int(stat.rpartition(b")")[2].split()[1])  # the name in (...) may hold spaces
    return parents


def _read(path: str) -> bytes:
    """The file's first bytes, or none if it is gone (os.open: pathlib is not imported here, see the module docstring)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    try:
        return os.read(descriptor, 4096)
    except OSError:
        return b""
    finally:
        os.close(descriptor)


def _end_like(returncode: int) -> NoReturn:
    """End with the command's outcome: its exit status, or death by its signal, so the suite's message is the same."""
    if returncode >= 0:
        os._exit(returncode)
    number = -returncode
    with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP cannot be set, and need not be
        signal.signal(number, signal.SIG_DFL)
    _, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))  # the command's crash: no core of this process
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
    os.kill(os.getpid(), number)
    os._exit(128 + number)  # a signal that did not end this process


if __name__ == "__main__":
    main(sys.argv[1:])
