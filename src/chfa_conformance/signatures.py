"""Verification of a DUIS message's enveloped XML signature in the DSP's profile, and nothing wider.

The DSP signs with ECDSA P-256 over SHA-256, a raw r||s SignatureValue, SignedInfo
canonicalised with exclusive c14n, and one Reference (URI "", only the enveloped-signature
transform, so the document digest is the inclusive c14n of the message without its
Signature). KeyInfo names the certificate by issuer and serial: the certificate is resolved
from those here, never by trying keys, because two DSP test certificates share one key.

Anything else is refused before any cryptography: a second Signature, a second Reference,
a Reference to part of the document, a ds:Object, or a Signature anywhere but as the root's
last child all mean that what was signed may not be what is read ("wrapped"); other
algorithms or key references are "outside-profile". Documents are parsed only through
xml_safety.parse_untrusted, so nothing named by a document is ever fetched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from lxml import etree

from chfa_conformance.bounded_read import FileNotRead, read_bounded
from chfa_conformance.errors import SourceError
from chfa_conformance.xml_safety import XmlProblem, parse_untrusted

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024
_SERIAL = re.compile(r"[0-9]{1,64}")
_XML_SPACE = re.compile(r"[ \t\r\n]+")

VerdictKind = Literal["valid", "unsigned", "unknown-signer", "digest-mismatch", "bad-signature", "wrapped", "outside-profile", "refused"]


@dataclass(frozen=True)
class SignatureVerdict:
    """What the signature check concluded about one document, and why."""

    kind: VerdictKind
    reason: str

    @property
    def valid(self) -> bool:
        return self.kind == "valid"


@dataclass(frozen=True)
class DspCertificate:
    """A DSP signing certificate, reduced to what resolving and verifying need."""

    source: str
    issuer: x509.Name
    serial: int
    key: ec.EllipticCurvePublicKey

    def describe(self) -> str:
        return f"{self.issuer.rfc4514_string()} serial {_serial_text(self.serial)} ({self.source})"


@dataclass(frozen=True)
class _Signed:
    """The parts of a Signature that passed the profile check."""

    element: etree._Element
    signed_info: etree._Element
    digest: bytes
    value: bytes
    issuer: str
    serial: int


def load_certificates(paths: Sequence[Path]) -> tuple[DspCertificate, ...]:
    """Every certificate in the PEM files; a file that is not one raises SourceError naming it."""
    loaded: list[DspCertificate] = []
    for path in paths:
        loaded += _certificates_in(path)
    return tuple(loaded)


def _certificates_in(path: Path) -> list[DspCertificate]:
    try:
        data = read_bounded(path, MAX_CERTIFICATE_FILE_BYTES)
    except FileNotRead as exc:
        raise SourceError(path, None, f"cannot read the certificate: {exc.reason}") from exc
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise SourceError(path, None, f"not a PEM X.509 certificate file ({exc})") from exc
    found = []
    for certificate in certificates:
        key = certificate.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            problem = f"certificate serial {certificate.serial_number} has no EC P-256 key; the DSP profile signs with ECDSA P-256"
            raise SourceError(path, None, problem)
        found.append(DspCertificate(str(path), certificate.issuer, certificate.serial_number, key))
    return found


def shared_key_notes(certificates: Sequence[DspCertificate]) -> list[str]:
    """Warnings for configured certificates that share one key.

    KeyInfo is outside SignedInfo in the DSP's profile, so the serial is not signed: between
    two such certificates a message verifies whichever of the two serials it names.
    """
    notes = []
    for index, first in enumerate(certificates):
        for second in certificates[index + 1 :]:
            if first.key.public_numbers() == second.key.public_numbers() and first.serial != second.serial:
                notes.append(
                    f"serials {first.serial:X} and {second.serial:X} share one key: the serial in KeyInfo is not signed, "
                    "so a message verified under one would verify relabelled as the other"
                )
    return notes


def verify_signature(data: bytes, certificates: Sequence[DspCertificate]) -> SignatureVerdict:
    """The verdict on one document's signature against the configured DSP certificates."""
    root = parse_untrusted(data)
    if isinstance(root, XmlProblem):
        return SignatureVerdict("refused", f"the document was refused before the signature check: {root}")
    signed = _signed_parts(root)
    if isinstance(signed, SignatureVerdict):
        return signed
    certificate = _resolve(signed, certificates)
    if isinstance(certificate, SignatureVerdict):
        return certificate
    return _verify(root, signed, certificate)


def _signed_parts(root: etree._Element) -> _Signed | SignatureVerdict:
    """The one Signature, placed and shaped as the profile has it, or why not."""
    found = list(root.iter(f"{{{DS}}}Signature"))
    if not found:
        return SignatureVerdict("unsigned", "the message carries no ds:Signature")
    if len(found) > 1:
        return SignatureVerdict("wrapped", f"{len(found)} ds:Signature elements; the profile has exactly one")
    signature = found[0]
    if signature.getparent() is not root:
        where = "is the root element" if signature is root else f"is inside {_name(signature.getparent())}"
        return SignatureVerdict("wrapped", f"the ds:Signature {where}, not enveloped as the root element's child")
    if any(isinstance(sibling.tag, str) for sibling in signature.itersiblings()):
        return SignatureVerdict("wrapped", "the ds:Signature is not the root element's last child")
    parts = _children(signature)
    if any(child.tag == f"{{{DS}}}Object" for child in parts):
        return SignatureVerdict("wrapped", "a ds:Object is smuggled inside the Signature")
    shape = _shape_problem(signature, ("SignedInfo", "SignatureValue", "KeyInfo"))
    if shape is not None:
        return SignatureVerdict("outside-profile", shape)
    signed_info, value, key_info = parts
    return _signed_info_parts(signature, signed_info, value, key_info)


def _signed_info_parts(
    signature: etree._Element, signed_info: etree._Element, value: etree._Element, key_info: etree._Element
) -> _Signed | SignatureVerdict:
    references = signed_info.findall(f"{{{DS}}}Reference")
    if len(references) > 1:
        return SignatureVerdict("wrapped", f"{len(references)} References; the profile signs the whole document with exactly one")
    if len(references) == 1 and references[0].get("URI") != "":
        uri = references[0].get("URI")
        shown = "no URI" if uri is None else f"URI {uri!r}"
        reason = f'the Reference has {shown}: only URI "" (the whole document) makes what is read what was signed'
        return SignatureVerdict("wrapped", reason)
    problem = (
        _shape_problem(signed_info, ("CanonicalizationMethod", "SignatureMethod", "Reference"))
        or _algorithm_problem(_children(signed_info)[0], EXC_C14N, "SignedInfo canonicalisation")
        or _algorithm_problem(_children(signed_info)[1], ECDSA_SHA256, "SignatureMethod")
        or _reference_problem(references[0])
        or _key_info_problem(key_info)
    )
    if problem is not None:
        return SignatureVerdict("outside-profile", problem)
    digest = _base64(_text_value(references[0].find(f"{{{DS}}}DigestValue")))
    value_text = _text_value(value)
    raw_value = _base64(value_text)
    if digest is None or len(digest) != 32:
        return SignatureVerdict("outside-profile", "DigestValue is not the base64 of a 32-byte SHA-256 digest")
    if raw_value is None or len(raw_value) != 64:
        seen = f"{len(raw_value)} bytes" if raw_value is not None else "not base64" if value_text is not None else "holding an element"
        return SignatureVerdict("outside-profile", f"SignatureValue is {seen}; the profile has a 64-byte raw r||s value (not DER)")
    serial_text = (_text_value(key_info.find(f".//{{{DS}}}X509SerialNumber")) or "").strip(" \t\r\n")
    if _SERIAL.fullmatch(serial_text) is None:
        if serial_text.isascii() and serial_text.isdigit():
            reason = f"X509SerialNumber has {len(serial_text)} digits: too long for a certificate serial (20 octets, at most 49 digits)"
            return SignatureVerdict("outside-profile", reason)
        shown = serial_text[:40] + "..." * (len(serial_text) > 40)
        return SignatureVerdict("outside-profile", f"X509SerialNumber {shown!r} is not a decimal serial number")
    issuer = " ".join(_XML_SPACE.split((_text_value(key_info.find(f".//{{{DS}}}X509IssuerName")) or "").strip(" \t\r\n")))
    return _Signed(signature, signed_info, digest, raw_value, issuer, int(serial_text))


def _reference_problem(reference: etree._Element) -> str | None:
    shape = _shape_problem(reference, ("Transforms", "DigestMethod", "DigestValue"))
    if shape is not None:
        return shape
    transforms_element, digest_method, _ = _children(reference)
    transforms = _children(transforms_element)
    algorithms = [transform.get("Algorithm") for transform in transforms]
    if algorithms != [ENVELOPED] or transforms[0].tag != f"{{{DS}}}Transform" or len(transforms[0]) or (transforms[0].text or "").strip():
        return f"the Reference's transforms are {algorithms}; the profile has only enveloped-signature"
    return _algorithm_problem(digest_method, SHA256, "DigestMethod")


def _key_info_problem(key_info: etree._Element) -> str | None:
    wanted = "KeyInfo must name the certificate by issuer and serial only (X509Data/X509IssuerSerial)"
    data = _children(key_info)
    if [child.tag for child in data] != [f"{{{DS}}}X509Data"]:
        return f"{wanted}; it holds {[_name(child) for child in data]}"
    serial = _children(data[0])
    if [child.tag for child in serial] != [f"{{{DS}}}X509IssuerSerial"]:
        return f"{wanted}; X509Data holds {[_name(child) for child in serial]}"
    return _shape_problem(serial[0], ("X509IssuerName", "X509SerialNumber"))


def _algorithm_problem(element: etree._Element, wanted: str, what: str) -> str | None:
    algorithm = element.get("Algorithm")
    if algorithm != wanted:
        return f"{what} is {algorithm!r}; the profile has {wanted!r}"
    if len(_children(element)):
        return f"{what} has parameters ({_name(_children(element)[0])}); the profile has none"
    return None


def _shape_problem(parent: etree._Element, names: tuple[str, ...]) -> str | None:
    """Whether `parent`'s child elements are exactly the ds: elements `names`, in order."""
    children = _children(parent)
    if [child.tag for child in children] != [f"{{{DS}}}{name}" for name in names]:
        return f"{_name(parent)} holds {[_name(child) for child in children]}; the profile has {list(names)}"
    return None


def _resolve(signed: _Signed, certificates: Sequence[DspCertificate]) -> DspCertificate | SignatureVerdict:
    """The configured certificate with the issuer and serial KeyInfo names (never found by key)."""
    issuer = _issuer_name(signed.issuer)
    for certificate in certificates:
        if certificate.serial == signed.serial and (issuer == certificate.issuer or signed.issuer == certificate.issuer.rfc4514_string()):
            return certificate
    known = ", ".join(f"{certificate.serial:X}" for certificate in certificates) or "none"
    named = f"issuer {signed.issuer!r} and serial {_serial_text(signed.serial)}"
    reason = f"no configured certificate has {named} (configured serials: {known})"
    return SignatureVerdict("unknown-signer", reason)


def _issuer_name(text: str) -> x509.Name | None:
    """The issuer as a DN: signers write 'CN=Z1, OU=07' or 'cn=Z1,ou=07' for the same name (RDN order still counts)."""
    rdns = []
    for rdn in re.split(r"(?<!\\),", text):  # an escaped comma belongs to its value
        attribute, equals, value = rdn.partition("=")
        if not equals:
            return None
        rdns.append(f"{attribute.strip(' ').upper()}={value.strip(' ')}")  # RFC 4514 spaces only, never U+00A0
    try:
        return x509.Name.from_rfc4514_string(",".join(rdns))
    except ValueError:
        return None


def _verify(root: etree._Element, signed: _Signed, certificate: DspCertificate) -> SignatureVerdict:
    """Digest of the document without its Signature, then the ECDSA signature over SignedInfo."""
    signed_info_octets = etree.tostring(signed.signed_info, method="c14n", exclusive=True, with_comments=False)
    _remove_keeping_tail(signed.element)
    document_octets = etree.tostring(root.getroottree(), method="c14n", exclusive=False, with_comments=False)
    if not hmac.compare_digest(hashlib.sha256(document_octets).digest(), signed.digest):
        return SignatureVerdict("digest-mismatch", "the message's SHA-256 digest differs from DigestValue: it was changed after signing")
    r, s = int.from_bytes(signed.value[:32], "big"), int.from_bytes(signed.value[32:], "big")
    try:
        certificate.key.verify(utils.encode_dss_signature(r, s), signed_info_octets, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return SignatureVerdict("bad-signature", f"SignatureValue does not verify over SignedInfo with {certificate.describe()}")
    return SignatureVerdict("valid", f"signed by {certificate.describe()}")


def _remove_keeping_tail(element: etree._Element) -> None:
    """Drop the element as the enveloped-signature transform does: the text after it stays signed."""
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _children(element: etree._Element) -> list[etree._Element]:
    """Child elements only: comments and processing instructions carry no signature semantics."""
    return [child for child in element if isinstance(child.tag, str)]


def _serial_text(serial: int) -> str:
    """Decimal as XML-DSig writes it, hex as certificate tools print it."""
    return f"{serial} (0x{serial:X})"


def _text_value(element: etree._Element | None) -> str | None:
    """The text an element holds, comments and processing instructions skipped (as XPath reads it);
    None when it holds an element, which no value field of the profile may."""
    if element is None or any(isinstance(child.tag, str) for child in element):
        return None
    texts: Any = element.xpath("text()")
    return "".join(texts)


def _base64(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return base64.b64decode(_XML_SPACE.sub("", text), validate=True)
    except (binascii.Error, ValueError):
        return None


def _name(element: etree._Element | None) -> str:
    if element is None or not isinstance(element.tag, str):
        return "(none)"
    qname = etree.QName(element)
    return f"ds:{qname.localname}" if qname.namespace == DS else qname.localname
