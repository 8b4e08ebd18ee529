"""Python candidates that misbehave, for tests/test_candidates.py (plugged in as python:...)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reference_impl import emit


def floods(scenario: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    line = emit(scenario)[0]
    while True:
        yield line


def exits_hard(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    os._exit(0)


def eats_memory(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    hoard = []
    while True:
        hoard.append(bytearray(256 * 1024 * 1024))


def loops(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    while True:
        pass


def edits_its_input(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    lines = emit(scenario)
    for hub in scenario["hubs"]:
        hub["meters"] = []
    scenario["events"].clear()
    return lines


def nests_deeply(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    return [{"recipient": "90-B3-D5-1F-30-01-00-00", "xml": "<a/>", "extra": deep}]


def raises(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    raise RuntimeError("vendor bug")


def forks_a_sleeper(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Leaves a grandchild behind (its pid written where CHFA_TEST_PID_FILE says); it must not outlive the case."""
    pid_file = Path(os.environ["CHFA_TEST_PID_FILE"])
    if os.fork() == 0:
        pid_file.write_text(str(os.getpid()))
        time.sleep(600)
        os._exit(0)
    while not pid_file.is_file():
        time.sleep(0.01)
    return []


def prints_and_raises(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    print("vendor: reading the inventory")
    print("vendor: no supplier table", file=sys.stderr)
    raise RuntimeError("vendor bug")


def prints_and_emits(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    print("vendor: emitting")
    return emit(scenario)


def closes_its_descriptors(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    os.closerange(3, 200)
    return emit(scenario)
