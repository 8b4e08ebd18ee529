"""`python -m reference_impl`: the reference emitter behind the command-line candidate protocol."""

import json
import sys

from reference_impl.emitter import emit


def main() -> int:
    scenario = json.load(sys.stdin)
    for line in emit(scenario):
        sys.stdout.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
