"""Run one mutant of the catalogue as a separate process (candidate protocol, cmd: form).

Usage: python run_mutant.py NAME  (scenario JSON on stdin, protocol lines on stdout)
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.mutants.catalogue import emitter_named

if __name__ == "__main__":
    emit = emitter_named(sys.argv[1])
    for line in emit(json.load(sys.stdin)):
        sys.stdout.write(json.dumps(line) + "\n")
