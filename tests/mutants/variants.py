"""Known-good variants: valid output spelled differently. The suite must pass every one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, timedelta, timezone
from typing import Any

from lxml import etree

from reference_impl.emitter import PROCESSING_DELAY
from tests.mutants.wrapping import (
    SR,
    Line,
    alerts_of,
    element,
    instant,
    set_counter,
    with_edited_documents,
    with_edited_lines,
    with_edited_text,
)

_ROOT_START = re.compile(r"<sr:Response [^>]*>")


def _prefix(xml: str, prefix: str) -> str:
    declaration = f"xmlns:{prefix}=" if prefix else "xmlns="
    opening = f"<{prefix}:" if prefix else "<"
    closing = f"</{prefix}:" if prefix else "</"
    return xml.replace("xmlns:sr=", declaration).replace("</sr:", closing).replace("<sr:", opening)


def _reordered_root(xml: str) -> str:
    match = _ROOT_START.search(xml)
    assert match is not None
    version = re.search(r'schemaVersion="([^"]+)"', match.group(0))
    assert version is not None
    start = (
        f'<sr:Response schemaVersion="{version.group(1)}" xmlns:ra="http://www.dccinterface.co.uk/ResponseAndAlert" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:sr="{SR}">'
    )
    return xml[: match.start()] + start + xml[match.end() :]


def _pretty(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
    return [
        {"recipient": line["recipient"], "xml": etree.tostring(etree.fromstring(line["xml"].encode()), pretty_print=True).decode()}
        for line in lines
    ]


def _reversed(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
    return list(reversed(lines))


def _big_counters(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    response_id = element(root, "ResponseID")
    assert response_id is not None and response_id.text is not None
    set_counter(root, 1_655_397_248_260 + 7 * int(response_id.text.rsplit(":", 1)[1]))


def _lower_case_euis(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    for name in ("DeviceID", "ResponseID"):
        found = element(root, name)
        if found is not None and found.text is not None:
            found.text = found.text.lower()


def _zone(offset_hours: int, later_seconds: int) -> Any:
    def edit(root: etree._Element, scenario: Mapping[str, Any]) -> None:
        found = element(root, "ResponseDateTime")
        assert found is not None and found.text is not None
        moment = instant(found.text) + timedelta(seconds=later_seconds)
        found.text = moment.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()

    return edit


def _whole_seconds_at_once(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    """Sent at the activation itself, stamped by a clock of whole seconds: 10:00:00Z for an
    activation at 10:00:00.400 is that second, not 0.4 s before it."""
    found = element(root, "ResponseDateTime")
    assert found is not None and found.text is not None
    sent = (instant(found.text) - PROCESSING_DELAY).astimezone(UTC)
    found.text = sent.strftime("%Y-%m-%dT%H:%M:%SZ")


def _spaced_time(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    """ResponseDateTime between line breaks and indentation: xs:dateTime collapses white space."""
    found = element(root, "ResponseDateTime")
    assert found is not None and found.text is not None
    found.text = f"\n      {found.text}\n    "


def _cdata_version(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    """The version as a CDATA section ('<' and '&' included). Not for a carriage return: XML
    reads a raw one as a line feed, so only a character reference can carry it."""
    found = element(root, "FirmwareVersion")
    if found is not None and found.text is not None and "]]>" not in found.text and "\r" not in found.text:
        found.text = etree.CDATA(found.text)


def _referenced_device(xml: str) -> str:
    """DeviceID's first character as a character reference (an EUI holds no markup)."""
    return re.sub(r"<sr:DeviceID>(.)", lambda m: f"<sr:DeviceID>&#x{ord(m.group(1)):x};", xml)


def _comment_in_version(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    """A comment splits the version's text in two; the text read around it is unchanged."""
    found = element(root, "FirmwareVersion")
    if found is None or not found.text:
        return
    text, half = found.text, len(found.text) // 2
    found.text = text[:half]
    comment = etree.Comment(" split ")
    comment.tail = text[half:]
    found.insert(0, comment)


def without_inventory(scenario: Mapping[str, Any]) -> list[Line]:
    return alerts_of(scenario)


VARIANT_EMITTERS = {
    "other-namespace-prefix": with_edited_text(lambda xml: _prefix(xml, "dsp")),
    "default-namespace": with_edited_text(lambda xml: _prefix(xml, "")),
    "pretty-printed": with_edited_lines(_pretty),
    "root-attributes-and-declarations-reordered": with_edited_text(_reordered_root),
    "alerts-in-reverse-order": with_edited_lines(_reversed),
    "large-counters": with_edited_documents(_big_counters),
    "lower-case-hex-euis": with_edited_documents(_lower_case_euis),
    "same-instant-other-zone": with_edited_documents(_zone(1, 0)),
    "later-instant-negative-zone": with_edited_documents(_zone(-5, 300)),
    "white-space-around-the-time": with_edited_documents(_spaced_time),
    "stamped-in-whole-seconds-at-once": with_edited_documents(_whole_seconds_at_once),
    "byte-order-mark": with_edited_text(lambda xml: "\ufeff" + xml),
    "cdata-version": with_edited_documents(_cdata_version),
    "character-reference-in-device": with_edited_text(_referenced_device),
    "comment-inside-version": with_edited_documents(_comment_in_version),
    "no-xml-declaration": with_edited_text(lambda xml: xml.split("?>", 1)[1].lstrip()),
    "no-inventory-reported": without_inventory,
}
