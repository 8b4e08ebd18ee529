"""The scenario model: inventory at activation time, firmware events, the rollout log.

A scenario arrives as plain data (a case file, a generated example, a replay file) in the
candidate protocol's shape; it is checked for contradictions here and turned into frozen
dataclasses with normalised EUIs, while the data as written is kept for the candidate.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from chfa_conformance.errors import SourceError
from chfa_conformance.instants import LATEST_SCENARIO_INSTANT, parse_instant
from chfa_conformance.specs import Profile
from chfa_conformance.yaml_source import JsonPath

PROTOCOL_VERSION = 1
SUPPLIER_ROLE_FOR_METER = {"ESME": "import_supplier", "GSME": "gas_supplier"}
SUPPLIER_ROLES = frozenset(SUPPLIER_ROLE_FOR_METER.values())
Outcome = Literal["activated", "activation_failed", "distributed", "initiated"]

Locate = Callable[[JsonPath], int | None]


def no_line(_where: JsonPath) -> None:
    """The locator for scenario data that comes from no file (drawn, or cut from a wave)."""
    return None


EUI64 = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}")


def eui(text: str) -> str:
    """The canonical spelling of an EUI-64: upper-case hex, hyphen separated."""
    return text.strip().upper()


def address(text: str) -> str:
    """A recipient as a candidate gave it: an EUI-64 in its canonical spelling, anything else
    quoted as written (so 'bob' is reported as 'bob', never as BOB, and matches no user)."""
    return eui(text) if EUI64.fullmatch(text.strip()) else repr(text)


@dataclass(frozen=True)
class User:
    id: str
    role: str
    duis_version: str
    party: str

    @property
    def is_supplier(self) -> bool:
        return self.role in SUPPLIER_ROLES


@dataclass(frozen=True)
class Registration:
    """A supplier's responsibility for a meter over [start, end)."""

    user: str
    start: datetime
    end: datetime | None

    def covers(self, instant: datetime) -> bool:
        return self.start <= instant and (self.end is None or instant < self.end)


@dataclass(frozen=True)
class Meter:
    id: str
    type: Literal["ESME", "GSME"]
    commissioned: bool
    responsible: tuple[Registration, ...]
    other_parties: tuple[str, ...]

    def supplier_at(self, instant: datetime) -> str | None:
        for registration in self.responsible:
            if registration.covers(instant):
                return registration.user
        return None


@dataclass(frozen=True)
class Hub:
    chf: str
    smets: int
    meters: tuple[Meter, ...]

    @property
    def commissioned_meters(self) -> tuple[Meter, ...]:
        return tuple(meter for meter in self.meters if meter.commissioned)


@dataclass(frozen=True)
class FirmwareEvent:
    index: int
    hub: str
    at: datetime
    outcome: Outcome
    firmware_from: str
    firmware_to: str
    urgent_security: bool


@dataclass(frozen=True)
class Notice:
    """A notice of coming activations; `hubs` None (not written) means every hub of the scenario,
    while an empty list names no hub and so covers none."""

    at: datetime
    hubs: tuple[str, ...] | None


@dataclass(frozen=True)
class Scenario:
    id: str
    users: Mapping[str, User]
    hubs: Mapping[str, Hub]
    events: tuple[FirmwareEvent, ...]
    notices: tuple[Notice, ...] | None
    profile: Profile
    written: Mapping[str, Any]
    meter_hubs: Mapping[str, str]

    def hub_of_device(self, device: str) -> Hub | None:
        """The hub a DeviceID names, as its CHF or as one of its meters."""
        return self.hubs.get(device) or self.hubs.get(self.meter_hubs.get(device, ""))

    def events_of(self, chf: str) -> Iterator[FirmwareEvent]:
        return (event for event in self.events if event.hub == chf)

    def activations(self) -> Iterator[FirmwareEvent]:
        return (event for event in self.events if event.outcome == "activated")

    def as_protocol(self) -> dict[str, Any]:
        """What a candidate receives on its standard input (protocol version 1)."""
        body = {key: value for key, value in self.written.items() if key in ("users", "hubs", "events", "notices")}
        return {"protocol": PROTOCOL_VERSION, "id": self.id, "profile": self.profile.as_protocol(), **body}


def build_scenario(case_id: str, data: Mapping[str, Any], profile: Profile, source: str, locate: Locate) -> Scenario:
    """Turn schema-checked scenario data into a Scenario, refusing contradictions."""
    problems = _Problems(source, locate)
    users = _users(data.get("users", []), profile, problems)
    hubs = _hubs(data.get("hubs", []), users, problems)
    events = _events(data.get("events", []), hubs, problems)
    notices = _notices(data["notices"], hubs, problems) if "notices" in data else None
    meter_hubs = {meter.id: hub.chf for hub in hubs.values() for meter in hub.meters}
    return Scenario(
        id=case_id,
        users=users,
        hubs=hubs,
        events=events,
        notices=notices,
        profile=profile,
        written=data,
        meter_hubs=meter_hubs,
    )


class _Problems:
    def __init__(self, source: str, locate: Locate) -> None:
        self.source = source
        self.locate = locate

    def stop(self, where: JsonPath, problem: str) -> SourceError:
        return SourceError(self.source, self.locate(where), f"scenario contradicts itself: {problem}")

    def instant(self, where: JsonPath, text: str) -> datetime:
        """A zoned date-time; one the schema's pattern lets through (a +25:00 zone) stops here with its line."""
        try:
            moment = parse_instant(text)
        except ValueError as exc:
            raise SourceError(self.source, self.locate(where), str(exc)) from exc
        if "T24:" in text:  # xs:dateTime allows it; candidates' date libraries mostly do not
            raise SourceError(self.source, self.locate(where), f"{text!r}: write 24:00:00 as 00:00:00 of the next day")
        if moment >= LATEST_SCENARIO_INSTANT:
            problem = f"{text!r} is after 9998: the alerts that follow it must stay in the calendar"
            raise SourceError(self.source, self.locate(where), problem)
        return moment


def _users(items: list[Mapping[str, Any]], profile: Profile, problems: _Problems) -> dict[str, User]:
    users: dict[str, User] = {}
    known_versions = profile.known_duis_versions()
    for index, item in enumerate(items):
        user_id = eui(item["id"])
        if user_id in users:
            raise problems.stop(("users", index, "id"), f"user {user_id} is listed twice")
        if item["duis_version"] not in known_versions:
            raise problems.stop(
                ("users", index, "duis_version"),
                f"user {user_id} is on DUIS {item['duis_version']}, which the profile does not know (known: {', '.join(known_versions)})",
            )
        users[user_id] = User(user_id, item["role"], item["duis_version"], item.get("party", user_id))
    return users


def _hubs(items: list[Mapping[str, Any]], users: Mapping[str, User], problems: _Problems) -> dict[str, Hub]:
    hubs: dict[str, Hub] = {}
    meter_home: dict[str, str] = {}
    for hub_index, item in enumerate(items):
        chf = eui(item["chf"])
        if chf in hubs:
            raise problems.stop(("hubs", hub_index, "chf"), f"hub {chf} is listed twice")
        meters = []
        for meter_index, meter_item in enumerate(item.get("meters", [])):
            where = ("hubs", hub_index, "meters", meter_index)
            meter = _meter(meter_item, users, problems, where)
            if meter_home.get(meter.id) == chf:
                raise problems.stop((*where, "id"), f"meter {meter.id} is listed twice under hub {chf}")
            if meter.id in meter_home:
                raise problems.stop((*where, "id"), f"meter {meter.id} is served by two hubs ({meter_home[meter.id]} and {chf})")
            meter_home[meter.id] = chf
            meters.append(meter)
        hubs[chf] = Hub(chf=chf, smets=item["smets"], meters=tuple(meters))
    for hub_index, chf in enumerate(hubs):
        if chf in meter_home:
            raise problems.stop(("hubs", hub_index, "chf"), f"{chf} is both a CHF and a meter")
    return hubs


def _meter(item: Mapping[str, Any], users: Mapping[str, User], problems: _Problems, where: JsonPath) -> Meter:
    meter_id = eui(item["id"])
    wanted_role = SUPPLIER_ROLE_FOR_METER[item["type"]]
    registrations = []
    for index, entry in enumerate(item.get("responsible", [])):
        user_id = eui(entry["user"])
        user = users.get(user_id)
        if user is None:
            raise problems.stop((*where, "responsible", index, "user"), f"unknown user {user_id}")
        if user.role != wanted_role:
            article = "an" if wanted_role[:1] in "aeiou" else "a"
            raise problems.stop(
                (*where, "responsible", index, "user"),
                f"{item['type']} {meter_id} names {user_id} ({user.role}) as responsible; it must be {article} {wanted_role}",
            )
        start = problems.instant((*where, "responsible", index, "from"), entry["from"])
        end = problems.instant((*where, "responsible", index, "to"), entry["to"]) if entry.get("to") is not None else None
        if end is not None and end <= start:
            raise problems.stop((*where, "responsible", index, "to"), "responsibility ends before it starts")
        registrations.append(Registration(user_id, start, end))
    _refuse_overlaps(registrations, meter_id, problems, where)
    others = []
    for index, other in enumerate(item.get("other_parties", [])):
        if eui(other) not in users:
            raise problems.stop((*where, "other_parties", index), f"unknown user {eui(other)}")
        others.append(eui(other))
    return Meter(meter_id, item["type"], item["commissioned"], tuple(registrations), tuple(others))


def _refuse_overlaps(registrations: list[Registration], meter_id: str, problems: _Problems, where: JsonPath) -> None:
    ordered = sorted(registrations, key=lambda registration: registration.start)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.end is None or later.start < earlier.end:
            raise problems.stop((*where, "responsible"), f"meter {meter_id} has two Responsible Suppliers at {later.start.isoformat()}")


def _events(items: list[Mapping[str, Any]], hubs: Mapping[str, Hub], problems: _Problems) -> tuple[FirmwareEvent, ...]:
    events = []
    for index, item in enumerate(items):
        chf = eui(item["hub"])
        if chf not in hubs:
            raise problems.stop(("events", index, "hub"), f"event for unknown hub {chf}")
        events.append(
            FirmwareEvent(
                index=index,
                hub=chf,
                at=problems.instant(("events", index, "at"), item["at"]),
                outcome=item["outcome"],
                firmware_from=item["firmware_from"],
                firmware_to=item["firmware_to"],
                urgent_security=item.get("urgent_security", False),
            )
        )
    _refuse_impossible_histories(events, problems)
    return tuple(events)


def _refuse_impossible_histories(events: list[FirmwareEvent], problems: _Problems) -> None:
    """One hub has one event at a time, and each activation starts from the version the
    previous activation left it on."""
    by_hub: dict[str, list[FirmwareEvent]] = {}
    for event in events:
        by_hub.setdefault(event.hub, []).append(event)
    for history in by_hub.values():
        ordered = sorted(history, key=lambda event: (event.at, event.index))
        for earlier, later in itertools.pairwise(ordered):
            if earlier.at == later.at:
                raise problems.stop(("events", later.index, "at"), f"hub {later.hub} has two firmware events at {later.at.isoformat()}")
        activations = [event for event in ordered if event.outcome == "activated"]
        for earlier, later in itertools.pairwise(activations):
            if later.firmware_from != earlier.firmware_to:
                raise problems.stop(
                    ("events", later.index, "firmware_from"),
                    f"hub {later.hub} runs {earlier.firmware_to!r} since {earlier.at.isoformat()}, "
                    f"but the activation at {later.at.isoformat()} starts from {later.firmware_from!r}",
                )


def _notices(items: list[Mapping[str, Any]], hubs: Mapping[str, Hub], problems: _Problems) -> tuple[Notice, ...]:
    notices = []
    for index, item in enumerate(items):
        named = tuple(eui(chf) for chf in item["hubs"]) if "hubs" in item else None
        for hub_index, chf in enumerate(named or ()):
            if chf not in hubs:
                raise problems.stop(("notices", index, "hubs", hub_index), f"notice for unknown hub {chf}")
        notices.append(Notice(at=problems.instant(("notices", index, "at"), item["at"]), hubs=named))
    return tuple(notices)
