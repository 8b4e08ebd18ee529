"""The scenario strategies draw valid, consistent, replayable scenarios, and draw every kind
of scenario the 'Generated scenarios' issue asks for."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, seed

from chfa_conformance.cases import scenario_schema
from chfa_conformance.expectations import split_supply
from chfa_conformance.generated_failures import dump_case
from chfa_conformance.generation import hypothesis_settings
from chfa_conformance.instants import parse_instant
from chfa_conformance.scenario import Hub, Scenario, build_scenario, no_line
from chfa_conformance.specs import Spec
from chfa_conformance.strategies import scenarios
from chfa_conformance.values import format_eui, write_instant
from chfa_conformance.yaml_source import parse_yaml
from tests.conftest import PROJECT

SAMPLE_SIZE = 300
ROUND_TRIPS = 120  # PyYAML is pure Python here: the round trip costs ~30 ms a scenario
Drawn = tuple[dict[str, Any], Scenario]


def _build(spec: Spec, data: dict[str, Any]) -> Scenario:
    return build_scenario("drawn", data, spec.profile, "drawn", no_line)


@pytest.fixture(scope="module")
def sample(spec: Spec) -> list[Drawn]:
    """A fixed sample of drawn scenarios (seeded), each with the model built from it."""
    drawn: list[Drawn] = []

    @seed(20250601)
    @hypothesis_settings(SAMPLE_SIZE)
    @given(scenarios(spec.profile))
    def collect(data: dict[str, Any]) -> None:
        drawn.append((data, _build(spec, data)))

    collect()
    assert len(drawn) == SAMPLE_SIZE
    return drawn


def test_drawn_scenarios_are_valid_case_files(sample: list[Drawn]) -> None:
    schema = scenario_schema(PROJECT / "schemas")
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/caseFile"})
    for data, _ in sample:
        validator.validate({"description": "a drawn scenario", "requirements": ["ALERT-TRIGGER"], **data})


def test_drawn_scenarios_round_trip_through_the_case_file_yaml_and_the_protocol_json(sample: list[Drawn]) -> None:
    odd_first = sorted(sample, key=lambda drawn: all(v.isascii() and v.strip() == v for v in _versions(drawn[1])))
    for data, _ in odd_first[:ROUND_TRIPS]:
        assert parse_yaml(dump_case(data), Path("drawn.yaml")).data == data
        assert json.loads(json.dumps(data)) == data


def _versions(scenario: Scenario) -> list[str]:
    return [version for event in scenario.events for version in (event.firmware_from, event.firmware_to)]


def _switches(scenario: Scenario) -> list[timedelta]:
    """Each change of supplier's distance from the nearest event of its hub (switch minus event)."""
    found = []
    for hub in scenario.hubs.values():
        times = [event.at for event in scenario.events_of(hub.chf)]
        for meter in hub.meters:
            if len(meter.responsible) == 2 and times:
                switch = max(registration.start for registration in meter.responsible)
                found.append(min((switch - at for at in times), key=abs))
    return found


def _outcomes_per_hub(scenario: Scenario) -> list[list[str]]:
    return [[e.outcome for e in sorted(scenario.events_of(chf), key=lambda e: e.at)] for chf in scenario.hubs]


def _kinds(scenario: Scenario) -> list[tuple[str, ...]]:
    return [_kinds_of(hub) for hub in scenario.hubs.values()]


def _dual_fuel_one_party(scenario: Scenario, hub: Hub) -> bool:
    """An ESME and a GSME supplied by two User IDs of one party."""
    users = {meter.type: meter.responsible[0].user for meter in hub.meters if meter.responsible}
    if _kinds_of(hub) != ("ESME", "GSME") or len(users) != 2:
        return False
    return users["ESME"] != users["GSME"] and scenario.users[users["ESME"]].party == scenario.users[users["GSME"]].party


def _kinds_of(hub: Hub) -> tuple[str, ...]:
    return tuple(sorted(meter.type for meter in hub.meters))


def _euis(data: dict[str, Any]) -> set[str]:
    """Every EUI as written anywhere in the scenario."""
    return set(re.findall(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}", json.dumps(data)))


def _written(data: dict[str, Any]) -> str:
    return json.dumps(data)


FEATURES: dict[str, Callable[[dict[str, Any], Scenario], bool]] = {
    "electricity only": lambda _, s: ("ESME",) in _kinds(s),
    "gas only": lambda _, s: ("GSME",) in _kinds(s),
    "dual fuel, one supplier's two User IDs": lambda _, s: any(_dual_fuel_one_party(s, hub) for hub in s.hubs.values()),
    "split supply": lambda _, s: any(split_supply(event, s) for event in s.activations()),
    "several meters on one hub": lambda _, s: any(len(hub.meters) >= 3 for hub in s.hubs.values()),
    "no meters": lambda _, s: any(not hub.meters for hub in s.hubs.values()),
    "only uncommissioned meters": lambda _, s: any(hub.meters and not hub.commissioned_meters for hub in s.hubs.values()),
    "SMETS1 hub": lambda _, s: any(hub.smets == 1 for hub in s.hubs.values()),
    "user on DUIS 5.0": lambda _, s: any(user.duis_version == "5.0" for user in s.users.values()),
    "users on later DUIS versions": lambda _, s: {"5.1", "5.3", "5.4"} <= {user.duis_version for user in s.users.values()},
    "non-supplier users on meters": lambda _, s: any(not user.is_supplier for user in s.users.values()),
    "change of supplier exactly at an activation": lambda _, s: timedelta(0) in _switches(s),
    "change of supplier a microsecond before": lambda _, s: timedelta(microseconds=-1) in _switches(s),
    "change of supplier a second after": lambda _, s: timedelta(seconds=1) in _switches(s),
    "change of supplier hours away": lambda _, s: any(abs(d) > timedelta(hours=1) for d in _switches(s)),
    "supplier lost the premises, no successor": lambda _, s: any(
        len(m.responsible) == 1 and m.responsible[0].end is not None for h in s.hubs.values() for m in h.meters
    ),
    "failed then activated": lambda _, s: any(o[:2] == ["activation_failed", "activated"] for o in _outcomes_per_hub(s)),
    "repeated activations of one hub": lambda _, s: any(o.count("activated") >= 2 for o in _outcomes_per_hub(s)),
    "distribution without activation": lambda _, s: any(o == ["distributed"] for o in _outcomes_per_hub(s)),
    "initiated update": lambda _, s: any("initiated" in o for o in _outcomes_per_hub(s)),
    "wave of many hubs": lambda _, s: sum(1 for _ in s.activations()) >= s.profile.rollout_min_activations,
    "events listed out of time order": lambda _, s: [e.at for e in s.events] != sorted(e.at for e in s.events),
    "version with non-hex ASCII": lambda _, s: any(any(c.isascii() and c not in "0123456789ABCDEF" for c in v) for v in _versions(s)),
    "version with leading or trailing whitespace": lambda _, s: any(v != v.strip() for v in _versions(s)),
    "version with non-ASCII letters": lambda _, s: any(any(c.isalpha() and not c.isascii() for c in v) for v in _versions(s)),
    "version with a character outside the BMP": lambda _, s: any(any(ord(c) > 0xFFFF for c in v) for v in _versions(s)),
    "version with a tab, line feed or carriage return": lambda _, s: any(any(c in "\t\n\r" for c in v) for v in _versions(s)),
    "version of 8 characters": lambda _, s: any(len(v) == 8 for v in _versions(s)),
    "version of 1 character": lambda _, s: any(len(v) == 1 for v in _versions(s)),
    "EUIs in lower case": lambda d, _: any(re.search("[a-f]", eui) for eui in _euis(d)),
    "EUIs in upper case": lambda d, _: any(re.search("[A-F]", eui) for eui in _euis(d)),
    "one EUI written in both cases": lambda d, _: any(eui.lower() in _euis(d) and eui.upper() in _euis(d) for eui in _euis(d)),
    "times in a zone other than UTC": lambda d, _: "+05:30" in _written(d) or "-05:00" in _written(d),
    "times with a fraction of a second": lambda _, s: any(e.at.microsecond for e in s.events),
    "notices for all hubs": lambda d, _: any("hubs" not in notice for notice in d.get("notices", [])),
    "notices naming hubs": lambda d, _: any("hubs" in notice for notice in d.get("notices", [])),
    "urgent security activation": lambda _, s: any(e.urgent_security for e in s.events),
}


def test_every_kind_of_scenario_the_issue_names_is_drawn(sample: list[Drawn]) -> None:
    counts = {name: sum(1 for data, scenario in sample if feature(data, scenario)) for name, feature in FEATURES.items()}
    assert [name for name, count in counts.items() if count == 0] == [], counts


def test_events_of_one_hub_stay_far_enough_apart_to_pair_alerts_unambiguously(sample: list[Drawn]) -> None:
    for _, scenario in sample:
        for chf in scenario.hubs:
            times = sorted(event.at for event in scenario.events_of(chf))
            assert all(later - earlier >= timedelta(hours=1) for earlier, later in itertools.pairwise(times))


def test_notices_give_every_activation_its_notice_period(sample: list[Drawn]) -> None:
    for _, scenario in sample:
        if scenario.notices is None:
            continue
        for event in scenario.activations():
            covering = [notice.at for notice in scenario.notices if not notice.hubs or event.hub in notice.hubs]
            assert any(at <= event.at - timedelta(days=scenario.profile.notice_days) for at in covering)


def test_written_forms_read_back_as_the_same_values() -> None:
    instant = datetime(2025, 6, 1, 10, 0, 0, 120_000, tzinfo=UTC)
    for zone in (None, 0, 330, -720, 840):
        assert parse_instant(write_instant(instant, zone)) == instant
    assert write_instant(instant, 330) == "2025-06-01T15:30:00.12+05:30"
    assert write_instant(instant, None) == "2025-06-01T10:00:00.12Z"
    assert format_eui(0xDB123456789AB, upper=False) == "00-0d-b1-23-45-67-89-ab"


@pytest.mark.parametrize("text", ["x\x85", "\u2028", "a\u2029 ", "\x85\x85", " \t1\r\n"])
def test_characters_yaml_reads_as_line_breaks_survive_the_case_file(text: str) -> None:
    assert parse_yaml(dump_case({"version": text}), Path("saved.yaml")).data == {"version": text}
