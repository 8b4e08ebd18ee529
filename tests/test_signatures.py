"""The signature verifier on real DSP-signed messages and on hostile edits of one.

The messages and certificates are the DCC test environment's, in ../shared/dccboxed (never
copied here); which certificate verifies which message is the table in ../shared/README.md.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from lxml import etree

from chfa_conformance.errors import SourceError
from chfa_conformance.signatures import DS, load_certificates, shared_key_notes, verify_signature
from tests.conftest import DCCBOXED
from tests.signing_keys import make_signer

Z1 = "Z1-accessControlBroker-dSPXmlSign.pem"
DS_CERT = "dsp-xml-sign-90B3D51F30000002-ds.pem"
PRE_141 = "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1.pem"
ALL_CERTS = (Z1, DS_CERT, PRE_141)

# message -> (the certificate ../shared/README.md names, the verdict with all three configured)
DCCBOXED_VERDICTS = {
    "read-inventory-response-5.4.xml": (Z1, "valid"),
    "readfw-response-resigned.xml": (Z1, "valid"),
    "read-inventory-response-4g.xml": (DS_CERT, "valid"),
    "readfw-response.xml": (PRE_141, "valid"),
    "readfw-response-badsignature.xml": (PRE_141, "bad-signature"),
    "readfw-response-no-signature.xml": (None, "unsigned"),
    "readfw-response-invalid.xml": (None, "unknown-signer"),  # signed by a certificate not among the three
    "duis-xxe.xml": (None, "refused"),
}


@pytest.fixture(scope="module")
def dccboxed() -> Path:
    if not (DCCBOXED / Z1).is_file():
        pytest.skip(f"DSP-signed sample messages not found at {DCCBOXED}")
    return DCCBOXED


@pytest.mark.parametrize("message", sorted(DCCBOXED_VERDICTS))
def test_dccboxed_verdicts_with_all_dsp_certificates(message: str, dccboxed: Path) -> None:
    verdict = verify_signature((dccboxed / message).read_bytes(), load_certificates([dccboxed / name for name in ALL_CERTS]))
    assert verdict.kind == DCCBOXED_VERDICTS[message][1], verdict.reason


@pytest.mark.parametrize("message", [name for name, (cert, kind) in DCCBOXED_VERDICTS.items() if kind == "valid"])
def test_each_valid_message_verifies_with_the_certificate_named_for_it_alone(message: str, dccboxed: Path) -> None:
    named = DCCBOXED_VERDICTS[message][0]
    assert named is not None
    assert verify_signature((dccboxed / message).read_bytes(), load_certificates([dccboxed / named])).kind == "valid"
    others = [dccboxed / name for name in ALL_CERTS if name != named]
    assert verify_signature((dccboxed / message).read_bytes(), load_certificates(others)).kind == "unknown-signer"


def test_a_certificate_with_the_same_key_but_another_serial_is_an_unknown_signer(dccboxed: Path) -> None:
    """Z1 and the '-ds' certificate share one key: the key verifies, the serial decides."""
    data = (dccboxed / "read-inventory-response-5.4.xml").read_bytes()
    same_key = load_certificates([dccboxed / DS_CERT])[0]
    assert same_key.key.public_numbers() == load_certificates([dccboxed / Z1])[0].key.public_numbers()
    root = etree.fromstring(data)
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    assert signed_info is not None
    raw = base64.b64decode("".join((signature.findtext(f"{{{DS}}}SignatureValue") or "").split()))
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    same_key.key.verify(der, etree.tostring(signed_info, method="c14n", exclusive=True), ec.ECDSA(hashes.SHA256()))  # would pass
    verdict = verify_signature(data, [same_key])
    assert verdict.kind == "unknown-signer"
    assert "20315062944123339095836004026371736578" in verdict.reason


def der_value(text: str) -> str:
    """A raw r||s SignatureValue re-encoded as DER, in base64."""
    raw = base64.b64decode("".join(text.split()))
    der = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    return base64.b64encode(der).decode()


def _between(data: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + ".*?" + re.escape(end), data, re.DOTALL)
    assert found is not None, start
    return found.group(0)


def _edits() -> dict[str, tuple[str, object]]:
    """Edits of readfw-response.xml: name -> (expected verdict, function of the text)."""

    def swap(old: str, new: str) -> object:
        return lambda text: text.replace(old, new, 1) if old in text else pytest.fail(f"{old!r} not in the message")

    value = "NaXpbvRklP6JBVoH/4r/Uwi24/2JjKXQ9MYGysXbywfkyNmKNfQa3cU/mPZHYVLMVjrjXcb5gJMV&#13; rJNjTBiUHQ=="
    return {
        "reference-to-a-fragment": ("wrapped", swap('<ds:Reference URI="">', '<ds:Reference URI="#body">')),
        "reference-without-uri": ("wrapped", swap('<ds:Reference URI="">', "<ds:Reference>")),
        "two-references": ("wrapped", lambda t: t.replace(ref := _between(t, "<ds:Reference ", "</ds:Reference>"), ref + ref)),
        "two-signatures": ("wrapped", lambda t: t.replace(sig := _between(t, "<ds:Signature ", "</ds:Signature>"), sig + sig)),
        "object-smuggled-in-signature": (
            "wrapped",
            lambda t: t.replace("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object>" + _between(t, "<sr:Body>", "</sr:Body>") + "</ds:Object>"),
        ),
        "signature-moved-into-body": (
            "wrapped",
            lambda t: t.replace(sig := _between(t, "<ds:Signature ", "</ds:Signature>"), "").replace("</sr:Body>", sig + "</sr:Body>"),
        ),
        "unused-root-namespace-removed": ("digest-mismatch", swap(' xmlns:ns3="http://www.w3.org/2000/09/xmldsig#"', "")),
        "content-changed": ("digest-mismatch", swap("2022-08-17T15:45:42.790Z", "2022-08-17T15:45:42.791Z")),
        "text-after-the-signature": ("digest-mismatch", swap("</ds:Signature>", "</ds:Signature>\n")),
        "signature-value-changed": ("bad-signature", swap(value, value.replace("NaXp", "NaXq"))),
        "digest-value-changed-too": ("digest-mismatch", swap("necBxpQbLFPg", "necBxpQbLFPh")),
        "rsa-signature-method": ("outside-profile", swap("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256")),
        "inclusive-c14n-of-signed-info": (
            "outside-profile",
            swap("http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"),
        ),
        "extra-transform": (
            "outside-profile",
            swap("</ds:Transforms>", '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'),
        ),
        "sha1-digest": ("outside-profile", swap("http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1")),
        "der-signature-value": ("outside-profile", lambda t: t.replace(value, der_value(value.replace("&#13;", "")))),
        "certificate-in-key-info": (
            "outside-profile",
            swap("</ds:X509IssuerSerial>", "</ds:X509IssuerSerial><ds:X509Certificate>AAAA</ds:X509Certificate>"),
        ),
        "key-value-instead-of-serial": ("outside-profile", lambda t: t.replace(_between(t, "<ds:X509Data>", "</ds:X509Data>"), "")),
        "serial-not-a-number": ("outside-profile", swap("50669612984035780968362471400449834504", "0x261E9CCC")),
        "serial-of-5000-digits": ("outside-profile", swap("50669612984035780968362471400449834504", "9" * 5000)),
        "other-issuer": ("unknown-signer", swap("CN=Z1,OU=07", "CN=Z2,OU=07")),
        "issuer-in-reverse-order": ("unknown-signer", swap("CN=Z1,OU=07", "OU=07,CN=Z1")),
        "issuer-with-spaces-after-commas": ("valid", swap("CN=Z1,OU=07", "CN=Z1, OU=07")),  # KeyInfo is outside the signed content
        "issuer-in-lower-case-types": ("valid", swap("CN=Z1,OU=07", "cn=Z1,ou=07")),
        # KeyInfo and the values' comments are outside what is signed: XPath reads the text around a comment
        "comment-inside-signature-value": ("valid", swap("<ds:SignatureValue>", "<ds:SignatureValue><!-- x -->")),
        "comment-inside-digest-value": ("valid", swap("<ds:DigestValue>necB", "<ds:DigestValue>ne<!-- x -->cB")),
        "comment-inside-issuer-name": ("valid", swap("CN=Z1,OU=07", "CN=Z1,<!-- x -->OU=07")),
        "instruction-before-issuer-name": ("valid", swap("<ds:X509IssuerName>", "<ds:X509IssuerName><?pi x?>")),
        "comment-inside-serial": ("valid", swap("506696129840", "506696<!-- x -->129840")),
        "element-inside-signature-value": ("outside-profile", swap("<ds:SignatureValue>", "<ds:SignatureValue><ds:X/>")),
        "non-breaking-space-in-issuer": ("unknown-signer", swap("CN=Z1,OU=07", "CN=Z1,\u00a0OU=07")),
        "declaration-dropped": ("valid", lambda t: t.split("?>", 1)[1]),
        "comment-inside-signed-info": ("valid", swap("<ds:SignedInfo>", "<ds:SignedInfo><!-- not signed -->")),
    }


EDITS = _edits()


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_signed_message_gets_its_own_verdict(edit: str, dccboxed: Path) -> None:
    expected, change = EDITS[edit]
    original = (dccboxed / "readfw-response.xml").read_text(encoding="utf-8")
    assert callable(change)
    edited = change(original)
    assert edited != original
    verdict = verify_signature(edited.encode("utf-8"), load_certificates([dccboxed / name for name in ALL_CERTS]))
    assert verdict.kind == expected, verdict.reason


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"not a certificate\n", "not a PEM X.509 certificate file"),
        (None, "cannot read the certificate"),
    ],
)
def test_a_bad_certificate_file_is_one_line_naming_it(content: bytes | None, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "dsp.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceError) as raised:
        load_certificates([path])
    assert str(raised.value).startswith(f"{path}: ") and problem in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_certificate_without_a_p256_key_is_refused(tmp_path: Path) -> None:
    signer = make_signer(tmp_path, "p384", 8, key=ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(SourceError, match="has no EC P-256 key"):
        load_certificates([signer.cert_path])


def test_the_relabelling_that_a_shared_key_allows_is_pointed_out(dccboxed: Path) -> None:
    """The note is true: relabelled to the other serial of the same key, the message verifies."""
    both = load_certificates([dccboxed / Z1, dccboxed / DS_CERT])
    assert len(shared_key_notes(both)) == 1
    assert shared_key_notes(load_certificates([dccboxed / name for name in (Z1, PRE_141)])) == []
    relabelled = (
        (dccboxed / "read-inventory-response-5.4.xml")
        .read_bytes()
        .replace(b"20315062944123339095836004026371736578", str(both[1].serial).encode())
    )
    assert verify_signature(relabelled, both).reason.endswith(f"({dccboxed / DS_CERT})")
