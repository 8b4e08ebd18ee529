"""`python -m reference_impl [--sign-key KEY.pem --sign-cert CERT.pem]`: the reference emitter
behind the command-line candidate protocol, optionally signing each alert as the DSP does."""

import argparse
import json
import sys
from pathlib import Path

from reference_impl.emitter import emit
from reference_impl.signing import load_signer, signing_emitter


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_impl", description=__doc__)
    parser.add_argument("--sign-key", type=Path, default=None, metavar="PEM", help="EC P-256 private key that signs each alert")
    parser.add_argument("--sign-cert", type=Path, default=None, metavar="PEM", help="its certificate (named by issuer and serial)")
    args = parser.parse_args()
    if (args.sign_key is None) != (args.sign_cert is None):
        parser.error("--sign-key and --sign-cert go together")
    emitter = signing_emitter(*load_signer(args.sign_key, args.sign_cert)) if args.sign_key else emit
    scenario = json.load(sys.stdin)
    for line in emitter(scenario):
        sys.stdout.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
