"""The compact schemas and the official DUIS schemas agree on every alert the reference
emits for cases/, and on deliberately broken copies of them.

A third opinion comes from the xmlschema library, which reads the official files exactly as
published (no rewritten imports), so the in-memory escaping of import locations is shown
not to change what the official schemas accept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from chfa_conformance.cases import Case
from chfa_conformance.duis_schema import SchemaSet, compact_schemas, official_schemas, version_key
from chfa_conformance.specs import Spec
from chfa_conformance.xml_safety import parse_untrusted
from reference_impl import emit
from tests.conftest import PROJECT

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
Corruption = Callable[[etree._Element], None]
ALERTS_PER_CASE = 40


def _find(root: etree._Element, name: str) -> etree._Element:
    found = next(root.iter(f"{{{SR}}}{name}"), None)
    assert found is not None, name
    return found


def _set_text(name: str, value: str) -> Corruption:
    def corrupt(root: etree._Element) -> None:
        _find(root, name).text = value

    return corrupt


def _remove(name: str) -> Corruption:
    def corrupt(root: etree._Element) -> None:
        element = _find(root, name)
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)

    return corrupt


def _duplicate(name: str) -> Corruption:
    def corrupt(root: etree._Element) -> None:
        element = _find(root, name)
        element.addnext(copy.deepcopy(element))

    return corrupt


def _set_attribute(name: str, value: str | None) -> Corruption:
    def corrupt(root: etree._Element) -> None:
        if value is None:
            del root.attrib[name]
        else:
            root.set(name, value)

    return corrupt


def _add_child(parent: str, name: str, text: str, namespace: str = SR, first: bool = False) -> Corruption:
    def corrupt(root: etree._Element) -> None:
        element = etree.Element(f"{{{namespace}}}{name}")
        element.text = text
        holder = _find(root, parent)
        if first:
            holder.insert(0, element)
        else:
            holder.append(element)

    return corrupt


def _swap_header_order(root: etree._Element) -> None:
    code, stamp = _find(root, "ResponseCode"), _find(root, "ResponseDateTime")
    stamp.addnext(copy.deepcopy(code))
    header = code.getparent()
    assert header is not None
    header.remove(code)


def _text_in_body(root: etree._Element) -> None:
    _find(root, "Body").text = "stray text"


def _foreign_namespace_device(root: etree._Element) -> None:
    element = next(iter(root.iter(f"{{{SR}}}DeviceID")))
    element.tag = "{urn:example:other}DeviceID"


def _empty_signature(root: etree._Element) -> None:
    etree.SubElement(root, "{http://www.w3.org/2000/09/xmldsig#}Signature")


CORRUPTIONS: dict[str, Corruption] = {
    "no-ResponseDateTime": _remove("ResponseDateTime"),
    "date-not-a-date": _set_text("ResponseDateTime", "yesterday"),
    "date-without-zone": _set_text("ResponseDateTime", "2025-06-01T10:00:02"),
    "date-padded-with-white-space": _set_text("ResponseDateTime", "\n  2025-06-01T10:00:02Z \n"),  # valid: collapsed
    "date-padded-without-zone": _set_text("ResponseDateTime", " 2025-06-01T10:00:02 "),
    "date-padded-not-a-date": _set_text("ResponseDateTime", " 2025-13-01T10:00:02Z"),
    "date-other-offset": _set_text("ResponseDateTime", "2025-06-01T11:00:02+01:00"),
    "device-short": _set_text("DeviceID", "00-11"),
    "device-lowercase": _set_text("DeviceID", "00-db-12-34-56-78-90-a0"),
    "device-padded-with-space": _set_text("DeviceID", "  00-DB-12-34-56-78-90-A0 "),
    "version-empty": _set_text("FirmwareVersion", ""),
    "version-nine-chars": _set_text("FirmwareVersion", "123456789"),
    "version-eight-chars": _set_text("FirmwareVersion", "12345678"),
    "alert-code-malformed": _set_text("DCCAlertCode", "N64x"),
    "alert-code-unknown": _set_text("DCCAlertCode", "N66"),
    "alert-code-N63": _set_text("DCCAlertCode", "N63"),
    "response-code-unknown": _set_text("ResponseCode", "X1"),
    "response-code-I99": _set_text("ResponseCode", "I99"),
    "response-id-counter-2^64": _set_text("ResponseID", "90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00:18446744073709551616"),
    "response-id-counter-max": _set_text("ResponseID", "90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00:18446744073709551615"),
    "response-id-leading-zero": _set_text("ResponseID", "90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00:01"),
    "response-id-two-parts": _set_text("ResponseID", "90-B3-D5-1F-30-00-00-02:90-B3-D5-1F-30-01-00-00"),
    "no-ResponseID": _remove("ResponseID"),
    "with-RequestID": _add_child("Header", "RequestID", "90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:7", first=True),
    "unknown-header-element": _add_child("Header", "Extra", "1"),
    "header-out-of-order": _swap_header_order,
    "duplicate-DeviceID": _duplicate("DeviceID"),
    "no-schemaVersion": _set_attribute("schemaVersion", None),
    "schemaVersion-not-decimal": _set_attribute("schemaVersion", "five"),
    "extra-root-attribute": _set_attribute("priority", "high"),
    "throttled-count-negative": _add_child("DCCAlertMessage", "ThrottledAlertCount", "-1", first=False),
    "text-in-body": _text_in_body,
    "foreign-namespace-device": _foreign_namespace_device,
    "empty-signature": _empty_signature,
}


@pytest.fixture(scope="module")
def reference_alerts(cases: list[Case]) -> list[tuple[str, bytes]]:
    """Up to ALERTS_PER_CASE alerts of each case, named case#number."""
    alerts: list[tuple[str, bytes]] = []
    for case in cases:
        lines = [line for line in emit(case.scenario.as_protocol()) if "xml" in line]
        alerts += [(f"{case.id}#{index + 1}", line["xml"].encode()) for index, line in enumerate(lines[:ALERTS_PER_CASE])]
    return alerts


@pytest.fixture(scope="module")
def schema_sets(spec: Spec, official_duis: Path) -> tuple[SchemaSet, SchemaSet]:
    return compact_schemas(PROJECT / "schemas", spec.profile), official_schemas(official_duis)


@pytest.fixture(scope="module")
def as_published(official_duis: Path) -> dict[Decimal, xmlschema.XMLSchema10]:
    names = {"5.0": "V5.0", "5.1": "V5.1", "5.3": "V5.3a", "5.4": "V5.4"}
    return {Decimal(v): xmlschema.XMLSchema10(str(official_duis / f"DUIS Schema {n}.xsd")) for v, n in names.items()}


def _one_per_kind(alerts: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The first alert of each case for each (schemaVersion, alert body) seen there."""
    chosen: dict[tuple[str, str | None, bool], tuple[str, bytes]] = {}
    for name, data in alerts:
        root = etree.fromstring(data)
        kind = (name.split("#")[0], root.get("schemaVersion"), next(root.iter(f"{{{SR}}}FirmwareVersion"), None) is None)
        chosen.setdefault(kind, (name, data))
    return list(chosen.values())


def _verdicts(data: bytes, sets: tuple[SchemaSet, SchemaSet], published: dict[Decimal, xmlschema.XMLSchema10]) -> tuple[bool, bool, bool]:
    root = parse_untrusted(data)
    assert isinstance(root, etree._Element)
    version = root.get("schemaVersion")
    compact, official = (schema_set.validate(root, version).valid for schema_set in sets)
    key = version_key(version)
    third = published[key].is_valid(etree.tostring(root).decode()) if key in published else False
    return compact, official, third


def test_every_reference_alert_is_valid_under_compact_and_official(cases: list[Case], schema_sets: tuple[SchemaSet, SchemaSet]) -> None:
    """All of them, the 5,000-hub wave included (both are lxml: about 20,000 a second)."""
    invalid = []
    count = 0
    for case in cases:
        for line in emit(case.scenario.as_protocol()):
            if "xml" not in line:
                continue
            root = parse_untrusted(line["xml"].encode())
            assert isinstance(root, etree._Element)
            count += 1
            verdicts = [schema_set.validate(root, root.get("schemaVersion")) for schema_set in schema_sets]
            if not all(verdict.valid for verdict in verdicts):
                invalid.append((case.id, [verdict.errors for verdict in verdicts]))
    assert invalid == []
    assert count > 7000


def test_a_sample_of_reference_alerts_is_valid_under_all_three(
    reference_alerts: list[tuple[str, bytes]],
    schema_sets: tuple[SchemaSet, SchemaSet],
    as_published: dict[Decimal, xmlschema.XMLSchema10],
) -> None:
    verdicts = {name: _verdicts(data, schema_sets, as_published) for name, data in reference_alerts}
    assert {name: v for name, v in verdicts.items() if v != (True, True, True)} == {}
    assert len(verdicts) > 50


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_compact_and_official_agree_on_a_corrupted_alert(
    corruption: str,
    reference_alerts: list[tuple[str, bytes]],
    schema_sets: tuple[SchemaSet, SchemaSet],
    as_published: dict[Decimal, xmlschema.XMLSchema10],
) -> None:
    disagreements = {}
    checked = 0
    for name, data in _one_per_kind(reference_alerts):
        root = etree.fromstring(data)
        if corruption.startswith("version-") and next(root.iter(f"{{{SR}}}FirmwareVersion"), None) is None:
            continue  # the version-mismatch alert has no FirmwareVersion to corrupt
        CORRUPTIONS[corruption](root)
        checked += 1
        verdicts = _verdicts(etree.tostring(root), schema_sets, as_published)
        if len(set(verdicts)) != 1:
            disagreements[name] = verdicts
    assert disagreements == {}
    assert checked > 20
