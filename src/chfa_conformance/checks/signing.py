"""SIGNED: each delivered alert carries a valid DSP-profile signature (when certificates are set).

The verdicts come from chfa_conformance.signatures; each kind (unsigned, unknown signer,
digest mismatch, bad signature, wrapped, outside the profile) leads the finding's message,
so a reader tells them apart at a glance. An alert refused before parsing is a DUIS-SCHEMA
finding already and is not reported twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from chfa_conformance.findings import Finding
from chfa_conformance.observation import ObservedAlert

LOCATION = "/Response/ds:Signature"


def check_signatures(observed: Sequence[ObservedAlert]) -> Iterator[Finding]:
    """One SIGNED finding per alert whose signature is not a valid DSP signature."""
    for alert in observed:
        verdict = alert.signature
        if verdict is None or verdict.valid or verdict.kind == "refused":
            continue
        yield Finding(
            "SIGNED",
            f"signature {verdict.kind}: {verdict.reason}",
            alert.recipient,
            LOCATION,
            "a valid DSP signature",
            verdict.kind,
            alert.number,
        )
