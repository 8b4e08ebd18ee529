"""Hypothesis strategies for whole scenarios, in the candidate protocol's shape.

Every strategy yields plain data (dicts, lists, strings) that `scenario.build_scenario`
accepts and `schemas/scenario-v1.schema.json` validates, so a drawn example can be handed to
any candidate, judged, and written out as a case file. They are public so a vendor can draw
scenarios for their own harness::

    from chfa_conformance.specs import load_spec
    from chfa_conformance.strategies import protocol_scenarios
    profile = load_spec(Path("specs")).profile

    @given(protocol_scenarios(profile))
    def test_my_dsp(scenario): ...

The scenarios stay consistent, because the scenario model refuses anything else and a
contradictory scenario would judge the generator, not the candidate:

- EUIs are unique across users, CHFs and meters; each occurrence is written in upper or lower
  case on its own draw, since a DSP must match identifiers whatever their case;
- a meter's Responsible Supplier has the meter's supplier role, and its registrations never
  overlap; users are on DUIS versions the profile knows;
- the events of one hub are at least `MIN_EVENT_GAP` apart, more than twice the default
  latency limit, so an alert can only be read as answering one of them (see matching.py);
- when notices are drawn, every activation gets the profile's notice period, because
  NOTICE-7-DAYS judges the rollout log, which the candidate cannot influence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from chfa_conformance.scenario import PROTOCOL_VERSION, SUPPLIER_ROLE_FOR_METER
from chfa_conformance.specs import Profile
from chfa_conformance.values import EUI_MAX, ZONES, firmware_versions, format_eui, integers, write_instant

BASE = datetime(2025, 6, 1, tzinfo=UTC)
MIN_EVENT_GAP = timedelta(hours=1)
MAX_HUBS = 6  # hubs per mixed inventory: each may be of another kind, so one example covers several
SMETS1_SHARE = 4  # one hub in four is SMETS1
# simplest first: shrinking heads for the kinds early in the list
SUPPLY_KINDS = ("electricity", "gas", "dual-fuel", "split", "no-meters", "uncommissioned", "several-meters")
WAVE_KINDS = ("electricity", "dual-fuel", "split", "gas")
OUTCOMES = ("activated", "activation_failed", "distributed", "initiated")
EVENT_PATTERNS: tuple[tuple[str, ...], ...] = (
    ("activated",),
    (),  # a hub with no firmware event at all, beside hubs that have one
    ("activation_failed", "activated"),
    ("activated", "activated", "activated"),
    ("distributed",),
    ("distributed", "activated"),
    ("initiated", "activated"),
    ("activation_failed",),
)
REGISTRATION_PATTERNS = ("steady", "change-of-supplier", "lost-before", "gained", "none")
NON_SUPPLIER_ROLES = ("export_supplier", "electricity_network_operator", "gas_network_operator", "registered_supplier_agent", "other")
SUPPLIER_PARTY_SLOTS = 4

WAVE_SHARE = 3  # one draw in three is a rollout wave (hypothesis takes the branch less often than that)
VERSION_CHANGE_OFFSETS_US = (0, -1, 1, -1_000_000, 1_000_000)
SIX_HOURS_US = 6 * 3600 * 10**6

Draw = st.DrawFn


def _new_version(draw: Draw, old: str) -> str:
    """A version different from `old`, what an activation moves to (no filter: a clash, rare
    and what shrinking heads for, becomes '0' or '1')."""
    version: str = draw(firmware_versions())
    if version != old:
        return version
    return "1" if old == "0" else "0"


def _pick(draw: Draw, options: tuple[Any, ...]) -> Any:
    """One of `options`, the first preferred by shrinking."""
    return options[draw(integers(0, len(options) - 1))]


def _microseconds(draw: Draw) -> int:
    """Usually none, sometimes any: instants with and without a fraction."""
    return 0 if draw(integers(0, 3)) else int(draw(integers(1, 999_999)))


def _shuffled(draw: Draw, items: list[Any]) -> list[Any]:
    """The items in a drawn order; shrinking heads for the order given."""
    rest = list(items)
    return [rest.pop(draw(integers(0, len(rest) - 1))) for _ in range(len(items))]


# --- the inventory being drawn --------------------------------------------------------


@dataclass(frozen=True)
class _Spelling:
    """How each occurrence of an EUI or an instant is written: its letter case, its zone.

    One drawn number decides them all, instead of a draw per occurrence (a scenario has
    dozens): drawing was the run's bottleneck. Number 0, where shrinking heads, writes every
    EUI in upper case and every instant in UTC with 'Z'; any other seeds a generator that
    picks per occurrence. A failure that needs one odd spelling keeps a mixed one.
    """

    chooser: random.Random | None

    @classmethod
    def drawn(cls, draw: Draw) -> _Spelling:
        number = draw(integers(0, 2**32 - 1))
        return cls(random.Random(number) if number else None)  # noqa: S311 - spelling choices, not secrets

    def eui(self, number: int) -> str:
        return format_eui(number, upper=self.chooser is None or self.chooser.random() < 0.5)

    def instant(self, instant: datetime) -> str:
        return write_instant(instant, None if self.chooser is None else self.chooser.choice(ZONES))


@dataclass
class _Inventory:
    """The users and EUIs drawn so far for one scenario.

    Local to one draw of one scenario (never shared), so it may grow as hubs are drawn:
    users are created on first use, which keeps shrunk scenarios free of unused users.
    """

    versions: tuple[str, ...]
    spelling: _Spelling
    varied_registrations: bool = True
    used: set[int] = field(default_factory=set)
    users: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    numbers: dict[tuple[str, int], int] = field(default_factory=dict)

    def new_eui(self, draw: Draw) -> int:
        """A drawn EUI number not used yet in this scenario (collisions step to the next)."""
        number: int = draw(integers(0, EUI_MAX))
        while number in self.used:
            number = (number + 1) % (EUI_MAX + 1)
        self.used.add(number)
        return number

    def user(self, draw: Draw, role: str, slot: int) -> int:
        """The User ID holding `role` for supplier party (or other party) `slot`, made on first use."""
        key = (role, slot)
        if key not in self.numbers:
            number = self.new_eui(draw)
            entry: dict[str, Any] = {"id": self.spelling.eui(number), "role": role, "duis_version": _pick(draw, self.versions)}
            if role in SUPPLIER_ROLE_FOR_METER.values():
                entry["party"] = f"supplier-{slot + 1}"
            self.numbers[key] = number
            self.users[key] = entry
        return self.numbers[key]


def _versions_for(profile: Profile) -> tuple[str, ...]:
    """DUIS versions the profile knows, those carrying the alert first (shrinking prefers them)."""
    return profile.duis_versions_with_alert + profile.duis_versions_without_alert


# --- events ---------------------------------------------------------------------------


@st.composite
def event_sequences(draw: Draw, chf: int, start: datetime) -> list[dict[str, Any]]:
    """The firmware events of one hub (see `_draw_events`)."""
    return _draw_events(draw, _Spelling.drawn(draw), chf, start)


def _draw_events(draw: Draw, spelling: _Spelling, chf: int, start: datetime) -> list[dict[str, Any]]:
    """A known pattern (failed then activated, repeated activations, distribution without
    activation, ...) or any list of outcomes, at least MIN_EVENT_GAP apart.

    Versions are chained: each event starts from the version active before it, and moves to a
    different one.
    """
    # the known patterns first: the simplest hub (what hypothesis' early examples grow from,
    # and what shrinking heads for) has one activation, so it is judged on an alert
    outcomes = (
        _pick(draw, EVENT_PATTERNS) if draw(integers(0, 2)) < 2 else tuple(_pick(draw, OUTCOMES) for _ in range(draw(integers(0, 4))))
    )
    current: str = draw(firmware_versions())
    at = start
    events = []
    for index, outcome in enumerate(outcomes):
        if index:
            at += MIN_EVENT_GAP + timedelta(seconds=draw(integers(0, 7 * 86_400)), microseconds=_microseconds(draw))
        new = _new_version(draw, current)
        event: dict[str, Any] = {
            "hub": spelling.eui(chf),
            "at": spelling.instant(at),
            "outcome": outcome,
            "firmware_from": current,
            "firmware_to": new,
        }
        urgent = _pick(draw, (None, False, True))
        if urgent is not None:
            event["urgent_security"] = urgent
        events.append(event)
        if outcome == "activated":
            current = new
    return events


def _event_times(events: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(event["at"].replace("Z", "+00:00")) for event in events]


# --- meters and registrations ---------------------------------------------------------


def _registrations(draw: Draw, inventory: _Inventory, role: str, party: int, anchors: list[datetime]) -> list[dict[str, Any]]:
    """A meter's Responsible Supplier registrations, possibly changing around one activation.

    `change-of-supplier` hands the meter to another party an offset before or after an anchor
    (an event of the hub), with the offsets that matter most (exactly at it, a microsecond or
    a second either side) drawn often; `lost-before` ends the supplier's responsibility with
    no successor, `gained` starts it only then, `none` leaves the meter without a supplier.
    """
    pattern = _pick(draw, REGISTRATION_PATTERNS) if inventory.varied_registrations or draw(integers(0, 7)) == 7 else "steady"
    anchor: datetime = _pick(draw, tuple(anchors))
    since = anchor - timedelta(days=draw(integers(1, 800)))
    offset = _pick(draw, VERSION_CHANGE_OFFSETS_US) if draw(integers(0, 1)) else draw(integers(-SIX_HOURS_US, SIX_HOURS_US))
    switch = anchor + timedelta(microseconds=offset)
    supplier = inventory.user(draw, role, party)
    if pattern == "steady":
        return [_registration(inventory.spelling, supplier, since, None)]
    if pattern == "lost-before":
        return [_registration(inventory.spelling, supplier, since, switch)]
    if pattern == "gained":
        return [_registration(inventory.spelling, supplier, switch, None)]
    if pattern == "none":
        return []
    successor = inventory.user(draw, role, _other_party(draw, party))
    entries = [_registration(inventory.spelling, supplier, since, switch), _registration(inventory.spelling, successor, switch, None)]
    return _shuffled(draw, entries)


def _registration(spelling: _Spelling, user: int, start: datetime, end: datetime | None) -> dict[str, Any]:
    return {"user": spelling.eui(user), "from": spelling.instant(start), "to": spelling.instant(end) if end is not None else None}


def _meter(
    draw: Draw, inventory: _Inventory, meter_type: str, party: int, anchors: list[datetime], commissioned: bool = True
) -> dict[str, Any]:
    """One ESME or GSME with its supplier registrations and, sometimes, other parties."""
    number = inventory.new_eui(draw)
    meter: dict[str, Any] = {
        "id": inventory.spelling.eui(number),
        "type": meter_type,
        "commissioned": commissioned,
        "responsible": _registrations(draw, inventory, SUPPLIER_ROLE_FOR_METER[meter_type], party, anchors),
    }
    others = {(_pick(draw, NON_SUPPLIER_ROLES), draw(integers(0, 1))) for _ in range(draw(integers(0, 2)))}
    if others:
        meter["other_parties"] = [inventory.spelling.eui(inventory.user(draw, role, slot)) for role, slot in sorted(others)]
    return meter


def _party(draw: Draw) -> int:
    return int(draw(integers(0, SUPPLIER_PARTY_SLOTS - 1)))


def _other_party(draw: Draw, party: int) -> int:
    return (party + int(draw(integers(1, SUPPLIER_PARTY_SLOTS - 1)))) % SUPPLIER_PARTY_SLOTS


def _meters_of_kind(draw: Draw, inventory: _Inventory, kind: str, anchors: list[datetime]) -> list[dict[str, Any]]:
    """The meters a hub of this supply kind serves."""
    party = _party(draw)
    if kind == "electricity":
        return [_meter(draw, inventory, "ESME", party, anchors)]
    if kind == "gas":
        return [_meter(draw, inventory, "GSME", party, anchors)]
    if kind == "dual-fuel":  # one supplier party, its two User IDs
        return [_meter(draw, inventory, "ESME", party, anchors), _meter(draw, inventory, "GSME", party, anchors)]
    if kind == "split":
        return [_meter(draw, inventory, "ESME", party, anchors), _meter(draw, inventory, "GSME", _other_party(draw, party), anchors)]
    if kind == "no-meters":
        return []
    count = draw(integers(1, 2)) if kind == "uncommissioned" else draw(integers(2, 4))
    found = []
    for _ in range(count):
        meter_type = _pick(draw, ("ESME", "GSME"))
        commissioned = kind != "uncommissioned" and draw(integers(0, 3)) != 3
        found.append(_meter(draw, inventory, meter_type, _party(draw), anchors, commissioned))
    return found


def _hub(draw: Draw, inventory: _Inventory, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One hub of the given supply kind (SMETS2, now and then SMETS1) and its events."""
    chf = inventory.new_eui(draw)
    smets = 1 if draw(integers(0, SMETS1_SHARE - 1)) == SMETS1_SHARE - 1 else 2
    start = BASE + timedelta(seconds=draw(integers(0, 30 * 86_400)), microseconds=_microseconds(draw))
    events = _draw_events(draw, inventory.spelling, chf, start)
    anchors = _event_times(events) or [start]
    hub = {"chf": inventory.spelling.eui(chf), "smets": smets, "meters": _meters_of_kind(draw, inventory, kind, anchors)}
    return hub, events


# --- notices and whole scenarios ------------------------------------------------------


def _notices(
    draw: Draw, spelling: _Spelling, profile: Profile, hub_events: list[tuple[int, list[dict[str, Any]]]]
) -> list[dict[str, Any]] | None:
    """A rollout log that gives every activation its notice period: none, one for all, or one per hub."""
    style = _pick(draw, ("none", "one-for-all", "per-hub"))
    timed = [(chf, _event_times(events)) for chf, events in hub_events if events]
    if style == "none" or not timed:
        return None
    lead = timedelta(days=profile.notice_days)

    def notice_before(first: datetime) -> str:
        return spelling.instant(first - lead - timedelta(seconds=draw(integers(0, 3 * 86_400))))

    if style == "one-for-all":
        return [{"at": notice_before(min(min(times) for _, times in timed))}]
    return [{"at": notice_before(min(times)), "hubs": [spelling.eui(chf)]} for chf, times in timed]


Built = list[tuple[dict[str, Any], list[dict[str, Any]]]]


def _assemble(draw: Draw, inventory: _Inventory, built: Built, profile: Profile) -> dict[str, Any]:
    """The case-file body: users, hubs, events in a drawn order, and notices when drawn."""
    events = [event for _, hub_events in built for event in hub_events]
    hub_events = [(_number_of(hub["chf"]), hub_events) for hub, hub_events in built]
    body: dict[str, Any] = {
        "users": list(inventory.users.values()),
        "hubs": [hub for hub, _ in built],
        "events": _shuffled(draw, events),
    }
    drawn_notices = _notices(draw, inventory.spelling, profile, hub_events)
    if drawn_notices is not None:
        body["notices"] = drawn_notices
    return body


def _number_of(eui: str) -> int:
    return int(eui.replace("-", ""), 16)


@st.composite
def inventories(draw: Draw, profile: Profile) -> dict[str, Any]:
    """A few hubs of mixed supply kinds, each with its own events and supplier history."""
    return _draw_inventory(draw, profile)


def _draw_inventory(draw: Draw, profile: Profile) -> dict[str, Any]:
    inventory = _Inventory(_versions_for(profile), _Spelling.drawn(draw))

    @st.composite
    def one_hub(hub_draw: Draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return _hub(hub_draw, inventory, _pick(hub_draw, SUPPLY_KINDS))

    # a list strategy, so that shrinking drops a whole hub (its kind and its draws) in one step;
    # at least one hub, since hypothesis grows its first examples from the simplest scenario
    # (a scenario without hubs still comes from a wave without activations)
    built: Built = draw(st.lists(one_hub(), min_size=1, max_size=MAX_HUBS))
    return _assemble(draw, inventory, built, profile)


@st.composite
def waves(draw: Draw, profile: Profile) -> dict[str, Any]:
    """A rollout wave (see `_draw_wave`)."""
    return _draw_wave(draw, profile)


def _draw_wave(draw: Draw, profile: Profile) -> dict[str, Any]:
    """SMETS2 hubs activated seconds apart to one new version, usually enough of them for the
    scenario to count as a rollout (profile.rollout_min_activations), a few activations failing.
    A rollout goes over ordinary hubs: their suppliers mostly stay put (one meter in eight
    draws the varied registrations of a mixed inventory)."""
    inventory = _Inventory(_versions_for(profile), _Spelling.drawn(draw), varied_registrations=False)
    # three waves in four reach a rollout's size; the fourth, where shrinking heads, may have
    # any fewer activations, down to none, so a failure met in a wave can shrink to one hub
    rollout = profile.rollout_min_activations
    activations = draw(integers(rollout, rollout + 15)) if draw(integers(0, 3)) else draw(integers(0, max(rollout - 1, 0)))
    outcomes = _shuffled(draw, ["activated"] * activations + ["activation_failed"] * draw(integers(0, 3)))
    old: str = draw(firmware_versions())
    new = _new_version(draw, old)
    start = BASE + timedelta(seconds=draw(integers(0, 86_400)))
    spacing = timedelta(seconds=draw(integers(1, 30)))
    built: Built = []
    for position, outcome in enumerate(outcomes):
        chf = inventory.new_eui(draw)
        at = start + spacing * position
        hub_meters = _meters_of_kind(draw, inventory, _pick(draw, WAVE_KINDS), [at])
        hub = {"chf": inventory.spelling.eui(chf), "smets": 2, "meters": hub_meters}
        spelled = {"hub": inventory.spelling.eui(chf), "at": inventory.spelling.instant(at)}
        event = {**spelled, "outcome": outcome, "firmware_from": old, "firmware_to": new}
        built.append((hub, [event]))
    return _assemble(draw, inventory, built, profile)


@st.composite
def scenarios(draw: Draw, profile: Profile) -> dict[str, Any]:
    """A whole scenario as a case file holds it (users, hubs, events, notices): usually a small
    mixed inventory, one time in WAVE_SHARE a rollout wave (shrinking heads for the former)."""
    if draw(integers(0, WAVE_SHARE - 1)) == WAVE_SHARE - 1:
        return _draw_wave(draw, profile)
    return _draw_inventory(draw, profile)


def protocol_scenarios(profile: Profile, scenario_id: str = "generated") -> st.SearchStrategy[dict[str, Any]]:
    """A whole scenario as a candidate receives it (candidate protocol version 1)."""
    return scenarios(profile).map(lambda body: {"protocol": PROTOCOL_VERSION, "id": scenario_id, "profile": profile.as_protocol(), **body})
