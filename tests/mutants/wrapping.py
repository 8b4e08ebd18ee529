"""Building blocks for mutants: run the reference emitter on an altered scenario, keep the
inventory of the true scenario, or edit the XML of each delivered alert."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reference_impl import emit

Scenario = dict[str, Any]
Line = dict[str, Any]


def alerts_of(scenario: Mapping[str, Any]) -> list[Line]:
    return [line for line in emit(scenario) if "inventory" not in line]


def inventory_of(scenario: Mapping[str, Any]) -> list[Line]:
    return [line for line in emit(scenario) if "inventory" in line]


def with_altered_scenario(alter: Callable[[Scenario], None]) -> Callable[[Mapping[str, Any]], list[Line]]:
    """Alerts as the reference would send them for the altered scenario; true inventory."""

    def mutant(scenario: Mapping[str, Any]) -> list[Line]:
        altered = copy.deepcopy(dict(scenario))
        alter(altered)
        return alerts_of(altered) + inventory_of(scenario)

    return mutant


def with_edited_alerts(edit: Callable[[Line, Mapping[str, Any]], Iterable[Line]]) -> Callable[[Mapping[str, Any]], list[Line]]:
    """Each reference line passed through `edit`, which may change, drop or multiply it."""

    def mutant(scenario: Mapping[str, Any]) -> list[Line]:
        lines: list[Line] = []
        for line in emit(scenario):
            lines += [line] if "inventory" in line else list(edit(line, scenario))
        return lines

    return mutant


def parties_by_role(scenario: Mapping[str, Any], hub: Mapping[str, Any]) -> dict[str, set[str]]:
    """The parties responsible for the hub's commissioned ESMEs and GSMEs (any time)."""
    users = {user["id"].upper(): user for user in scenario["users"]}
    found: dict[str, set[str]] = {"ESME": set(), "GSME": set()}
    for meter in hub.get("meters", []):
        if meter["commissioned"]:
            for registration in meter.get("responsible", []):
                user = users[registration["user"].upper()]
                found[meter["type"]].add(user.get("party", user["id"].upper()))
    return found
