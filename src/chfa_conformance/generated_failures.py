"""A failure found by generated scenarios, presented: as a case file that replays it, and as
the text a failing generated-scenarios item prints.

The file is an ordinary case file (description, requirements, the scenario), so
`pytest DIR/file.yaml --candidate <same>` collects it, hands the candidate the same scenario
(the same id included) and fails under the same requirement ids. The YAML is written by
PyYAML's safe dumper, which quotes or escapes whatever plain YAML would misread (versions
like ' 1.0', 'yes', tabs, line breaks, non-printable characters); the self-tests prove the
round trip exact for every drawn scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from chfa_conformance.generation import Exploration, Falsified
from chfa_conformance.printable import flattened, one_line
from chfa_conformance.report import describe_failure
from chfa_conformance.specs import Spec

SCENARIO_KEYS = ("users", "hubs", "events", "notices")


def case_file_text(exploration: Exploration, falsified: Falsified, replay: str, search_again: str) -> str:
    """The case file's text: a comment saying how it was found and how to replay it, then the case."""
    generation = exploration.generation
    comments = [
        f"Drawn by the generated scenarios of {generation.path} (seed {exploration.seed}) after {falsified.examples_before} example(s),",
        f"then {falsified.shrunk}: this scenario.",
        f"Candidate {exploration.candidate} fails it: {_how_it_fails(falsified)}.",
        f"Replay this file: {replay}",
        f"Repeat the search: {search_again}",
    ]
    if falsified.note:
        comments.append(f"Note: {falsified.note}")
    header = "".join(f"# {flattened(line)}\n" for line in comments)  # a path may hold any byte
    return header + dump_case(case_document(exploration, falsified))


def case_document(exploration: Exploration, falsified: Falsified) -> dict[str, Any]:
    """The case file's data: id, description, the failing ids as its requirements, the scenario."""
    generation = exploration.generation
    document: dict[str, Any] = {
        "id": falsified.case.id,
        "description": (
            f"generated scenario (seed {exploration.seed}) on which candidate {exploration.candidate} "
            f"fails {falsified.failed}, {falsified.shrunk}"
        ),
        "requirements": list(falsified.requirements),
    }
    if generation.profile_overrides:
        document["profile"] = dict(generation.profile_overrides)
    document.update({key: falsified.data[key] for key in SCENARIO_KEYS if key in falsified.data})
    return document


class _CaseDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, except that a string holding a character YAML reads as a line
    break (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR) is double-quoted, where it is escaped:
    the stock dumper writes NEL raw into a single-quoted scalar, which reads back as a space.
    A subclass, so the yaml module's own dumpers stay untouched."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(mark in text for mark in _YAML_LINE_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_YAML_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
_CaseDumper.add_representer(str, _represent_text)


def dump_case(document: Mapping[str, Any]) -> str:
    """YAML in block style, keys in the order given, non-ASCII letters written as themselves."""
    return yaml.dump(dict(document), Dumper=_CaseDumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False)


def save_failure(exploration: Exploration, folder: Path, replay_for: Callable[[Path], str], search_again: str) -> Path:
    """Write the exploration's shrunk failure into `folder` and return the file's path.

    The file is named after the case id and the failing ids; a different file already there
    is kept and the new one numbered, an identical one (the same search run again) rewritten.
    `replay_for` gives the command that replays a file at a given path.
    """
    falsified = exploration.falsified
    if falsified is None:
        raise ValueError("the exploration found no failure to save")
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = folder / f"{file_name(falsified)}{'' if number == 1 else f'-{number}'}.yaml"
        # encoded before the file is opened: a failure to encode must not leave an empty file
        data = case_file_text(exploration, falsified, replay_for(path), search_again).encode("utf-8", "backslashreplace")
        if not path.exists() or path.read_bytes() == data:
            path.write_bytes(data)
            return path
        number += 1


def file_name(falsified: Falsified) -> str:
    """The case id, then the failing ids (generated-seed-7-alert-fw-version), or what failed
    when it was the candidate itself (generated-seed-7-candidate-error)."""
    if falsified.candidate_error:
        return f"{falsified.case.id}-candidate-error"
    return "-".join([falsified.case.id, *(rid.lower() for rid in falsified.requirements[:3])])


def _how_it_fails(falsified: Falsified) -> str:
    if falsified.result.error is not None:
        return f"a candidate error ({flattened(falsified.result.error)}), on a scenario exercising {', '.join(falsified.requirements)}"
    return ", ".join(falsified.requirements)


def describe_generated_failure(exploration: Exploration, spec: Spec, replay: str, search_again: str, saved: str | None) -> str:
    """The search, the shrunk case's findings, how to replay both, and (when not saved) the
    scenario itself as case-file YAML, so it is never lost."""
    falsified = exploration.falsified
    if falsified is None:
        raise ValueError("the exploration found no failure to describe")
    lines = [
        f"{falsified.failed} in generated scenarios ({one_line(str(exploration.generation.path))}): "
        f"candidate {exploration.candidate} failed on a drawn scenario "
        f"after {falsified.examples_before} example(s), seed {exploration.seed}; {falsified.shrunk}:",
        describe_failure(falsified.result, spec, replay),
        f"search again: {one_line(search_again)}",
    ]
    if falsified.note:
        lines.append(f"note: {falsified.note}")
    if saved is not None:
        lines.append(f"saved as: {one_line(saved)}")
    else:
        lines.append("not saved (--save-failures DIR writes it as a case file); the shrunk scenario:")
        lines += ["    " + line for line in dump_case(case_document(exploration, falsified)).splitlines()]
    return "\n".join(lines)
