"""The hostile and broken input corpus: each entry, what it is, and what the suite must say.

Documents are fed two ways: as captured files to `chfa-conformance validate` (the line it
prints) and as the one alert a `cmd:` candidate delivers for cases/electricity-only.yaml
(the finding, or the candidate error). Behaviours are candidates that misbehave as
processes. Every document is built from a valid reference alert at test time, so nothing
large is committed. Several point at a local file holding MARKER: it must never show up.

Hostile signatures have their own tables beside the verifier's tests: tests/test_signatures.py
EDITS (wrapping by a fragment URI, two References, two Signatures, a smuggled ds:Object, the
unused root namespace removed, other algorithms, a DER value...) and the signing mutants in
tests/test_signing_check.py (unsigned, tampered, a rotated-out serial, a stranger's key...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SUPPLIER = "90-B3-D5-1F-30-01-00-00"  # the one recipient in cases/electricity-only.yaml
MARKER = "chfa-hostile-marker-5e1f0c"
MIB = 1024 * 1024

Build = Callable[[bytes, Path], bytes]


@dataclass(frozen=True)
class Document:
    """A hostile or broken document. `finding` is (requirement id, text in its message); `error` a candidate error."""

    name: str
    what: str
    build: Build
    validate: str
    finding: tuple[str, str] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Behaviour:
    """A candidate process that misbehaves; `script` is Python run with sys, json and time imported."""

    name: str
    what: str
    script: str
    error: str | None
    findings: frozenset[str] = frozenset()
    timeout_seconds: float = 5.0


def _version_text(payload: bytes) -> Build:
    """The alert with FirmwareVersion's text replaced by `payload` (raw bytes, markup allowed)."""

    def build(alert: bytes, folder: Path) -> bytes:
        start = alert.index(b"<sr:FirmwareVersion>") + len(b"<sr:FirmwareVersion>")
        return alert[:start] + payload.replace(b"{folder}", str(folder).encode()) + alert[alert.index(b"</sr:FirmwareVersion>") :]

    return build


def _with_doctype(subset: str, payload: bytes) -> Build:
    """A DOCTYPE after the XML declaration, and `payload` in FirmwareVersion."""

    def build(alert: bytes, folder: Path) -> bytes:
        (folder / "evil.dtd").write_text(f'<!ENTITY stolen SYSTEM "file://{folder}/marker.txt">\n')
        declaration, rest = alert.split(b"?>", 1)
        doctype = f"<!DOCTYPE sr:Response {subset.replace('{folder}', str(folder))}>".encode()
        return _version_text(payload)(declaration + b"?>" + doctype + rest, folder)

    return build


def _in_utf16(inner: Build) -> Build:
    def build(alert: bytes, folder: Path) -> bytes:
        text = inner(alert, folder).decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
        return text.encode("utf-16")

    return build


def _padded(size: int) -> Build:
    """A well-formed alert made `size` bytes long by a comment (refused on size before parsing)."""

    def build(alert: bytes, folder: Path) -> bytes:
        filler = size - len(alert) - len(b"<!---->")
        return alert.replace(b"</sr:Response>", b"<!--" + b"x" * filler + b"--></sr:Response>")

    return build


def _cut_inside_text(text_bytes: int) -> Build:
    """Cut off inside a long FirmwareVersion text: a recovering parser returns the text truncated."""

    def build(alert: bytes, folder: Path) -> bytes:
        start = alert.index(b"<sr:FirmwareVersion>") + len(b"<sr:FirmwareVersion>")
        return alert[:start] + b"9" * text_bytes

    return build


def _attributes_on(start_tags: tuple[bytes, ...], count: int) -> Build:
    """`count` unknown attributes added to each of `start_tags` (a tree and schema-error-log bomb)."""

    def build(alert: bytes, folder: Path) -> bytes:
        attributes = b"".join(b' a%d=""' % number for number in range(count)) + b" "
        for tag in start_tags:
            alert = alert.replace(tag, tag + attributes, 1)
        return alert

    return build


def _utf7_attribute_bomb(alert: bytes, folder: Path) -> bytes:
    """Not one '<' or '=' byte after the declaration: a count of bytes would find nothing."""
    attributes = b"".join(b' a%d+AD0-""' % number for number in range(60_000))
    return b'<?xml version="1.0" encoding="UTF-7"?>+ADw-r' + attributes + b"/+AD4-"


def _dccboxed_xxe(alert: bytes, folder: Path) -> bytes:
    from tests.conftest import DCCBOXED  # noqa: PLC0415 - conftest imports the signing helpers, not this module

    path = DCCBOXED / "duis-xxe.xml"
    return path.read_bytes() if path.is_file() else b""


def _two_roots(alert: bytes, folder: Path) -> bytes:
    return alert + alert.split(b"?>", 1)[1]


def _without_zone(alert: bytes, folder: Path) -> bytes:
    return alert.replace(b"Z</sr:ResponseDateTime>", b"</sr:ResponseDateTime>")


REFUSED = "DUIS-SCHEMA", "the alert was refused before validation: "
XXE_SUBSET = '[<!ENTITY xxe SYSTEM "file://{folder}/marker.txt">]'

DOCUMENTS: tuple[Document, ...] = (
    Document(
        "dccboxed-xxe",
        "../shared/dccboxed/duis-xxe.xml: an external entity to /etc/passwd in the GBCS payload",
        _dccboxed_xxe,
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "dtd-refused"),
    ),
    Document(
        "xxe-in-payload",
        "an external entity naming a local file with a marker, used in FirmwareVersion",
        _with_doctype(XXE_SUBSET, b"&xxe;"),
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "dtd-refused"),
    ),
    Document(
        "entity-expansion-bomb",
        "ten levels of internal entities, each ten of the one below (10^10 'lol')",
        _with_doctype(
            "[" + '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 11)) + "]", b"&l10;"
        ),
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "dtd-refused"),
    ),
    Document(
        "external-dtd",
        "a DOCTYPE naming an external DTD file that declares an entity to the marker file",
        _with_doctype('SYSTEM "file://{folder}/evil.dtd"', b"&stolen;"),
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "dtd-refused"),
    ),
    Document(
        "parameter-entity",
        "a parameter entity pulling the marker file into the internal subset",
        _with_doctype('[<!ENTITY % p SYSTEM "file://{folder}/marker.txt"> %p;]', b"9002"),
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "dtd-refused"),
    ),
    Document(
        "doctype-in-utf16",
        "the XXE document in UTF-16, so '<!DOCTYPE' is not in its bytes as ASCII",
        _in_utf16(_with_doctype(XXE_SUBSET, b"&xxe;")),
        "refused: dtd-refused",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document(
        "xinclude-of-a-local-file",
        "an XInclude element naming the marker file (never processed)",
        _version_text(b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{folder}/marker.txt" parse="text"/>'),
        "schema-invalid",
        ("DUIS-SCHEMA", "not valid against the DUIS schema"),
    ),
    Document(
        "document-100-mib",
        "a 100 MiB alert (refused on size, never read or parsed whole)",
        _padded(100 * MIB),
        "refused: too-large",
        error="output line 1 is over",
    ),
    Document(
        "document-40-mib",
        "a 40 MiB alert, over the 32 MiB document limit but within one output line",
        _padded(40 * MIB),
        "refused: too-large",
        (REFUSED[0], REFUSED[1] + "too-large"),
    ),
    Document(
        "text-node-over-parser-limit",
        "a 10 MiB FirmwareVersion text, over libxml2's 10,000,000-byte text limit",
        _version_text(b"9" * (10 * MIB)),
        "refused: parser-limit",
        (REFUSED[0], REFUSED[1] + "parser-limit"),
    ),
    Document(
        "text-node-cut-off",
        "cut off inside a 9 MiB text node: a parser in recover mode would keep the cut text",
        _cut_inside_text(9 * MIB),
        "refused: not-well-formed",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document(
        "nesting-10000-deep",
        "10,000 nested elements inside FirmwareVersion",
        _version_text(b"<a>" * 10_000 + b"</a>" * 10_000),
        "refused: parser-limit",
        (REFUSED[0], REFUSED[1] + "parser-limit"),
    ),
    Document(
        "attribute-bomb",
        "850,000 unknown attributes on each of three elements (26 MiB): 3.8 GB in schema validation before the node limit",
        _attributes_on((b"<sr:Response ", b"<sr:ResponseCode", b"<sr:ResponseDateTime"), 850_000),
        "refused: parser-limit: more than 50,000 elements and attributes",
        (REFUSED[0], REFUSED[1] + "parser-limit: more than 50,000 elements and attributes"),
    ),
    Document(
        "element-bomb",
        "7 million empty elements in FirmwareVersion (28 MiB): about 1 GB as a tree",
        _version_text(b"<a/>" * 7_000_000),
        "refused: parser-limit: more than 50,000 elements and attributes",
        (REFUSED[0], REFUSED[1] + "parser-limit: more than 50,000 elements and attributes"),
    ),
    Document(
        "attribute-bomb-in-utf-7",
        "60,000 attributes whose '<', '=' and '>' are spelled in UTF-7 (+ADw-, +AD0-, +AD4-), declared in the XML declaration",
        _utf7_attribute_bomb,
        "refused: parser-limit: more than 50,000 elements and attributes",
        (REFUSED[0], REFUSED[1] + "parser-limit: more than 50,000 elements and attributes"),
    ),
    Document(
        "invalid-utf-8",
        "bytes 0xFF 0xFE in FirmwareVersion of a document declared UTF-8",
        _version_text(b"\xff\xfe"),
        "refused: not-well-formed",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document(
        "two-root-elements",
        "two alerts back to back in one document",
        _two_roots,
        "refused: not-well-formed",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document("empty", "an empty document", lambda alert, folder: b"", "refused: empty", (REFUSED[0], REFUSED[1] + "empty")),
    Document(
        "truncated",
        "the first half of an alert",
        lambda alert, folder: alert[: len(alert) // 2],
        "refused: not-well-formed",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document(
        "not-xml",
        "a line of plain text",
        lambda alert, folder: b"this line is not XML\n",
        "refused: not-well-formed",
        (REFUSED[0], REFUSED[1] + "not-well-formed"),
    ),
    Document(
        "response-datetime-without-zone",
        "ResponseDateTime with no time zone (valid xs:dateTime) fed to the timing checks",
        _without_zone,
        "valid",
        ("HEADER-TIME", "ResponseDateTime has no time zone"),
    ),
    Document(
        "root-without-schema-version",
        "the root's schemaVersion attribute removed: no schema can be chosen",
        lambda alert, folder: alert.replace(b' schemaVersion="5.1"', b"", 1),
        "schema-invalid: the root has no schemaVersion attribute",
        ("DUIS-SCHEMA", "not valid against the DUIS schema for an alert without schemaVersion: the root has no schemaVersion attribute"),
    ),
    Document(
        "root-in-another-namespace",
        "the DUIS namespace with a trailing slash: the root keeps its schemaVersion but no schema declares it",
        lambda alert, folder: alert.replace(b"ServiceUserGateway", b"ServiceUserGateway/"),
        "schema-invalid: line 2: Element '{http://www.dccinterface.co.uk/ServiceUserGateway/}Response': No matching global declaration",
        ("DUIS-SCHEMA", "for schemaVersion 5.1: line 2: Element '{http://www.dccinterface.co.uk/ServiceUserGateway/}Response': No"),
    ),
    Document(
        "root-renamed",
        "a Request root around an alert's content",
        lambda alert, folder: alert.replace(b"sr:Response ", b"sr:Request ", 1).replace(b"</sr:Response>", b"</sr:Request>"),
        "schema-invalid: line 2: Element '{http://www.dccinterface.co.uk/ServiceUserGateway}Request': No matching global declaration",
        ("DUIS-SCHEMA", "for schemaVersion 5.1: line 2: Element '{http://www.dccinterface.co.uk/ServiceUserGateway}Request': No matching"),
    ),
)

_ALERT_LINE = 'line = json.dumps({"recipient": "' + SUPPLIER + '", "xml": "<a/>"}) + "\\n"\n'

BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        "never-exits",
        "reads the scenario, then sleeps past the time limit",
        "sys.stdin.read(); time.sleep(120)",
        "did not finish within 1s",
        timeout_seconds=1.0,
    ),
    Behaviour(
        "exits-non-zero", "writes an error and exits with status 3", "sys.stderr.write('boom\\n'); sys.exit(3)", "exited with status 3"
    ),
    Behaviour(
        "prints-a-million-alerts",
        "a million full alerts (about 700 MB): stopped at the output byte limit",
        "import reference_impl\nscenario = json.load(sys.stdin)\nline = json.dumps(reference_impl.emit(scenario)[0]) + '\\n'\n"
        "for _ in range(1000): sys.stdout.write(line * 1000)",
        "wrote more than 134217728 bytes",
    ),
    Behaviour(
        "prints-a-million-small-alerts",
        "a million tiny alert lines (45 MB): refused on the line count before parsing",
        _ALERT_LINE + "for _ in range(1000): sys.stdout.write(line * 1000)",
        "wrote more than 500000 lines",
    ),
    Behaviour(
        "empty-output",
        "exits 0 having written nothing: every expected alert is missing",
        "sys.stdin.read()",
        None,
        frozenset({"RECIPIENTS-RESPONSIBLE"}),
    ),
    Behaviour("non-json-line", "writes a line that is not JSON", "print('hello, I am not JSON')", "output line 1 is not JSON"),
    Behaviour(
        "hundred-thousand-digit-number",
        "a recipient written as a 100,000-digit number (over Python's integer-conversion limit)",
        "print('{\"recipient\": ' + '9' * 100000 + ', \"xml\": \"<a/>\"}')",
        "output line 1 is not JSON (Exceeds the limit",
    ),
    Behaviour(
        "repeated-key",
        "a line naming two recipients: refused, not read last-wins",
        'print(\'{"recipient": "a", "recipient": "' + SUPPLIER + '", "xml": "<a/>"}\')',
        "output line 1 is not JSON (repeated key 'recipient')",
    ),
    Behaviour(
        "lone-surrogate-recipient",
        "a recipient holding a lone surrogate (not encodable text)",
        "print(json.dumps({'recipient': '\\udcff', 'xml': '<a/>'}))",
        "not valid Unicode",
    ),
)

SETUPS = ("official-schema-folder-without-mmc",)  # see test_hostile_input: the schema load fails closed


def corpus_size() -> int:
    return len(DOCUMENTS) + len(BEHAVIOURS) + len(SETUPS)
