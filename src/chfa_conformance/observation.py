"""Each delivered alert parsed safely, validated against its version's schema, read and,
when DSP certificates are configured, its signature verified."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chfa_conformance.alert_reading import AlertContent, read_alert
from chfa_conformance.candidates import Delivery
from chfa_conformance.duis_schema import SchemaSet, SchemaVerdict
from chfa_conformance.instants import XsDateTime, parse_xs_datetime
from chfa_conformance.scenario import address, eui
from chfa_conformance.signatures import DspCertificate, SignatureVerdict, verify_signature
from chfa_conformance.xml_safety import XmlProblem, parse_untrusted


@dataclass(frozen=True)
class ObservedAlert:
    delivery: Delivery
    recipient: str
    problem: XmlProblem | None
    content: AlertContent | None
    schema: SchemaVerdict | None
    sent_at: XsDateTime | None
    signature: SignatureVerdict | None = None  # None: no certificates configured, or the document was refused

    @property
    def number(self) -> int:
        return self.delivery.number

    @property
    def readable(self) -> bool:
        """Whether it is one of the two alerts this suite reads (well-formed, known body)."""
        return self.content is not None and self.content.body in ("activation", "version-mismatch")

    @property
    def device(self) -> str | None:
        if self.content is None or self.content.device is None:
            return None
        return eui(self.content.device.value)


def observe(deliveries: Iterable[Delivery], schemas: SchemaSet, certificates: Sequence[DspCertificate] = ()) -> list[ObservedAlert]:
    return [observe_one(delivery, schemas, certificates) for delivery in deliveries]


def observe_one(delivery: Delivery, schemas: SchemaSet, certificates: Sequence[DspCertificate] = ()) -> ObservedAlert:
    recipient = address(delivery.recipient)
    parsed = parse_untrusted(delivery.xml)
    if isinstance(parsed, XmlProblem):
        return ObservedAlert(delivery, recipient, parsed, None, None, None)
    content = read_alert(parsed)
    verdict = schemas.validate(parsed, content.schema_version)
    sent_at = parse_xs_datetime(content.response_datetime.value) if content.response_datetime else None
    # the verifier parses the bytes afresh: it removes the Signature from its own tree to digest it
    signature = verify_signature(delivery.xml, certificates) if certificates else None
    return ObservedAlert(delivery, recipient, None, content, verdict, sent_at, signature)
