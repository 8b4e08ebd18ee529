"""An http:// candidate meets the limits and messages of a cmd: one; a harness that stalls is cut off."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chfa_conformance.candidates import Limits, make_candidate
from chfa_conformance.cases import Case
from chfa_conformance.evaluation import CaseResult, RunSettings, run_case
from chfa_conformance.http_candidate import _Exchange
from reference_impl import emit
from tests.conftest import PROJECT, settings_for


def _good(handler: BaseHTTPRequestHandler) -> None:
    scenario = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
    _answer(handler, 200, "".join(json.dumps(line) + "\n" for line in emit(scenario)).encode())


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, length: int | None = None) -> None:
    handler.send_response(status)
    if status == 302:
        handler.send_header("Location", "/good")
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def _drips(handler: BaseHTTPRequestHandler) -> None:
    """A 200 with no Content-Length (the answer ends when the connection closes), a byte at a time."""
    handler.send_response(200)
    handler.end_headers()
    for _ in range(100):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.2)


def _floods(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.end_headers()
    line = json.dumps({"recipient": "90-B3-D5-1F-30-01-00-00", "xml": "x" * 1000}).encode() + b"\n"
    for _ in range(10_000):
        handler.wfile.write(line)


def _gzipped(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", "20")
    handler.end_headers()
    handler.wfile.write(gzip.compress(b"x")[:20])


def _chunk_cut_short(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    handler.wfile.write(b'40\r\n{"recipient": ')


BEHAVIOURS: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "/good": _good,
    "/fails": lambda handler: _answer(handler, 500, b"vendor harness: database down"),
    "/redirects": lambda handler: _answer(handler, 302, b""),
    "/silent": lambda handler: time.sleep(30),
    "/drips": _drips,
    "/floods": _floods,
    "/garbage": lambda handler: _answer(handler, 200, b"hello, I am not JSON\n"),
    "/chunk-cut-short": _chunk_cut_short,
    "/truncated": lambda handler: _answer(handler, 200, b'{"recipient": ', length=1000),
    "/announces-a-petabyte": lambda handler: _answer(handler, 200, b"{", length=10**15),
    "/gzipped": _gzipped,
}


class _Harness(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        BEHAVIOURS[self.path](self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """The suite hangs up on a drip or a flood by design; the broken pipe is not news."""


@pytest.fixture(scope="module")
def harness() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Harness)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _run(spelling: str, case: Case, timeout: float = 5.0, max_bytes: int = 1 << 20) -> CaseResult:
    base = settings_for("reference")
    return run_case(
        case, RunSettings(base.spec, base.schemas, make_candidate(spelling), Limits(timeout, max_bytes, 1000), base.schemas_dir)
    )


def _case(cases: list[Case], case_id: str = "split-supply") -> Case:
    return next(case for case in cases if case.id == case_id)


def test_a_harness_answering_as_the_reference_passes(harness: str, cases: list[Case]) -> None:
    result = _run(f"{harness}/good", _case(cases))
    assert result.error is None and result.findings == () and result.delivered_count == 2


MISBEHAVIOURS = {
    "/fails": "answered HTTP 500 Internal Server Error",
    "/redirects": "answered HTTP 302 Found",
    "/silent": "did not answer within 1s and was cut off",
    "/drips": "did not answer within 1s and was cut off",
    "/floods": "answered more than 1048576 bytes and was cut off",
    "/garbage": "output line 1 is not JSON",
    "/chunk-cut-short": "failed over HTTP (IncompleteRead: ",
    "/truncated": "answered 14 bytes of the 1000 its Content-Length announced",
    "/announces-a-petabyte": "announced 1000000000000000 bytes (Content-Length), over the 1048576-byte limit",
    "/gzipped": "answered with Content-Encoding 'gzip': send the lines as they are, not encoded",
}


@pytest.mark.parametrize("path", sorted(MISBEHAVIOURS))
def test_a_misbehaving_harness_fails_its_case_clearly(path: str, harness: str, cases: list[Case]) -> None:
    result = _run(f"{harness}{path}", _case(cases), timeout=1.0)
    assert result.error is not None and MISBEHAVIOURS[path] in result.error, result.error
    assert result.findings == ()
    # the exchange ended with its case, not left reading (a trickle with no Content-Length once kept it going)
    assert [thread for thread in threading.enumerate() if thread.name == f"candidate {harness}{path}"] == []


def test_a_cut_off_before_the_connection_is_made_sends_nothing(harness: str) -> None:
    exchange = _Exchange(f"{harness}/garbage", b"{}", Limits(5.0, 1 << 20, 1000))  # answers 200 if asked
    exchange.cut_off()
    with tempfile.TemporaryFile() as body:
        exchange.run(body)
        assert exchange.failure == "was cut off before it was asked" and body.tell() == 0


def test_an_error_answer_body_is_shown_as_the_candidate_s_own_words(harness: str, cases: list[Case]) -> None:
    assert _run(f"{harness}/fails", _case(cases)).stderr == "vendor harness: database down"


def test_a_harness_that_is_not_there_fails_each_case(cases: list[Case]) -> None:
    result = _run("http://127.0.0.1:9/", _case(cases))  # the discard port: nothing listens there
    assert result.error is not None and "failed over HTTP (ConnectionRefusedError" in result.error


@pytest.mark.parametrize(
    "spelling, problem",
    [
        ("http://", "needs an address like"),
        ("http://user:secret@127.0.0.1/", "leave out user names, passwords"),
        ("http://127.0.0.1:99999/", "has a bad port"),
        ("http://[::1", "is not an address"),
        ("http://127.0.0.1/#part", "leave out user names, passwords and #fragments"),
        ("http://127.0.0.1/a b", "holds a space or control character"),
        ("http://127.0.0.1/\r\nX-Injected: 1", "holds a space or control character"),
    ],
)
def test_http_spellings_are_checked(spelling: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_candidate(spelling)


def test_the_scheme_is_read_in_any_letter_case(harness: str, cases: list[Case]) -> None:
    result = _run(f"{harness.replace('http://', 'HTTP://')}/good", _case(cases))
    assert result.error is None and result.delivered_count == 2


def test_the_reference_emitter_serves_the_conformance_run(pytester: pytest.Pytester) -> None:
    """`python -m reference_impl --serve 0` is the README's http example, run through pytest."""
    server = subprocess.Popen([sys.executable, "-m", "reference_impl", "--serve", "0"], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        address = server.stdout.readline().split()[-1]
        assert address.startswith("http://127.0.0.1:")
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            "-c",
            str(PROJECT / "pytest.ini"),
            "--rootdir",
            str(PROJECT),
            str(PROJECT / "cases" / "split-supply.yaml"),
            f"--candidate={address}",
        )
        result.assert_outcomes(passed=1)
    finally:
        server.terminate()
        server.wait(10)
