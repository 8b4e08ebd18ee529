"""Text from outside (a candidate's values, file names someone else chose) made safe to print.

A line break would forge a report line of its own; an escape sequence would be obeyed by the
terminal (colours, a cleared screen, text turned right to left) and hide what is printed.
"""

from __future__ import annotations

import re

_UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """A report line stays one line: line breaks and tabs in a value are shown escaped."""
    return visible(text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t"))


def flattened(text: str) -> str:
    """Any run of white space as one space, the rest as one_line shows it: a message on one line."""
    return visible(" ".join(text.split()))


def visible(text: str) -> str:
    """Control characters shown as escapes; a byte that is not UTF-8 (a surrogate escape in a
    file name) as a backslash escape, so printing cannot fail."""
    shown = _UNSEEN.sub(_escaped, text)
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"
