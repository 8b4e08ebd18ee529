"""Parsing of untrusted XML: no DTDs, no entities, no network, bounded size and depth.

Every document a candidate emits or an auditor feeds in passes through here first. The
parser never recovers from errors (a recovering parser silently truncates), never loads a
DTD or an external entity, and keeps libxml2's default limits on text size and depth, so
a hostile document ends as an XmlProblem, not as a file read, a hang or a memory spike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from lxml import etree

_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_ENCODINGS = (  # how a document in UTF-32 or UTF-16 starts (with or without a byte order mark), and its codec
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
ProblemKind = Literal["empty", "too-large", "dtd-refused", "not-well-formed", "parser-limit"]
_LIBXML_ADVICE = re.compile(r",? (?:use|try) XML_PARSE_HUGE(?: option)?", re.IGNORECASE)
_LIMIT_MARKERS = ("huge text node", "excessive depth", "resource limit", "xml_parse_huge", "too long", "limit exceeded")


@dataclass(frozen=True)
class XmlProblem:
    """Why a document was refused before any check could look at it."""

    kind: ProblemKind
    detail: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.kind}: {self.detail}{where}"


def hardened_parser() -> etree.XMLParser:
    """A parser with every way of reaching outside the document switched off."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )


def parse_untrusted(data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._Element | XmlProblem:
    """The document's root element, or the reason it was refused."""
    if not data.strip():
        return XmlProblem("empty", "no document")
    if len(data) > max_bytes:
        return XmlProblem("too-large", f"{len(data)} bytes exceeds the {max_bytes}-byte limit")
    if _declares_doctype(data):
        return XmlProblem("dtd-refused", "a document type declaration is not allowed in a DUIS message")
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        return _classify(exc)
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype:
        return XmlProblem("dtd-refused", "a document type declaration is not allowed in a DUIS message")
    return root


def _declares_doctype(data: bytes) -> bool:
    """Whether a DOCTYPE follows the prolog (declaration, comments, PIs, space): refused before
    libxml2 reads its internal subset. The words inside a comment or text do not count; a
    document in an encoding this scan cannot read is checked again after parsing."""
    data = _as_utf8(data)
    position = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    while (match := _PROLOG_ITEM.match(data, position)) is not None and match.end() > position:
        position = match.end()
    return data.startswith(b"<!DOCTYPE", position)


def _as_utf8(data: bytes) -> bytes:
    """A UTF-16 or UTF-32 document re-encoded as UTF-8, so the prolog scan reads it too. Whole (it is
    at most MAX_DOCUMENT_BYTES): a prefix would let a long comment carry the DOCTYPE past the scan."""
    for start, codec in _WIDE_ENCODINGS:
        if data.startswith(start):
            return data.decode(codec, errors="replace").lstrip("\ufeff").encode("utf-8")
    return data


def _classify(exc: etree.XMLSyntaxError) -> XmlProblem:
    message = " ".join(str(exc.msg or exc).split())
    line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
    if any(marker in message.lower() for marker in _LIMIT_MARKERS):
        return XmlProblem("parser-limit", _LIBXML_ADVICE.sub("", message), line)  # the advice names a switch only this suite holds
    return XmlProblem("not-well-formed", message, line)
