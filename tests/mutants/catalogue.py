"""The mutant catalogue: each faulty emitter, the requirement ids that must catch it, and the
known-good variants that must pass everything.

`breaks` lists exactly the ids the suite must report over all of cases/. A mutant lists
more than one id only where specs/requirements.yaml declares those requirements to
overlap (tests/test_mutants.py checks that too). `kind` says where the fault lies:
"behaviour" (what is sent, to whom, when), "literal" (a fixed wrong spelling or value),
or "log" (a rollout log at fault rather than the emitter: the case is altered instead).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from reference_impl.signing import emit_signed
from tests.mutants import faults
from tests.mutants.variants import VARIANT_EMITTERS
from tests.mutants.wrapping import EmitFunction, Scenario, with_altered_scenario

HERE = Path(__file__).parent
Kind = Literal["behaviour", "literal", "log", "variant"]


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: frozenset[str]
    kind: Kind
    description: str
    process: Literal["python", "command", "shell"] = "python"
    alter_case: Callable[[Scenario], None] | None = None
    signed: bool = False  # judged with the DSP certificate of make_signing_material configured

    @property
    def candidate(self) -> str:
        """The --candidate spelling that plugs this mutant in."""
        if self.kind == "log":
            return "reference"
        if self.process == "command":
            return f"cmd:{sys.executable} {HERE / 'run_mutant.py'} {self.name}"
        if self.process == "shell":
            return f"cmd:sh {HERE / 'other_alert_code.sh'} {sys.executable}"
        return f"python:tests.mutants.catalogue:emit__{self.name.replace('-', '_')}"


def _notice_three_days_ahead(scenario: Scenario) -> None:
    """The rollout log gave notice only three days before each activation."""
    events = [event for event in scenario["events"] if event["outcome"] == "activated"]
    if "notices" in scenario and events:
        first = min(datetime.fromisoformat(event["at"].replace("Z", "+00:00")) for event in events)
        scenario["notices"] = [{"at": (first - timedelta(days=3)).isoformat()}]


def _m(name: str, breaks: set[str], kind: Kind, description: str, **extra: Any) -> Mutant:
    return Mutant(name, frozenset(breaks), kind, description, **extra)


MUTANTS: tuple[Mutant, ...] = (
    _m("version-trimmed", {"ALERT-FW-VERSION"}, "behaviour", "surrounding spaces of the version are stripped", process="command"),
    _m("version-padded", {"ALERT-FW-VERSION"}, "behaviour", "the version is left-padded with zeros to 8 characters"),
    _m("version-upper-cased", {"ALERT-FW-VERSION"}, "behaviour", "the version is upper-cased"),
    _m("previous-version", {"ALERT-FW-VERSION"}, "behaviour", "the version the hub ran before is sent"),
    _m("meter-as-device", {"ALERT-DEVICE"}, "behaviour", "DeviceID names the hub's ESME (or GSME) instead of its CHF"),
    _m("other-alert-code", {"ALERT-CODE"}, "literal", "code N63 instead of N64"),
    _m("alert-code-by-sed", {"ALERT-CODE"}, "literal", "code N65, edited into the output by sed", process="shell"),
    _m("alert-on-failed-activation", {"ALERT-NOT-ON-FAILURE"}, "behaviour", "a failed activation is alerted"),
    _m("alert-on-distribution", {"ALERT-NOT-ON-FAILURE"}, "behaviour", "a distribution without activation is alerted"),
    _m("alert-on-initiation", {"ALERT-NOT-ON-FAILURE"}, "behaviour", "an update merely initiated is alerted"),
    _m("every-hub-in-the-batch", {"ALERT-TRIGGER"}, "behaviour", "hubs without any firmware event are alerted with the batch"),
    _m("smets1-hub-alerted", {"SMETS2-ONLY"}, "behaviour", "SMETS1 hubs are treated as SMETS2", process="command"),
    _m(
        "hub-without-meters-alerted",
        {"ALERT-NO-RECIPIENT"},
        "behaviour",
        "a hub with no commissioned meter alerts its uncommissioned meters' suppliers",
    ),
    _m("wave-activation-dropped", {"ROLLOUT-SCALE"}, "behaviour", "in a rollout, one activation is silently dropped"),
    _m(
        "gas-supplier-missed",
        {"RECIPIENTS-RESPONSIBLE", "RECIPIENTS-SPLIT", "ROLLOUT-SCALE"},
        "behaviour",
        "gas suppliers are never alerted",
    ),
    _m(
        "import-supplier-missed",
        {"RECIPIENTS-RESPONSIBLE", "RECIPIENTS-SPLIT", "ROLLOUT-SCALE"},
        "behaviour",
        "import suppliers are never alerted",
    ),
    _m(
        "split-supply-gas-supplier-missed",
        {"RECIPIENTS-SPLIT"},
        "behaviour",
        "at a split-supply hub only the import supplier is alerted",
        process="command",
    ),
    _m("one-alert-per-party", {"RECIPIENTS-RESPONSIBLE"}, "behaviour", "a supplier's import and gas User IDs get one alert between them"),
    _m("network-operator-alerted", {"RECIPIENTS-ONLY-SUPPLIERS"}, "behaviour", "network operators named on a meter are alerted too"),
    _m("former-supplier-alerted", {"RECIPIENTS-ONLY-SUPPLIERS"}, "behaviour", "a supplier that lost the premises is still alerted"),
    _m(
        "recipients-from-daily-snapshot",
        {"RECIPIENTS-CHANGE-OF-SUPPLIER"},
        "behaviour",
        "recipients are taken from the registry as it stood at midnight",
    ),
    _m(
        "recipients-at-sending-time",
        {"RECIPIENTS-CHANGE-OF-SUPPLIER"},
        "behaviour",
        "recipients are resolved when the alert is sent, not at the activation",
    ),
    _m("duis-50-gets-51-alert", {"DUIS-VERSION"}, "behaviour", "a recipient on DUIS 5.0 gets the 5.1 alert"),
    _m("duis-50-gets-nothing", {"DUIS-VERSION"}, "behaviour", "a recipient on DUIS 5.0 gets no version-mismatch alert"),
    _m("fixed-schema-version", {"DUIS-VERSION"}, "literal", "schemaVersion is always 5.1"),
    _m("duplicate-with-new-counter", {"ALERT-ONCE"}, "behaviour", "every alert is sent twice, the copy with a new counter"),
    _m("counter-reused", {"HEADER-IDS"}, "behaviour", "every ResponseID counter is 1"),
    _m("request-id-added", {"HEADER-IDS"}, "literal", "a RequestID is added to the header"),
    _m("response-id-missing", {"HEADER-IDS"}, "literal", "no ResponseID"),
    _m("time-without-zone", {"HEADER-TIME"}, "literal", "ResponseDateTime has no time zone"),
    _m("time-before-activation", {"HEADER-TIME"}, "behaviour", "ResponseDateTime a minute before the activation"),
    _m("a-millisecond-early", {"HEADER-TIME"}, "behaviour", "ResponseDateTime 1 ms before the activation (millisecond precision)"),
    _m("an-hour-late", {"ALERT-LATENCY"}, "behaviour", "the alert goes out an hour after the activation"),
    _m("header-out-of-order", {"DUIS-SCHEMA"}, "literal", "ResponseDateTime before ResponseCode"),
    _m("truncated-documents", {"DUIS-SCHEMA"}, "literal", "each document loses its last 12 characters"),
    _m("inventory-keeps-old-version", {"SMI-CONSISTENT"}, "behaviour", "the inventory still reports the previous version"),
    _m(
        "notice-three-days-ahead",
        {"NOTICE-7-DAYS"},
        "log",
        "the rollout log's notice came 3 days ahead",
        alter_case=_notice_three_days_ahead,
    ),
)

VARIANTS: tuple[Mutant, ...] = (
    *(_m(name, set(), "variant", f"valid output: {name}") for name in VARIANT_EMITTERS),
    _m("signed-reference", set(), "variant", "valid output: every alert signed in the DSP profile", signed=True),
)

SIGNING_MUTANTS: tuple[Mutant, ...] = (
    _m("unsigned-where-signatures-are-due", {"SIGNED"}, "behaviour", "alerts go out unsigned although the DSP signs", signed=True),
    _m("tampered-after-signing", {"SIGNED"}, "behaviour", "an alert is changed after it was signed", signed=True),
)
MUTANTS += SIGNING_MUTANTS


def make_signing_material(folder: Path) -> tuple[Path, Path]:
    """A DSP key and certificate made now (none is committed); the signed subjects read them from
    the environment variables reference_impl.signing names."""
    from tests.signing_keys import make_signer  # noqa: PLC0415 - cryptography work only when signing is wanted

    signer = make_signer(folder, "selftest-dsp", 0x0F4889EF197D41E9016966F9D5AB0402)
    return signer.key_path, signer.cert_path


_EMITTERS: dict[str, EmitFunction] = {
    "version-trimmed": faults.emit_version_trimmed,
    "version-padded": faults.emit_version_padded,
    "version-upper-cased": faults.emit_version_upper_cased,
    "previous-version": faults.emit_previous_version,
    "meter-as-device": faults.emit_meter_as_device,
    "other-alert-code": faults.emit_other_alert_code,
    "alert-on-failed-activation": faults.emit_alert_on_failed_activation,
    "alert-on-distribution": faults.emit_alert_on_distribution,
    "alert-on-initiation": faults.emit_alert_on_initiation,
    "every-hub-in-the-batch": faults.emit_every_hub_in_the_batch,
    "smets1-hub-alerted": faults.emit_smets1_hub_alerted,
    "hub-without-meters-alerted": faults.emit_hub_without_meters_alerted,
    "wave-activation-dropped": faults.emit_wave_activation_dropped,
    "gas-supplier-missed": faults.emit_gas_supplier_missed,
    "import-supplier-missed": faults.emit_import_supplier_missed,
    "split-supply-gas-supplier-missed": with_altered_scenario(faults.forget_gas_supplier_at_split_hubs),
    "one-alert-per-party": faults.emit_one_alert_per_party,
    "network-operator-alerted": faults.emit_network_operator_alerted,
    "former-supplier-alerted": faults.emit_former_supplier_alerted,
    "recipients-from-daily-snapshot": faults.emit_recipients_from_daily_snapshot,
    "recipients-at-sending-time": faults.emit_recipients_at_sending_time,
    "duis-50-gets-51-alert": faults.emit_duis_50_gets_51_alert,
    "duis-50-gets-nothing": faults.emit_duis_50_gets_nothing,
    "fixed-schema-version": faults.emit_fixed_schema_version,
    "duplicate-with-new-counter": faults.emit_duplicate_with_new_counter,
    "counter-reused": faults.emit_counter_reused,
    "request-id-added": faults.emit_request_id_added,
    "response-id-missing": faults.emit_response_id_missing,
    "time-without-zone": faults.emit_time_without_zone,
    "time-before-activation": faults.emit_time_before_activation,
    "a-millisecond-early": faults.emit_a_millisecond_early,
    "an-hour-late": faults.emit_an_hour_late,
    "header-out-of-order": faults.emit_header_out_of_order,
    "truncated-documents": faults.emit_truncated_documents,
    "inventory-keeps-old-version": faults.emit_inventory_keeps_old_version,
    "signed-reference": emit_signed,
    "unsigned-where-signatures-are-due": faults.emit_unsigned,
    "tampered-after-signing": faults.emit_tampered_after_signing,
    **VARIANT_EMITTERS,
}


def emitter_named(name: str) -> EmitFunction:
    return _EMITTERS[name]


def altered_case_data(mutant: Mutant, written: Mapping[str, Any]) -> dict[str, Any]:
    """The case's scenario data as a 'log' mutant rewrites it."""
    data = copy.deepcopy(dict(written))
    if mutant.alter_case is not None:
        mutant.alter_case(data)
    return data


def __getattr__(name: str) -> EmitFunction:
    """`python:tests.mutants.catalogue:emit__<name>` resolves here."""
    if name.startswith("emit__"):
        key = name.removeprefix("emit__").replace("_", "-")
        if key in _EMITTERS:
            return _EMITTERS[key]
    raise AttributeError(name)
