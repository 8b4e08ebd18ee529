"""The mutant catalogue: name, the requirement ids it must be caught under, and how to run it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.mutants.wrapping import Line, Scenario, parties_by_role, with_altered_scenario

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: frozenset[str]
    description: str
    emit: Callable[[Mapping[str, Any]], list[Line]] | None = None
    command: str | None = None

    @property
    def candidate(self) -> str:
        """The --candidate spelling that plugs this mutant in."""
        if self.command is not None:
            return f"cmd:{self.command}"
        return f"python:tests.mutants.catalogue:{_function_name(self.name)}"


def _function_name(name: str) -> str:
    return "emit_" + name.replace("-", "_")


def _previous_version(scenario: Scenario) -> None:
    for event in scenario["events"]:
        event["firmware_to"] = event["firmware_from"]


def _failed_counts_as_activated(scenario: Scenario) -> None:
    for event in scenario["events"]:
        if event["outcome"] == "activation_failed":
            event["outcome"] = "activated"


def forget_gas_supplier_at_split_hubs(scenario: Scenario) -> None:
    for hub in scenario["hubs"]:
        parties = parties_by_role(scenario, hub)
        if parties["ESME"] and parties["GSME"] and parties["ESME"] != parties["GSME"]:
            for meter in hub.get("meters", []):
                if meter["type"] == "GSME":
                    meter["responsible"] = []


emit_previous_version = with_altered_scenario(_previous_version)
emit_alert_on_failed_activation = with_altered_scenario(_failed_counts_as_activated)

CATALOGUE: tuple[Mutant, ...] = (
    Mutant(
        "previous-version",
        frozenset({"ALERT-FW-VERSION"}),
        "alerts carry the version the hub ran before the activation",
        emit=emit_previous_version,
    ),
    Mutant(
        "alert-on-failed-activation",
        frozenset({"ALERT-NOT-ON-FAILURE"}),
        "a failed activation is alerted as if it had succeeded",
        emit=emit_alert_on_failed_activation,
    ),
    Mutant(
        "split-supply-gas-supplier-missed",
        frozenset({"RECIPIENTS-SPLIT"}),
        "at a split-supply hub only the import supplier is alerted (a separate process)",
        command=f"{sys.executable} {HERE / 'split_supply_gas_missed.py'}",
    ),
)
