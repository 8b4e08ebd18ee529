"""What a check reports: one requirement id and the evidence for it."""

from __future__ import annotations

from dataclasses import dataclass

JUDGED_REQUIREMENTS = frozenset(
    {
        "ALERT-CODE",
        "ALERT-DEVICE",
        "ALERT-FW-VERSION",
        "ALERT-LATENCY",
        "ALERT-NO-RECIPIENT",
        "ALERT-NOT-ON-FAILURE",
        "ALERT-ONCE",
        "ALERT-TRIGGER",
        "DUIS-SCHEMA",
        "DUIS-VERSION",
        "HEADER-IDS",
        "HEADER-TIME",
        "NOTICE-7-DAYS",
        "RECIPIENTS-CHANGE-OF-SUPPLIER",
        "RECIPIENTS-ONLY-SUPPLIERS",
        "RECIPIENTS-RESPONSIBLE",
        "RECIPIENTS-SPLIT",
        "ROLLOUT-SCALE",
        "SIGNED",
        "SMETS2-ONLY",
        "SMI-CONSISTENT",
    }
)
"""Every id a check in this engine can report. The spec must hold exactly these: a judged id without its
entry would crash the report, and an entry no check judges would always pass."""


@dataclass(frozen=True)
class Finding:
    """One violation. `delivery` is the 1-based number of the candidate's output line."""

    requirement: str
    message: str
    recipient: str | None = None
    location: str | None = None
    expected: str | None = None
    seen: str | None = None
    delivery: int | None = None

    def evidence(self) -> str:
        parts = []
        if self.delivery is not None:
            parts.append(f"alert #{self.delivery}")
        if self.recipient is not None:
            parts.append(f"recipient {self.recipient}")
        if self.location is not None:
            parts.append(f"at {self.location}")
        look_alike = _look_alike(self.expected, self.seen)
        if self.expected is not None:
            parts.append(f"expected {self.expected!r}" + (f" (as code points {self.expected!a})" if look_alike else ""))
        if self.seen is not None:
            parts.append(f"seen {self.seen!r}" + (f" (as code points {self.seen!a})" if look_alike else ""))
        return "; ".join(parts)


def _look_alike(expected: object, seen: object) -> bool:
    """Two different texts a reader might not tell apart (composed and decomposed accents,
    invisible characters): the report then spells both out in code points."""
    if not isinstance(expected, str) or not isinstance(seen, str) or expected == seen:
        return False
    return not (expected.isascii() and seen.isascii())
