"""Parsing of untrusted XML: no DTDs, no entities, no network, bounded size, depth and node count.

Every document a candidate emits or an auditor feeds in passes through here first. The
parser never recovers from errors (a recovering parser silently truncates), never loads a
DTD or an external entity, and keeps libxml2's default limits on text size and depth, so
a hostile document ends as an XmlProblem, not as a file read, a hang or a memory spike.
libxml2 sets no limit on elements or attributes, and each costs a few hundred bytes in the
tree and about a kilobyte per schema error, so they are counted in the text before parsing.
"""

from __future__ import annotations

import codecs
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
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
_ASCII_BASED = frozenset({"utf-8", "ascii"})  # '<' and '=' are never part of another character in these

# The pieces of a document the node count walks: what is not a start tag, then a start tag's parts.
_NOT_A_START_TAG = re.compile(r"[^<]+|</[^>]*>|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)
_START_TAG_NAME = re.compile(r"<[^\s/>!?][^\s/>]*")
_ATTRIBUTE = re.compile(r"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')""")
_START_TAG_END = re.compile(r"\s*/?>")

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
MAX_MARKUP_ITEMS = 50_000  # elements, attributes, comments, PIs: an alert has about 20; each may cost ~1.5 KB as a schema error
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
    readings = _readings(data)
    if isinstance(readings, XmlProblem):
        return readings
    if any(_declares_doctype(text) for text in readings):
        return XmlProblem("dtd-refused", "a document type declaration is not allowed in a DUIS message")
    for text in readings:
        if (over := _markup_over_limit(text, MAX_MARKUP_ITEMS)) is not None:
            detail = f"more than {MAX_MARKUP_ITEMS:,} elements and attributes (this suite's limit, counted before parsing)"
            return XmlProblem("parser-limit", detail, text.count("\n", 0, over) + 1)
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        return _classify(exc)
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype:
        return XmlProblem("dtd-refused", "a document type declaration is not allowed in a DUIS message")
    return root


def _readings(data: bytes) -> tuple[str, ...] | XmlProblem:
    """The document as text in each encoding libxml2 may read it in, so the DOCTYPE scan and the
    node count see what the parser sees: in UTF-16 or UTF-7 '<' is not the byte 0x3C. A wide
    document has one reading; otherwise its bytes, plus its declared encoding where that is not
    ASCII-based (libxml2 may ignore a declaration). An encoding Python does not know is refused."""
    for start, codec in _WIDE_ENCODINGS:
        if data.startswith(start):
            return (data.decode(codec, errors="replace").lstrip("\ufeff"),)
    as_bytes = data.removeprefix(_UTF8_BOM).decode("latin-1")
    if (declared := _DECLARED_ENCODING.match(data.removeprefix(_UTF8_BOM))) is None:
        return (as_bytes,)
    name = declared.group(1).decode()
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return XmlProblem("not-well-formed", f"unsupported encoding {name!r}")
    if codec in _ASCII_BASED or codec.startswith(("utf-16", "utf-32")):
        return (as_bytes,)
    return as_bytes, data.decode(codec, errors="replace")


def _declares_doctype(text: str) -> bool:
    """Whether a DOCTYPE follows the prolog (declaration, comments, PIs, space): refused before
    libxml2 reads its internal subset. The words inside a comment or text do not count."""
    position = 0
    while (match := _PROLOG_ITEM.match(text, position)) is not None and match.end() > position:
        position = match.end()
    return text.startswith("<!DOCTYPE", position)


def _markup_over_limit(text: str, limit: int) -> int | None:
    """Where the document passes `limit` elements, attributes, comments and PIs, or None.

    Each of them needs a '<' or an '=', so a document with fewer of those two is under the
    limit without a walk. Otherwise the walk stops at the limit; where it cannot read the
    markup it counts every '<' and '=' left, which never counts fewer than the parser makes."""
    if text.count("<") + text.count("=") <= limit:
        return None
    items, position = 0, 0
    while position < len(text):
        if (other := _NOT_A_START_TAG.match(text, position)) is not None:
            items += other.group().startswith(("<!", "<?"))
            position = other.end()
        elif (name := _START_TAG_NAME.match(text, position)) is not None:
            items, position = items + 1, name.end()
            while items <= limit and (attribute := _ATTRIBUTE.match(text, position)) is not None:
                items, position = items + 1, attribute.end()
            if items <= limit and (end := _START_TAG_END.match(text, position)) is not None:
                position = end.end()
            elif items <= limit:
                return _rest_over_limit(text, position, items, limit)
        else:
            return _rest_over_limit(text, position, items, limit)
        if items > limit:
            return position
    return None


def _rest_over_limit(text: str, position: int, items: int, limit: int) -> int | None:
    return position if items + text.count("<", position) + text.count("=", position) > limit else None


def _classify(exc: etree.XMLSyntaxError) -> XmlProblem:
    message = " ".join(str(exc.msg or exc).split())
    line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
    if any(marker in message.lower() for marker in _LIMIT_MARKERS):
        return XmlProblem("parser-limit", _LIBXML_ADVICE.sub("", message), line)  # the advice names a switch only this suite holds
    return XmlProblem("not-well-formed", message, line)
