"""`http://` and `https://` candidates: a DSP test harness reached over HTTP, protocol version 1.

The scenario is POSTed as JSON; a 200 answer's body holds the JSON lines a `cmd:` candidate
would print. The body is saved under the byte limit and read back with the `cmd:` parser, so
a harness meets the same limits and messages as a command. The whole exchange runs in a
worker thread under the case time limit: a harness that never answers, or drips its answer a
byte at a time, is cut off when the time is up (its socket is shut down), not after each
read's own timeout. The exchange holds the socket itself from the moment it is connected:
http.client hands the socket of an answer without Content-Length (one that ends when the
connection closes) over to the response and forgets it, and the cut-off must still reach it.
Redirects are not followed and proxy settings are not read: the suite talks to the address it
was given and nothing else.
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
from typing import Any, BinaryIO

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
                return CandidateOutput(error=f"candidate {self.name} {_out_of_time(limits)}")
            if exchange.failure is not None:
                return CandidateOutput(error=f"candidate {self.name} {exchange.failure}", stderr=exchange.said)
            body.seek(0)
            return parse_saved_output(body, self.name, limits, "")


class _Exchange:
    """One POST and its answer; `failure` names what went wrong, `said` is an error answer's body.

    `run` is the worker thread, `cut_off` the waiting one. From the moment the socket is connected
    the exchange holds it, and an open file on it (`_pinned`) so that http.client's own closes never
    free its descriptor while `cut_off` may shut it down: the descriptor is closed under the lock.
    """

    def __init__(self, url: str, payload: bytes, limits: Limits) -> None:
        self.url, self.payload, self.limits = url, payload, limits
        self.failure: str | None = None
        self.said = ""
        self._lock = threading.Lock()
        self._cut = False
        self._socket: socket.socket | None = None
        self._pinned: BinaryIO | None = None

    def run(self, sink: Any) -> None:
        connection: http.client.HTTPConnection | None = None
        try:
            connection = self._connect()
            self.failure = self._post(connection, sink) if connection is not None else "was cut off before it was asked"
        except TimeoutError:  # a socket wait as long as the whole case: the case's time ran out first, or with it
            self.failure = _out_of_time(self.limits)
        except (OSError, http.client.HTTPException) as exc:
            self.failure = f"failed over HTTP ({type(exc).__name__}: {shortened(str(exc), 300)})"
        finally:
            if connection is not None:
                connection.close()
            with self._lock:
                pinned, self._socket, self._pinned = self._pinned, None, None
                if pinned is not None:
                    pinned.close()  # the last reference: the descriptor is closed here, never while cut_off holds it

    def cut_off(self) -> None:
        """From the waiting thread: shutting the socket down wakes a read (or send) blocked in the worker.

        A cut-off before the socket is connected is remembered: the worker sends nothing once it is.
        """
        with self._lock:
            self._cut = True
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    # the plain socket's shutdown: an SSLSocket's own also drops its TLS state under the worker's read
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def _connect(self) -> http.client.HTTPConnection | None:
        """The connected connection, its socket held by the exchange; None if the time was up meanwhile."""
        parts = urllib.parse.urlsplit(self.url)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.netloc, timeout=self.limits.timeout_seconds)
        connection.connect()
        with self._lock:
            if self._cut:
                connection.close()
                return None
            assert connection.sock is not None
            self._socket = connection.sock
            self._pinned = connection.sock.makefile("rb")
        return connection

    def _post(self, connection: http.client.HTTPConnection, sink: Any) -> str | None:
        parts = urllib.parse.urlsplit(self.url)
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        headers = {"Content-Type": "application/json", "Accept": "application/x-ndjson"}
        connection.request("POST", target, body=self.payload, headers=headers)
        with connection.getresponse() as answer:
            if answer.status != 200:
                self.said = answer.read(MAX_STDERR_SHOWN).decode("utf-8", errors="replace")
                return f"answered HTTP {answer.status} {shortened(answer.reason, 80)}"
            if (encoding := answer.getheader("Content-Encoding", "identity").strip().lower()) != "identity":
                return f"answered with Content-Encoding {shortened(encoding, 40)!r}: send the lines as they are, not encoded"
            if answer.length is not None and answer.length > self.limits.max_output_bytes:
                return f"announced {answer.length} bytes (Content-Length), over the {self.limits.max_output_bytes}-byte limit"
            written = 0
            while chunk := answer.read(_CHUNK):
                written += len(chunk)
                if written > self.limits.max_output_bytes:
                    return f"answered more than {self.limits.max_output_bytes} bytes and was cut off"
                sink.write(chunk)
            if answer.length:  # what Content-Length promised and never came: the answer was cut short
                return f"answered {written} bytes of the {written + answer.length} its Content-Length announced"
            return None


def _out_of_time(limits: Limits) -> str:
    return f"did not answer within {limits.timeout_seconds:g}s and was cut off"


def http_candidate(spec: str) -> HttpCandidate:
    """The candidate for an http:// or https:// address; anything else in the address is refused here."""
    try:
        parts = urllib.parse.urlsplit(spec)
    except ValueError as exc:  # an unclosed [IPv6 bracket
        raise ValueError(f"http candidate {spec!r} is not an address ({exc})") from exc
    if any(character.isspace() or not character.isprintable() for character in spec):
        raise ValueError(f"http candidate {spec!r} holds a space or control character: percent-encode it (%20)")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"http candidate {spec!r} needs an address like http://127.0.0.1:8765/alerts")
    if parts.username or parts.password or parts.fragment:
        raise ValueError(f"http candidate {spec!r}: leave out user names, passwords and #fragments")
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as exc:
        raise ValueError(f"http candidate {spec!r} has a bad port ({exc})") from exc
    return HttpCandidate(spec, spec)
