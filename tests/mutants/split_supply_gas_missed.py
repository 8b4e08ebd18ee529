"""Command-line mutant: at split-supply hubs the gas supplier is never alerted."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.mutants.catalogue import forget_gas_supplier_at_split_hubs
from tests.mutants.wrapping import with_altered_scenario

if __name__ == "__main__":
    mutant = with_altered_scenario(forget_gas_supplier_at_split_hubs)
    for line in mutant(json.load(sys.stdin)):
        sys.stdout.write(json.dumps(line) + "\n")
