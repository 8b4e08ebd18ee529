"""The reference emitter's alerts signed as the DSP signs its messages.

Profile: an enveloped ds:Signature appended as the root's last child; SignedInfo
canonicalised with exclusive c14n and signed with ECDSA P-256 / SHA-256; SignatureValue the
raw 64-byte r||s; one Reference URI "" with only the enveloped-signature transform, so the
digest is SHA-256 over the inclusive c14n of the message as it was before the Signature was
added; KeyInfo names the certificate by issuer and serial only.

Written apart from the suite's verifier (chfa_conformance.signatures) so that a mistake in
either shows up as a failed SIGNED check. No key is ever committed: callers pass a key and
certificate, or name their PEM files in CHFA_REFERENCE_SIGNING_KEY / _CERT.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from lxml import etree

from reference_impl.emitter import emit

DS = "http://www.w3.org/2000/09/xmldsig#"
KEY_VARIABLE = "CHFA_REFERENCE_SIGNING_KEY"
CERT_VARIABLE = "CHFA_REFERENCE_SIGNING_CERT"
ALGORITHMS = {
    "CanonicalizationMethod": "http://www.w3.org/2001/10/xml-exc-c14n#",
    "SignatureMethod": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "Transform": "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "DigestMethod": "http://www.w3.org/2001/04/xmlenc#sha256",
}

Emitter = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


def sign_document(document: bytes, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> bytes:
    """The document with the DSP-profile enveloped signature appended to its root."""
    root = etree.fromstring(document)
    digest = hashlib.sha256(etree.tostring(root.getroottree(), method="c14n", exclusive=False, with_comments=False)).digest()
    signature = etree.SubElement(root, f"{{{DS}}}Signature", nsmap={"ds": DS})
    signed_info = _signed_info(signature, digest)
    der = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    _child(signature, "SignatureValue", base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii"))
    issuer_serial = _child(_child(_child(signature, "KeyInfo"), "X509Data"), "X509IssuerSerial")
    _child(issuer_serial, "X509IssuerName", certificate.issuer.rfc4514_string())
    _child(issuer_serial, "X509SerialNumber", str(certificate.serial_number))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _signed_info(signature: etree._Element, digest: bytes) -> etree._Element:
    signed_info = _child(signature, "SignedInfo")
    _child(signed_info, "CanonicalizationMethod").set("Algorithm", ALGORITHMS["CanonicalizationMethod"])
    _child(signed_info, "SignatureMethod").set("Algorithm", ALGORITHMS["SignatureMethod"])
    reference = _child(signed_info, "Reference")
    reference.set("URI", "")
    _child(_child(reference, "Transforms"), "Transform").set("Algorithm", ALGORITHMS["Transform"])
    _child(reference, "DigestMethod").set("Algorithm", ALGORITHMS["DigestMethod"])
    _child(reference, "DigestValue", base64.b64encode(digest).decode("ascii"))
    return signed_info


def _child(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{DS}}}{name}")
    element.text = text
    return element


def signing_emitter(key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> Emitter:
    """The reference emitter with every alert signed by `key` under `certificate`."""

    def emit_signed(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
        lines = emit(scenario)
        for line in lines:
            if "xml" in line:
                line["xml"] = sign_document(line["xml"].encode("utf-8"), key, certificate).decode("utf-8")
        return lines

    return emit_signed


def load_signer(key_path: Path, cert_path: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An EC P-256 private key and its certificate from PEM files."""
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{key_path}: not an EC P-256 private key")
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def emit_signed(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`python:reference_impl.signing:emit_signed`: key and certificate named by the environment."""
    key_path, cert_path = os.environ.get(KEY_VARIABLE), os.environ.get(CERT_VARIABLE)
    if not key_path or not cert_path:
        raise ValueError(f"set {KEY_VARIABLE} and {CERT_VARIABLE} to PEM files of the signing key and certificate")
    return signing_emitter(*load_signer(Path(key_path), Path(cert_path)))(scenario)
