"""`http://` and `https://` candidates: a DSP test harness reached over HTTP, protocol version 1.

The scenario is POSTed as JSON; a 200 answer's body holds the JSON lines a `cmd:` candidate
would print. The body is saved under the byte limit and read back with the `cmd:` parser, so
a harness meets the same limits and messages as a command. The whole exchange runs in a
worker thread under the case time limit: a harness that never answers, or drips its answer a
byte at a time, is cut off when the time is up (its socket is shut down), not after each
read's own timeout. Redirects are not followed and proxy settings are not read: the suite
talks to the address it was given and nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import tempfile
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chfa_conformance.candidates import MAX_STDERR_SHOWN, CandidateOutput, Limits, parse_saved_output, shortened

_CHUNK = 1 << 16


@dataclass(frozen=True)
class HttpCandidate:
    name: str
    url: str

    def run(self, scenario: Mapping[str, Any], limits: Limits) -> CandidateOutput:
        exchange = _Exchange(self.url, json.dumps(scenario).encode("utf-8"), limits)
        with tempfile.TemporaryFile() as body:
            worker = threading.Thread(target=exchange.run, args=(body,), name=f"candidate {self.name}", daemon=True)
            worker.start()
            worker.join(limits.timeout_seconds)
            if worker.is_alive():
                exchange.cut_off()
                worker.join(5)
                return CandidateOutput(error=f"candidate {self.name} did not answer within {limits.timeout_seconds:g}s and was cut off")
            if exchange.failure is not None:
                return CandidateOutput(error=f"candidate {self.name} {exchange.failure}", stderr=exchange.said)
            body.seek(0)
            return parse_saved_output(body, self.name, limits, "")


class _Exchange:
    """One POST and its answer; `failure` names what went wrong, `said` is an error answer's body."""

    def __init__(self, url: str, payload: bytes, limits: Limits) -> None:
        self.url, self.payload, self.limits = url, payload, limits
        self.failure: str | None = None
        self.said = ""
        self._connection: http.client.HTTPConnection | None = None

    def run(self, sink: Any) -> None:
        try:
            self.failure = self._post(sink)
        except (OSError, http.client.HTTPException) as exc:
            self.failure = f"failed over HTTP ({type(exc).__name__}: {shortened(str(exc), 300)})"
        finally:
            if self._connection is not None:
                self._connection.close()

    def cut_off(self) -> None:
        """From the waiting thread: shutting the socket down wakes a read blocked in the worker."""
        connection = self._connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    def _post(self, sink: Any) -> str | None:
        parts = urllib.parse.urlsplit(self.url)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._connection = connection_type(parts.netloc, timeout=self.limits.timeout_seconds)
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        headers = {"Content-Type": "application/json", "Accept": "application/x-ndjson"}
        self._connection.request("POST", target, body=self.payload, headers=headers)
        answer = self._connection.getresponse()
        if answer.status != 200:
            self.said = answer.read(MAX_STDERR_SHOWN).decode("utf-8", errors="replace")
            return f"answered HTTP {answer.status} {shortened(answer.reason, 80)}"
        written = 0
        while chunk := answer.read(_CHUNK):
            written += len(chunk)
            if written > self.limits.max_output_bytes:
                return f"answered more than {self.limits.max_output_bytes} bytes and was cut off"
            sink.write(chunk)
        if answer.length:  # what Content-Length promised and never came: the answer was cut short
            return f"answered {written} bytes of the {written + answer.length} its Content-Length announced"
        return None


def http_candidate(spec: str) -> HttpCandidate:
    """The candidate for an http:// or https:// address; anything else in the address is refused here."""
    parts = urllib.parse.urlsplit(spec)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"http candidate {spec!r} needs an address like http://127.0.0.1:8765/alerts")
    if parts.username or parts.password or parts.fragment:
        raise ValueError(f"http candidate {spec!r}: leave out user names, passwords and #fragments")
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise ValueError(f"http candidate {spec!r} has a bad port ({exc})") from exc
    return HttpCandidate(spec, spec)
