"""Instants are written as xs:dateTime wants them, whatever the year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chfa_conformance.instants import format_instant, parse_instant, parse_xs_datetime, span
from reference_impl.emitter import _format


def test_a_year_before_1000_keeps_its_four_digits() -> None:
    moment = datetime(500, 6, 1, 10, 0, 2, tzinfo=UTC)
    assert format_instant(moment) == _format(moment) == "0500-06-01T10:00:02.000Z"
    assert parse_instant(format_instant(moment)) == moment


@pytest.mark.parametrize(
    "seconds, shown",
    [(0, "0s"), (0.25, "0.25s"), (1e-6, "0.000001s"), (60, "1min"), (3723.5, "1h 2min 3.5s"), (2_592_000, "30d"), (-90, "-1min 30s")],
)
def test_a_span_reads_as_days_hours_minutes_and_seconds(seconds: float, shown: str) -> None:
    assert span(seconds) == shown


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("2025-06-01T10:00:00Z", timedelta(seconds=1)),
        ("2025-06-01T10:00:00.4Z", timedelta(milliseconds=100)),
        ("2025-06-01T10:00:00.400Z", timedelta(milliseconds=1)),
        ("2025-06-01T10:00:00.400000Z", timedelta(microseconds=1)),
        ("2025-06-01T10:00:00.4000001Z", timedelta(microseconds=1)),
    ],
)
def test_a_stamp_knows_the_step_its_digits_can_express(text: str, resolution: timedelta) -> None:
    parsed = parse_xs_datetime(text)
    assert parsed is not None and parsed.resolution == resolution
