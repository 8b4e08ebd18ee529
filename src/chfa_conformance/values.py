"""Hypothesis strategies for single values: EUIs, firmware versions, instants, XML text.

Each value has several correct spellings (letter case, time zone, surrounding whitespace) and
a DSP must treat them alike, so these strategies draw the spelling as well as the value; the
whole-scenario strategies in strategies.py build on them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from hypothesis import strategies as st

EUI_MAX = 2**64 - 1
# minutes east of UTC; None is written "Z". UTC first, so shrinking lands on the plain form.
ZONES: tuple[int | None, ...] = (None, 0, 60, -300, 330, 840, -720)
_XML_FORBIDDEN = "".join(chr(code) for code in range(0x20) if chr(code) not in "\t\n\r") + "\ufffe\uffff"

# Strategy objects are built once and reused (functools.cache): hypothesis validates each new
# strategy object, and building fresh ones for every draw made generation ten times slower.


def format_eui(number: int, upper: bool = True) -> str:
    """An EUI-64 written as eight hyphen-separated hex pairs, in the given letter case."""
    raw = f"{number:016X}" if upper else f"{number:016x}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


def eui_spellings(number: int) -> st.SearchStrategy[str]:
    """One way of writing this EUI: upper case (what shrinking prefers) or lower case."""
    return st.builds(_spelled, st.just(number), integers(0, 1))


def euis() -> st.SearchStrategy[str]:
    """Any EUI-64, in either letter case."""
    return st.builds(_spelled, integers(0, EUI_MAX), integers(0, 1))


def _spelled(number: int, lower: int) -> str:
    return format_eui(number, upper=not lower)


@cache
def integers(low: int, high: int) -> st.SearchStrategy[int]:
    """An integer strategy, one object per range (see the note above)."""
    return st.integers(low, high)


@cache
def xml_characters() -> st.SearchStrategy[str]:
    """Any character XML 1.0 text can carry and JSON and YAML can round-trip.

    That excludes the C0 controls other than tab, line feed and carriage return, surrogate
    code points (no UTF-8 encoding exists for them) and U+FFFE/U+FFFF.
    """
    return st.characters(exclude_categories=["Cs"], exclude_characters=_XML_FORBIDDEN)


@cache
def firmware_versions() -> st.SearchStrategy[str]:
    """A FirmwareVersion: any xs:string of 1 to 8 characters XML can carry.

    Hex-like versions come first (what shrinking lands on), then printable ASCII with spaces
    and punctuation, versions with leading or trailing whitespace, and any XML text at all
    (non-ASCII letters, symbols, tabs, line breaks, characters outside the BMP). A DSP must
    carry each unaltered.
    """
    printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    padded = st.tuples(
        st.sampled_from((" ", "\t", "  ", "\n")),
        st.text(alphabet=printable, min_size=1, max_size=4),
        st.sampled_from(("", " ", "\r\n")),
    ).map("".join)
    return st.one_of(
        st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=8),
        st.text(alphabet=printable, min_size=1, max_size=8),
        padded,
        st.text(alphabet=xml_characters(), min_size=1, max_size=8),
    )


def instant_spellings(instant: datetime) -> st.SearchStrategy[str]:
    """One way of writing this instant: 'Z' or a numeric zone, with the fraction it has."""
    return _zones().map(lambda zone: write_instant(instant, zone))


@cache
def _zones() -> st.SearchStrategy[int | None]:
    return st.sampled_from(ZONES)


def write_instant(instant: datetime, zone_minutes: int | None) -> str:
    """The instant as an xs:dateTime in the given zone (None: UTC written 'Z')."""
    local = instant.astimezone(timezone(timedelta(minutes=zone_minutes or 0)))
    text = f"{local.year:04d}-" + local.strftime("%m-%dT%H:%M:%S")
    if local.microsecond:
        text += "." + f"{local.microsecond:06d}".rstrip("0")
    if zone_minutes is None:
        return text + "Z"
    sign = "-" if zone_minutes < 0 else "+"
    hours, minutes = divmod(abs(zone_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"
