"""`python -m reference_impl [--sign-key KEY.pem --sign-cert CERT.pem] [--serve PORT]`: the
reference emitter behind the candidate protocol, optionally signing each alert as the DSP does.
Without --serve it reads one scenario on stdin (the `cmd:` form); with --serve it answers each
POSTed scenario on 127.0.0.1:PORT (the `http:` form)."""

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reference_impl.emitter import emit
from reference_impl.signing import load_signer, signing_emitter

Emitter = Callable[[Mapping[str, Any]], Iterable[Mapping[str, Any]]]
MAX_SCENARIO_BYTES = 64 * 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_impl", description=__doc__)
    parser.add_argument("--sign-key", type=Path, default=None, metavar="PEM", help="EC P-256 private key that signs each alert")
    parser.add_argument("--sign-cert", type=Path, default=None, metavar="PEM", help="its certificate (named by issuer and serial)")
    parser.add_argument("--serve", type=int, default=None, metavar="PORT", help="answer POSTed scenarios on 127.0.0.1:PORT")
    args = parser.parse_args()
    if (args.sign_key is None) != (args.sign_cert is None):
        parser.error("--sign-key and --sign-cert go together")
    emitter: Emitter = signing_emitter(*load_signer(args.sign_key, args.sign_cert)) if args.sign_key else emit
    if args.serve is not None:
        serve(emitter, args.serve)
        return 0
    sys.stdout.write(protocol_lines(emitter, json.load(sys.stdin)))
    return 0


def protocol_lines(emitter: Emitter, scenario: Mapping[str, Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in emitter(scenario))


def serve(emitter: Emitter, port: int) -> None:
    """Serve until interrupted; port 0 picks a free one, printed on the first line."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_SCENARIO_BYTES:
                self._answer(400, f"send the scenario as a JSON body of 1 to {MAX_SCENARIO_BYTES} bytes\n")
                return
            try:
                body = protocol_lines(emitter, json.loads(self.rfile.read(length)))
            except (ValueError, KeyError, TypeError) as exc:
                self._answer(400, f"not a protocol-v1 scenario: {exc}\n")
                return
            self._answer(200, body, "application/x-ndjson")

        def _answer(self, status: int, text: str, kind: str = "text/plain") -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", port), Handler) as server:
        print(f"reference emitter serving on http://127.0.0.1:{server.server_address[1]}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


if __name__ == "__main__":
    raise SystemExit(main())
