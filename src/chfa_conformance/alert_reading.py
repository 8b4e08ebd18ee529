"""Read the fields the checks need out of a parsed alert, each with where it stood.

Reading is namespace-aware and prefix-blind: any prefix, or the default namespace, names the
same element. Text is the XPath string value, so CDATA sections and character references
read as the text they stand for. Fields typed xs:token in DUIS (EUIs, identifiers, dates)
are whitespace-collapsed as a schema validator would; xs:string fields are kept exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lxml import etree

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
DS = "http://www.w3.org/2000/09/xmldsig#"
_STRING_VALUE = etree.XPath("string(.)")
BodyKind = Literal["activation", "version-mismatch", "other", "none"]


@dataclass(frozen=True)
class Field:
    """A value read from the alert and its XPath-like location."""

    value: str
    location: str


@dataclass(frozen=True)
class AlertContent:
    root: str  # the root's location, "/Response" for an alert, so a finding about another root names it
    schema_version: str | None
    request_id: Field | None
    response_id: Field | None
    response_datetime: Field | None
    body: BodyKind
    alert_code: Field | None
    device: Field | None
    firmware_version: Field | None
    named_alert_code: Field | None
    user_duis_version: Field | None
    signatures: int


def read_alert(root: etree._Element) -> AlertContent:
    """The alert's fields; absent ones are None. An unexpected root (another name or namespace)
    gives body 'none', but keeps its schemaVersion: validation then names what is wrong."""
    if root.tag != f"{{{SR}}}Response":
        where = f"/{etree.QName(root).localname}"
        return AlertContent(where, root.get("schemaVersion"), None, None, None, "none", None, None, None, None, None, 0)
    header = _child(root, "Header")
    message = _child(_child(root, "Body"), "DCCAlertMessage")
    alert = _child(message, "DCCAlert")
    activation = _child(alert, "CommsHubFirmwareActivation")
    mismatch = _child(alert, "DUISVersionMismatch")
    detail = _child(mismatch, "DCCAlertVersionMismatch")
    body: BodyKind = "activation" if activation is not None else "version-mismatch" if mismatch is not None else "other"
    return AlertContent(
        root="/Response",
        schema_version=root.get("schemaVersion"),
        request_id=_token(header, "RequestID", _HEADER),
        response_id=_token(header, "ResponseID", _HEADER),
        response_datetime=_token(header, "ResponseDateTime", _HEADER),
        body=body,
        alert_code=_exact(message, "DCCAlertCode", _MESSAGE),
        device=_token(activation, "DeviceID", _ACTIVATION) or _token(detail, "DeviceID", _DETAIL),
        firmware_version=_exact(activation, "FirmwareVersion", _ACTIVATION),
        named_alert_code=_exact(detail, "DCCAlertCode", _DETAIL),
        user_duis_version=_exact(mismatch, "ServiceUserDUISVersion", _MISMATCH),
        signatures=sum(1 for _ in root.iter(f"{{{DS}}}Signature")),
    )


_HEADER = "/Response/Header"
_MESSAGE = "/Response/Body/DCCAlertMessage"
_ACTIVATION = _MESSAGE + "/DCCAlert/CommsHubFirmwareActivation"
_MISMATCH = _MESSAGE + "/DCCAlert/DUISVersionMismatch"
_DETAIL = _MISMATCH + "/DCCAlertVersionMismatch"


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    """The first child of that name (a repeat is the schema check's business)."""
    if parent is None:
        return None
    tag = f"{{{SR}}}{name}"
    for child in parent:  # a plain loop: several times faster than find() on these small elements
        if child.tag == tag:
            return child
    return None


def _exact(parent: etree._Element | None, name: str, path: str) -> Field | None:
    """An xs:string field, kept exactly."""
    element = _child(parent, name)
    return Field(str(_STRING_VALUE(element)), f"{path}/{name}") if element is not None else None


def _token(parent: etree._Element | None, name: str, path: str) -> Field | None:
    """An xs:token-derived field, whitespace collapsed as validation sees it."""
    element = _child(parent, name)
    return Field(" ".join(str(_STRING_VALUE(element)).split()), f"{path}/{name}") if element is not None else None
