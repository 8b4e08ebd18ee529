"""Expand a case file's `wave:` block into plain scenario data.

A rollout of thousands of hubs is written as a few parameters; the expansion is
deterministic, so the same file always yields the same scenario. The hubs come out one at a
time (`iter_wave_hubs`) so that a streamed run can judge a wave of any size without ever
holding all of it; `expand_wave` collects them for the ordinary, in-memory run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from chfa_conformance.instants import LATEST_SCENARIO_INSTANT, format_instant, parse_instant

_DEFAULT_MIX = ("electricity", "dual-fuel", "split", "gas")


def _eui(prefix: int, number: int) -> str:
    raw = f"{prefix:04X}{number:012X}"
    return "-".join(raw[i : i + 2] for i in range(0, 16, 2))


def expand_wave(wave: Mapping[str, Any], default_versions: tuple[str, ...]) -> dict[str, Any]:
    """Scenario data (users, hubs, events, notices) for the rollout the wave block describes."""
    users = wave_users(wave, default_versions)
    hubs, events = [], []
    for hub, event in iter_wave_hubs(wave, users):
        hubs.append(hub)
        events.append(event)
    data: dict[str, Any] = {"users": users, "hubs": hubs, "events": events}
    notices = wave_notices(wave)
    if notices is not None:
        data["notices"] = notices
    return data


def wave_users(wave: Mapping[str, Any], default_versions: tuple[str, ...]) -> list[dict[str, Any]]:
    """An import and a gas supplier User ID for each supplier party of the wave."""
    parties = wave.get("supplier_parties", 3)
    versions = tuple(wave.get("duis_versions", default_versions))
    users = []
    for party in range(parties):
        for offset, role in ((0x100, "import_supplier"), (0x200, "gas_supplier")):
            users.append(
                {
                    "id": _eui(0x90B3, 0xD51F3000_0000 + offset + party),
                    "role": role,
                    "duis_version": versions[party % len(versions)],
                    "party": f"supplier-{party + 1}",
                }
            )
    return users


def iter_wave_hubs(wave: Mapping[str, Any], users: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each hub of the wave with its one firmware event, in wave (and time) order, lazily."""
    parties = len(users) // 2
    mix = tuple(wave.get("supply_mix", _DEFAULT_MIX))
    start = wave_start(wave)
    spacing = timedelta(seconds=wave.get("spacing_seconds", 1))
    since = format_instant(start - timedelta(days=365))
    failed_every = wave.get("failed_every", 0)
    for number in range(wave["hubs"]):
        chf = _eui(0x00DB, number * 4)
        kind = mix[number % len(mix)]
        import_party = (number // len(mix)) % parties  # every supply kind meets every party
        gas_party = (import_party + 1) % parties if kind == "split" else import_party
        meters = []
        if kind in ("electricity", "dual-fuel", "split"):
            meters.append(_meter(_eui(0x00DB, number * 4 + 1), "ESME", users[2 * import_party]["id"], since))
        if kind in ("gas", "dual-fuel", "split"):
            meters.append(_meter(_eui(0x00DB, number * 4 + 2), "GSME", users[2 * gas_party + 1]["id"], since))
        failed = failed_every > 0 and number % failed_every == failed_every - 1
        event = {
            "hub": chf,
            "at": format_instant(start + spacing * number),
            "outcome": "activation_failed" if failed else "activated",
            "firmware_from": wave["firmware_from"],
            "firmware_to": wave["firmware_to"],
        }
        yield {"chf": chf, "smets": 2, "meters": meters}, event


def wave_start(wave: Mapping[str, Any]) -> datetime:
    """The wave's start, once its whole span (a year of supply before it, its notice, every hub) fits the calendar."""
    start = parse_instant(wave["start"])
    try:
        first = start - timedelta(days=365 + wave.get("notice_days_before", 0))
        last = start + timedelta(seconds=wave.get("spacing_seconds", 1)) * wave["hubs"]
    except OverflowError:
        first = last = LATEST_SCENARIO_INSTANT
    if first.year < 2 or last >= LATEST_SCENARIO_INSTANT:
        raise ValueError(f"a wave starting {wave['start']!r} does not fit between the years 2 and 9998")
    return start


def wave_activations(wave: Mapping[str, Any]) -> int:
    """How many of the wave's events are successful activations (without expanding it)."""
    failed_every = wave.get("failed_every", 0)
    failed = wave["hubs"] // failed_every if failed_every > 0 else 0
    return int(wave["hubs"]) - failed


def wave_notices(wave: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The wave's one notice to all hubs, when the block asks for one."""
    if "notice_days_before" not in wave:
        return None
    start = wave_start(wave)
    return [{"at": format_instant(start - timedelta(days=wave["notice_days_before"]))}]


def _meter(meter_id: str, meter_type: str, supplier: str, since: str) -> dict[str, Any]:
    return {"id": meter_id, "type": meter_type, "commissioned": True, "responsible": [{"user": supplier, "from": since, "to": None}]}
