"""Verdicts on single captured files, for people who hold messages rather than a DSP build.

Integration-test participants and auditors feed in files nobody vetted: each is read with
a size limit (a file over it is refused without being read), parsed only through
xml_safety.parse_untrusted, and judged to one line: file, verdict, reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chfa_conformance.bounded_read import FileNotRead, read_bounded
from chfa_conformance.duis_schema import SchemaSet
from chfa_conformance.printable import flattened, one_line
from chfa_conformance.signatures import DspCertificate, verify_signature
from chfa_conformance.xml_safety import MAX_DOCUMENT_BYTES, XmlProblem, parse_untrusted

MAX_REASON_CHARS = 240


@dataclass(frozen=True)
class FileVerdict:
    """One file's outcome; anything but 'valid' fails the command."""

    path: str
    verdict: str
    reason: str

    @property
    def passed(self) -> bool:
        return self.verdict == "valid"

    def line(self) -> str:
        """One printable line, whatever bytes the file name or the reason hold."""
        return f"{one_line(self.path)}: {self.verdict}: {flattened(self.reason)}"


def read_captured(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes | FileVerdict:
    """The file's bytes, or why it was not read (too large, not a regular file, unreadable)."""
    try:
        return read_bounded(path, max_bytes)
    except FileNotRead as exc:
        if exc.too_large:
            return FileVerdict(str(path), "refused", f"too-large: {exc.reason}")
        return FileVerdict(str(path), "unreadable", exc.reason)


def validate_file(path: Path, schemas: SchemaSet) -> FileVerdict:
    """Valid against the schema of the file's own schemaVersion, or why not."""
    data = read_captured(path)
    if isinstance(data, FileVerdict):
        return data
    root = parse_untrusted(data)
    if isinstance(root, XmlProblem):
        return FileVerdict(str(path), "refused", str(root))
    version = root.get("schemaVersion")
    verdict = schemas.validate(root, version)
    if verdict.valid:
        return FileVerdict(str(path), "valid", f"schemaVersion {(version or '').strip()}, {schemas.description}")
    kind = "no-schema" if verdict.schema_missing else "not-covered" if verdict.not_covered else "schema-invalid"
    return FileVerdict(str(path), kind, "; ".join(_shortened(error) for error in verdict.errors))


def _shortened(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """libxml2 lists a whole enumeration in its message; the start says what is wrong."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def verify_file(path: Path, certificates: Sequence[DspCertificate]) -> FileVerdict:
    """The file's signature verdict (see chfa_conformance.signatures)."""
    data = read_captured(path)
    if isinstance(data, FileVerdict):
        return data
    verdict = verify_signature(data, certificates)
    return FileVerdict(str(path), verdict.kind, verdict.reason)
