"""The compliance matrix: requirement x case, for auditors, as JSON, Markdown and HTML."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chfa_conformance.evaluation import CaseResult, RunSettings
from chfa_conformance.report import LEVEL_ORDER

FAIL, FINDING, PASS, NOT_EXERCISED, ERROR = "FAIL", "finding", "pass", "-", "error"


def build_matrix(results: Sequence[CaseResult], settings: RunSettings, fail_on: str = "should") -> dict[str, Any]:
    """Cells: FAIL (a finding at a level that fails the run), finding (one below --fail-on),
    pass (exercised, no finding), - (not exercised), error (the candidate failed)."""
    spec = settings.spec
    cases = [result.case.id for result in results]
    rows = []
    for requirement in spec.requirements:
        failing = LEVEL_ORDER[requirement.level] <= LEVEL_ORDER[fail_on.upper()]
        cells = {result.case.id: _cell(result, requirement.id, failing) for result in results}
        rows.append(
            {
                "id": requirement.id,
                "level": requirement.level,
                "source": requirement.source,
                "assumption": requirement.assumption,
                "cells": cells,
                "failed": sum(1 for cell in cells.values() if cell == FAIL),
                "passed": sum(1 for cell in cells.values() if cell == PASS),
            }
        )
    return {
        "format": 1,
        "candidate": settings.candidate.name,
        "schemas": settings.schemas.description,
        "profile": spec.profile.header_lines(),
        "fail_on": fail_on,
        "cases": cases,
        "requirements": rows,
        "findings": {result.case.id: [_finding_json(f) for f in result.findings] for result in results},
        "errors": {result.case.id: result.error for result in results if result.error},
    }


def _cell(result: CaseResult, requirement_id: str, failing: bool) -> str:
    if result.error is not None:
        return ERROR
    if requirement_id in result.failed_requirements():
        return FAIL if failing else FINDING
    return PASS if requirement_id in result.applicable else NOT_EXERCISED


def _finding_json(finding: Any) -> dict[str, Any]:
    return {key: value for key, value in vars(finding).items() if value is not None}


def write_matrix(matrix: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "compliance-matrix.json", folder / "compliance-matrix.md", folder / "compliance-matrix.html"]
    written[0].write_text(json.dumps(matrix, indent=2) + "\n", encoding="utf-8")
    written[1].write_text(to_markdown(matrix), encoding="utf-8")
    written[2].write_text(to_html(matrix), encoding="utf-8")
    return written


def to_markdown(matrix: dict[str, Any]) -> str:
    cases = matrix["cases"]
    lines = ["# Compliance matrix", "", f"Candidate: `{matrix['candidate']}`; {matrix['schemas']}.", ""]
    lines += [f"- {line}" for line in matrix["profile"]]
    lines += ["", "| requirement | level | failed | passed | " + " | ".join(cases) + " |", "|---|---|---|---|" + "---|" * len(cases)]
    for row in matrix["requirements"]:
        cells = " | ".join(row["cells"][case] for case in cases)
        lines.append(f"| {row['id']} | {row['level']} | {row['failed']} | {row['passed']} | {cells} |")
    lines += [
        "",
        f"`FAIL` a finding that fails the run (--fail-on {matrix['fail_on']}); `finding` one below that level; "
        "`pass` exercised without finding; `-` not exercised by that case; `error` the candidate failed.",
        "",
    ]
    return "\n".join(lines)


def to_html(matrix: dict[str, Any]) -> str:
    cases = matrix["cases"]
    escape = html.escape
    head = "".join(f"<th class='case'>{escape(case)}</th>" for case in cases)
    body = []
    for row in matrix["requirements"]:
        cells = "".join(f"<td class='{escape(row['cells'][case])}'>{escape(row['cells'][case])}</td>" for case in cases)
        title = escape(row["source"] + (f" | assumed: {row['assumption']}" if row["assumption"] else ""))
        counts = f"<td>{row['level']}</td><td>{row['failed']}</td><td>{row['passed']}</td>"
        body.append(f"<tr><th title='{title}'>{escape(row['id'])}</th>{counts}{cells}</tr>")
    profile = "".join(f"<li>{escape(line)}</li>" for line in matrix["profile"])
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Compliance matrix</title><style>"
        "td,th{border:1px solid #ccc;padding:2px 4px;font:12px sans-serif}.FAIL{background:#f99}.pass{background:#9e9}"
        ".error{background:#fc6}.finding{background:#fe9}th.case{writing-mode:vertical-rl}</style></head><body>"
        f"<h1>Compliance matrix</h1><p>Candidate {escape(matrix['candidate'])}; {escape(matrix['schemas'])}</p><ul>{profile}</ul>"
        f"<table><tr><th>requirement</th><th>level</th><th>failed</th><th>passed</th>{head}</tr>{''.join(body)}</table></body></html>\n"
    )
