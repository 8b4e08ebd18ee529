"""xs:dateTime values: parsed strictly, with the time zone kept apart from the instant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

_DATETIME = re.compile(
    r"(?P<year>-?[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)


@dataclass(frozen=True)
class XsDateTime:
    """A parsed xs:dateTime. `instant` is aware; without a zone it is read as UTC and flagged.

    `resolution` is the step its digits can express (1 s with no fraction, 1 ms with three
    digits, at least 1 µs): a clock stamping whole seconds writes 10:00:00 for any instant of
    that second, so the stamp stands for the interval [instant, instant + resolution)."""

    instant: datetime
    has_zone: bool
    resolution: timedelta = timedelta(microseconds=1)


def parse_xs_datetime(text: str) -> XsDateTime | None:
    """Parse the xs:dateTime lexical form (whitespace collapsed); None when it is not one."""
    match = _DATETIME.fullmatch(text.strip())
    if match is None:
        return None
    parts = match.groupdict()
    extra = timedelta()
    hour = int(parts["hour"])
    if hour == 24:
        if parts["minute"] != "00" or parts["second"] != "00" or int(parts["fraction"] or "0") != 0:
            return None
        hour, extra = 0, timedelta(days=1)
    zone = _zone(parts["zone"])
    if isinstance(zone, bool):
        return None
    fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
    year = int(parts["year"])
    if year == 0 or (len(parts["year"].lstrip("-")) > 4 and parts["year"].lstrip("-").startswith("0")):
        return None  # XML Schema 1.0 has no year zero and no padded long years
    if not 1 <= year <= 9999:
        return _beyond_calendar(year, parts, zone is not None)
    try:
        value = datetime(
            year,
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts["minute"]),
            int(parts["second"]),
            int(fraction),
            tzinfo=zone or UTC,
        )
    except ValueError:
        return None
    try:
        return XsDateTime(instant=value + extra, has_zone=zone is not None, resolution=_resolution(parts["fraction"]))
    except OverflowError:
        return XsDateTime(instant=datetime.max.replace(tzinfo=UTC), has_zone=zone is not None)


def _resolution(fraction: str | None) -> timedelta:
    return timedelta(microseconds=10 ** (6 - min(len(fraction or ""), 6)))


def _beyond_calendar(year: int, parts: dict[str, str], has_zone: bool) -> XsDateTime | None:
    """A valid xs:dateTime outside Python's years 1-9999: the earliest or latest instant it has.

    The order against any activation is all the checks need, and it is kept."""
    try:  # the month and day must still exist; a year of the same leap rule stands in
        datetime(2000 + year % 400, int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None
    edge = datetime.min if year < 1 else datetime.max
    return XsDateTime(instant=edge.replace(tzinfo=UTC), has_zone=has_zone)


def _zone(text: str | None) -> timezone | bool | None:
    if text is None:
        return None
    if text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59 or (hours == 14 and minutes != 0):
        return False
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


LATEST_SCENARIO_INSTANT = datetime(9999, 1, 1, tzinfo=UTC)  # scenario times stay before it: alerts follow them


_OFFSET = re.compile(r"T[0-9:.]+[+-][0-9]{2}:[0-9]{2}$")


def parse_instant(text: str) -> datetime:
    """A scenario timestamp: must carry a zone. Raises ValueError otherwise."""
    parsed = parse_xs_datetime(text)
    if parsed is None and _OFFSET.search(text) and _zone(text[-6:]) is False:
        raise ValueError(f"{text!r} has a time-zone offset outside -14:00 to +14:00")
    if parsed is None or not parsed.has_zone:
        raise ValueError(f"{text!r} is not a date-time with a time zone")
    return parsed.instant


def format_instant(value: datetime) -> str:
    """UTC, millisecond precision, 'Z' suffix: the form the DSP's messages use."""
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"  # %Y drops a year's zeros


def span(seconds: float) -> str:
    """A length of time as a reader takes it in: '0.25s', '1h 2min 3.5s', '30d' (not 2.592e+06s)."""
    whole, fraction = divmod(abs(seconds), 1)
    days, rest = divmod(int(whole), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    tail = f"{rest + fraction:.6f}".rstrip("0").rstrip(".")
    parts = [f"{days}d" * bool(days), f"{hours}h" * bool(hours), f"{minutes}min" * bool(minutes), f"{tail}s" * (tail != "0")]
    return ("-" if seconds < 0 else "") + (" ".join(part for part in parts if part) or "0s")
