"""The run options pytest and the CLI share, defined once: a default, a choice or a help text
cannot differ between the two entry points, and a new option is added in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chfa_conformance.generation import SHRINK_RUNS
from chfa_conformance.report import LEVEL_ORDER, positive_seconds, whole_number

# argparse's keywords per option; those naming files take the entry point's path type
RUN_OPTIONS: Mapping[str, Mapping[str, Any]] = {
    "--candidate": {
        "default": "reference",
        "help": 'reference | python:module:function | cmd:"command line" | http://host:port/path (default: reference)',
    },
    "--duis-xsd": {
        "default": None,
        "metavar": "DIR",
        "help": "validate against the official DUIS schema files in DIR instead of the compact schemas",
    },
    "--case-timeout": {
        "type": positive_seconds,
        "default": None,
        "metavar": "SECONDS",
        "help": "time limit per case for the candidate (default 60)",
    },
    "--fail-on": {
        "choices": tuple(level.lower() for level in LEVEL_ORDER),
        "default": "should",
        "help": "lowest requirement level whose findings fail a case (default should)",
    },
    "--matrix": {"default": None, "metavar": "DIR", "help": "write the compliance matrix (JSON, Markdown, HTML) into DIR"},
    "--dsp-cert": {
        "action": "append",
        "default": [],
        "metavar": "PEM",
        "help": "verify each alert's signature against this DSP certificate (repeatable; judges SIGNED)",
    },
    "--thorough": {
        "action": "store_true",
        "help": "generated scenarios: draw the nightly number of examples (thorough_examples) instead of the CI number",
    },
    "--shrink-runs": {
        "type": whole_number(0),
        "default": SHRINK_RUNS,
        "metavar": "N",
        "help": "generated scenarios: candidate runs spent shrinking a failure (default %(default)s; lower for slow cmd: candidates)",
    },
    "--save-failures": {
        "default": None,
        "metavar": "DIR",
        "help": "generated scenarios: write each shrunk failure into DIR as a case file that replays it",
    },
}
PATH_OPTIONS = frozenset({"--duis-xsd", "--matrix", "--dsp-cert", "--save-failures"})


def add_run_options(
    add: Callable[..., Any], names: Sequence[str], path_type: Callable[[str], Any] = str, help_notes: Mapping[str, str] | None = None
) -> None:
    """Register `names` through `add` (argparse's add_argument or pytest's addoption);
    `help_notes` appends an entry point's own remark to an option's help."""
    for name in names:
        keywords = dict(RUN_OPTIONS[name])
        if name in PATH_OPTIONS:
            keywords["type"] = path_type
        if help_notes and name in help_notes:
            keywords["help"] += help_notes[name]
        add(name, **keywords)
