"""Hostile and broken input ends as a finding or a one-line verdict, never a crash, hang or file read.

The corpus is tests/hostile/corpus.py: each document goes through `chfa-conformance validate`
and `verify-signature` as a captured file, and through a `cmd:` candidate as the alert it
delivers; each behaviour is a candidate process. Several documents point at a local file
holding a marker string, which must never appear in anything the suite prints or returns.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from lxml import etree

from chfa_conformance import xml_safety
from chfa_conformance.candidates import CommandCandidate, Limits
from chfa_conformance.cases import Case
from chfa_conformance.cli import main
from chfa_conformance.evaluation import CaseResult, RunSettings, run_case
from chfa_conformance.xml_safety import XmlProblem, parse_untrusted
from reference_impl import emit
from tests.conftest import PROJECT, settings_for
from tests.hostile.corpus import BEHAVIOURS, DOCUMENTS, MARKER, SUPPLIER, Behaviour, Document, corpus_size
from tests.signing_keys import Signer

HOSTILE = Path(__file__).parent / "hostile"
DOCUMENT_BY_NAME = {document.name: document for document in DOCUMENTS}
BEHAVIOUR_BY_NAME = {behaviour.name: behaviour for behaviour in BEHAVIOURS}
LIMITS = Limits(timeout_seconds=5.0)


@pytest.fixture(scope="module")
def electricity_only(cases: list[Case]) -> Case:
    return next(case for case in cases if case.id == "electricity-only")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, electricity_only: Case) -> dict[str, Path]:
    """Every document written to a file, next to the marker file some of them point at."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "marker.txt").write_text(MARKER)
    alert = next(line["xml"] for line in emit(electricity_only.scenario.as_protocol()) if "xml" in line).encode()
    assert alert.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    paths = {}
    for document in DOCUMENTS:
        paths[document.name] = folder / f"{document.name}.xml"
        paths[document.name].write_bytes(document.build(alert, folder))
    if not paths["dccboxed-xxe"].read_bytes():
        pytest.skip("../shared/dccboxed/duis-xxe.xml not present")
    return paths


def test_the_corpus_covers_at_least_fifteen_hostile_inputs() -> None:
    assert corpus_size() >= 15
    assert len(DOCUMENT_BY_NAME) == len(DOCUMENTS) and len(BEHAVIOUR_BY_NAME) == len(BEHAVIOURS)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(["--project", str(PROJECT), *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


@pytest.mark.parametrize("name", sorted(DOCUMENT_BY_NAME))
def test_a_captured_file_gets_one_line_from_validate(name: str, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    document: Document = DOCUMENT_BY_NAME[name]
    code, lines, err = _cli(["validate", str(corpus[name])], capsys)
    assert len(lines) == 1 and err == ""
    assert lines[0].startswith(f"{corpus[name]}: {document.validate}"), lines[0]
    assert code == (0 if document.validate == "valid" else 1)
    assert MARKER not in lines[0]
    assert "XML_PARSE_HUGE" not in lines[0]  # libxml2's advice names a switch only the suite holds


@pytest.mark.parametrize("name", sorted(DOCUMENT_BY_NAME))
def test_a_captured_file_gets_one_line_from_verify_signature(
    name: str, corpus: dict[str, Path], dsp_signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    document: Document = DOCUMENT_BY_NAME[name]
    code, lines, err = _cli(["verify-signature", str(corpus[name]), "--dsp-cert", str(dsp_signer.cert_path)], capsys)
    expected = "refused" if document.validate.startswith("refused") else "unsigned"
    assert len(lines) == 1 and err == "" and code == 1
    assert lines[0].startswith(f"{corpus[name]}: {expected}: "), lines[0]
    assert MARKER not in lines[0]


def _run(argv: tuple[str, ...], case: Case, limits: Limits = LIMITS) -> CaseResult:
    base = settings_for("reference")
    settings = RunSettings(base.spec, base.schemas, CommandCandidate("cmd:hostile", argv), limits, base.schemas_dir)
    return run_case(case, settings)


def _everything_said(result: CaseResult) -> str:
    return " ".join([result.error or "", result.stderr, *(f"{f.message} {f.evidence()}" for f in result.findings)])


@pytest.mark.parametrize("name", sorted(DOCUMENT_BY_NAME))
def test_a_candidate_delivering_the_document_gets_a_finding_or_an_error(name: str, corpus: dict[str, Path], electricity_only: Case) -> None:
    document: Document = DOCUMENT_BY_NAME[name]
    result = _run((sys.executable, str(HOSTILE / "emit_document.py"), str(corpus[name]), SUPPLIER), electricity_only)
    if document.error is not None:
        assert result.error is not None and document.error in result.error, result.error
        assert result.findings == ()
    else:
        assert document.finding is not None and result.error is None, result.error
        requirement, text = document.finding
        assert [(f.requirement, text in f.message) for f in result.findings] == [(requirement, True)], result.findings
    assert MARKER not in _everything_said(result)


@pytest.mark.parametrize("name", sorted(BEHAVIOUR_BY_NAME))
def test_a_misbehaving_candidate_process_fails_its_case_clearly(name: str, electricity_only: Case, tmp_path: Path) -> None:
    behaviour: Behaviour = BEHAVIOUR_BY_NAME[name]
    script = tmp_path / "candidate.py"
    script.write_text("import sys, json, time\n" + behaviour.script + "\n")
    result = _run((sys.executable, str(script)), electricity_only, Limits(timeout_seconds=behaviour.timeout_seconds))
    if behaviour.error is None:
        assert result.error is None
        assert {finding.requirement for finding in result.findings} == behaviour.findings
    else:
        assert result.error is not None and behaviour.error in result.error, result.error
        assert "\n" not in result.error


def test_a_recovering_parser_would_have_hidden_both_faults(corpus: dict[str, Path]) -> None:
    """Why the suite never recovers: both documents then 'parse', one truncated, one completed by guesswork."""
    recovering = etree.XMLParser(recover=True)
    over_limit = etree.fromstring(corpus["text-node-over-parser-limit"].read_bytes(), recovering)
    version = next(over_limit.iter("{*}FirmwareVersion"))
    assert version.text is not None and len(version.text) < 10 * 1024 * 1024  # silently truncated
    assert next(over_limit.iter("{*}ResponseDateTime"), None) is not None
    cut = etree.fromstring(corpus["text-node-cut-off"].read_bytes(), recovering)
    assert etree.tostring(cut).endswith(
        b"</sr:FirmwareVersion></sr:CommsHubFirmwareActivation></sr:DCCAlert></sr:DCCAlertMessage></sr:Body></sr:Response>"
    )
    sources = "\n".join(path.read_text() for path in (PROJECT / "src").rglob("*.py"))
    assert "recover=True" not in sources and "huge_tree=True" not in sources and "resolve_entities=True" not in sources


def _official_schemas_without_mmc_51(official_duis: Path, folder: Path) -> Path:
    """A copy of the official schema folder lacking the MMC file DUIS 5.1 imports."""
    folder.mkdir()
    for path in official_duis.iterdir():
        if not path.name.startswith("MMC Schema V5.1"):
            shutil.copy(path, folder / path.name)
    return folder


def test_schema_folder_without_its_mmc_import_fails_closed_in_validate(
    official_duis: Path, tmp_path: Path, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    partial = _official_schemas_without_mmc_51(official_duis, tmp_path / "duis")
    code, lines, err = _cli(["validate", str(corpus["response-datetime-without-zone"]), "--duis-xsd", str(partial)], capsys)
    assert code == 2 and lines == []
    assert err.count("\n") == 1 and "imports 'MMC Schema V5.1.xsd', which is not in" in err


@pytest.mark.parametrize("kind", ["huge", "fifo", "dev-zero", "outside-the-folder"])
def test_a_schema_folder_file_that_is_huge_or_not_a_file_is_refused_unread(
    kind: str, official_duis: Path, tmp_path: Path, corpus: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A 400 MB imported schema took 6 GB before failing as 'unknown error' blamed on the DUIS file."""
    folder = _official_schemas_without_mmc_51(official_duis, tmp_path / "duis")
    mmc = folder / "MMC Schema V5.1.xsd"
    if kind == "huge":
        with mmc.open("wb") as sparse:
            sparse.truncate(400 * 1024 * 1024)  # no disk used, nothing to read but its size
        expected = f"{mmc}: cannot read the schema: 419430400 bytes exceeds the 8388608-byte limit (not read)"
    elif kind == "fifo":
        os.mkfifo(mmc)
        expected = f"{mmc}: cannot read the schema: not a regular file"
    elif kind == "dev-zero":
        mmc.symlink_to("/dev/zero")
        expected = f"{mmc}: cannot read the schema: not a regular file"
    else:
        duis = folder / "DUIS Schema V5.1.xsd"
        duis.write_bytes(duis.read_bytes().replace(b'schemaLocation="MMC Schema V5.1.xsd"', b'schemaLocation="../../../etc/passwd"'))
        expected = f"{duis}: imports '../../../etc/passwd', which is not in {folder}"
    code, lines, err = _cli(["validate", str(corpus["response-datetime-without-zone"]), "--duis-xsd", str(folder)], capsys)
    assert code == 2 and lines == []
    assert err == f"chfa-conformance: {expected}\n"


def _prolog_scan_finds_doctype(document: bytes) -> bool:
    readings = xml_safety._readings(document)
    return not isinstance(readings, XmlProblem) and any(xml_safety._declares_doctype(text) for text in readings)


BOMB = (
    '<?xml version="1.0" encoding="{codec}"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><a>&c;</a>'
)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_doctype_in_a_wide_encoding_is_refused_by_the_prolog_scan(codec: str) -> None:
    document = BOMB.format(codec=codec.upper()).encode(codec)
    assert _prolog_scan_finds_doctype(document)  # before libxml2 reads the internal subset
    problem = parse_untrusted(document)
    assert isinstance(problem, XmlProblem) and problem.kind == "dtd-refused"
    assert not isinstance(parse_untrusted('<?xml version="1.0"?><a>x</a>'.encode(codec)), XmlProblem)


def test_a_long_comment_does_not_carry_a_wide_doctype_past_the_scan() -> None:
    document = BOMB.format(codec="UTF-16").replace("?><!DOCTYPE", "?><!--" + "x" * 400_000 + "--><!DOCTYPE").encode("utf-16")
    assert _prolog_scan_finds_doctype(document)


LIMIT = xml_safety.MAX_MARKUP_ITEMS


def _count_in_libxml2(document: bytes) -> int:
    root = etree.fromstring(document, xml_safety.hardened_parser())
    return sum(1 + len(element.attrib) for element in root.iter())


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("'=' in text", b"<r>" + b"a=b " * (LIMIT + 10) + b"</r>"),
        ("'<' and '=' in a comment", b"<r><!--" + b"<=" * (LIMIT + 10) + b"--></r>"),
        ("'<' and '=' in CDATA", b"<r><![CDATA[" + b"<=" * (LIMIT + 10) + b"]]></r>"),
        ("'>' and '=' in attribute values", b"<r" + b"".join(b' a%d="=>="' % n for n in range(LIMIT // 2)) + b"/>"),
        ("exactly the limit", b"<r" + b"".join(b" a%d='x'" % n for n in range(LIMIT - 3)) + b"><e/><e/></r>"),
    ],
)
def test_markup_that_only_looks_like_nodes_is_not_counted(name: str, document: bytes) -> None:
    assert _count_in_libxml2(document) <= LIMIT  # the parser makes no more nodes than the limit
    assert not isinstance(parse_untrusted(document), XmlProblem), name


@pytest.mark.parametrize(
    ("name", "document", "line"),
    [
        ("one over the limit", b"<r" + b"".join(b" a%d='x'" % n for n in range(LIMIT - 2)) + b"><e/><e/></r>", 1),
        ("elements on later lines", b"<r>\n\n" + b"<e/>" * (LIMIT + 1) + b"</r>", 3),
        ("a namespace declaration per attribute", b"<r" + b"".join(b' xmlns:p%d="u"' % n for n in range(LIMIT + 1)) + b"/>", 1),
        ("a tail the walk cannot read", b"<r>" + b"<e a='1'/>" * (LIMIT // 2) + b"<\x01" + b"<e a='1'/>" * 10 + b"</r>", 1),
    ],
)
def test_more_nodes_than_the_limit_are_refused_before_parsing(name: str, document: bytes, line: int) -> None:
    problem = parse_untrusted(document)
    assert isinstance(problem, XmlProblem), name
    assert (problem.kind, problem.line) == ("parser-limit", line)
    assert f"more than {LIMIT:,} elements and attributes" in problem.detail


def test_an_encoding_python_cannot_read_is_refused_not_guessed() -> None:
    problem = parse_untrusted(b'<?xml version="1.0" encoding="x-no-such-codec"?><r/>')
    assert problem == XmlProblem("not-well-formed", "unsupported encoding 'x-no-such-codec'")
