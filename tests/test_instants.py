"""Instants are written as xs:dateTime wants them, whatever the year."""

from __future__ import annotations

from datetime import UTC, datetime

from chfa_conformance.instants import format_instant, parse_instant
from reference_impl.emitter import _format


def test_a_year_before_1000_keeps_its_four_digits() -> None:
    moment = datetime(500, 6, 1, 10, 0, 2, tzinfo=UTC)
    assert format_instant(moment) == _format(moment) == "0500-06-01T10:00:02.000Z"
    assert parse_instant(format_instant(moment)) == moment
