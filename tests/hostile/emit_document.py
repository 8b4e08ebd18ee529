"""Command-line candidate for the hostile corpus: delivers the document in a file as one alert.

Usage: emit_document.py DOCUMENT RECIPIENT (the scenario on stdin is read and ignored). Bytes
that are not UTF-8 travel as lone surrogates in the JSON, as a careless encoder would send them.
"""

import json
import sys
from pathlib import Path

if __name__ == "__main__":
    document, recipient = Path(sys.argv[1]), sys.argv[2]
    sys.stdin.read()
    text = document.read_bytes().decode("utf-8", "surrogateescape")
    sys.stdout.write(json.dumps({"recipient": recipient, "xml": text}) + "\n")
