"""The pytest layer: options, collection of YAML cases, markers, reporting. Nothing else.

Cases are judged by chfa_conformance.evaluation; this module only maps results onto pytest
outcomes, JUnit properties, Allure labels and the compliance matrix.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import allure
import pytest

from chfa_conformance.cases import Case, load_case
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import CaseResult, RunSettings, build_settings, run_case
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.report import LEVEL_ORDER, describe_failure, failing, header_lines, positive_seconds, replay_command

SETTINGS = pytest.StashKey[RunSettings]()
RESULTS = pytest.StashKey[list[CaseResult]]()
CASE_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chfa-conformance", "CH firmware activation alert conformance")
    group.addoption("--candidate", default="reference", help='reference | python:module:function | cmd:"command line" (default: reference)')
    group.addoption(
        "--duis-xsd",
        default=None,
        metavar="DIR",
        help="validate against the official DUIS schema files in DIR instead of the compact schemas",
    )
    group.addoption(
        "--requirement", action="append", default=[], metavar="ID", help="run only cases marked with this requirement id (repeatable)"
    )
    group.addoption(
        "--case-timeout", type=positive_seconds, default=None, metavar="SECONDS", help="time limit per case for the candidate (default 60)"
    )
    group.addoption(
        "--fail-on",
        choices=("must", "should", "may"),
        default="should",
        help="lowest requirement level whose findings fail a case (default should)",
    )
    group.addoption("--matrix", default=None, metavar="DIR", help="write the compliance matrix (JSON, Markdown, HTML) into DIR")
    group.addoption(
        "--dsp-cert",
        action="append",
        default=[],
        metavar="PEM",
        help="verify each alert's signature against this DSP certificate (repeatable; judges SIGNED)",
    )
    group.addoption("--specs", default=None, metavar="DIR", help="requirements and profile folder (default: specs/ beside pytest.ini)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the case exercises this requirement id")
    duis_xsd = config.getoption("--duis-xsd")
    specs = config.getoption("--specs")
    try:
        settings = build_settings(
            config.rootpath,
            config.getoption("--candidate"),
            Path(duis_xsd) if duis_xsd else None,
            config.getoption("--case-timeout"),
            specs_dir=Path(specs) if specs else None,
            dsp_certs=[Path(path) for path in config.getoption("--dsp-cert")],
        )
    except (SourceError, SchemaLoadError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    unknown = [rid for rid in config.getoption("--requirement") if rid not in settings.spec.ids()]
    if unknown:
        raise pytest.UsageError(f"--requirement {', '.join(unknown)}: unknown id; known: {', '.join(settings.spec.ids())}")
    if "SIGNED" in config.getoption("--requirement") and not settings.dsp_certificates:
        raise pytest.UsageError("--requirement SIGNED: signatures are judged only when --dsp-cert PEM names the DSP's certificates")
    config.stash[SETTINGS] = settings
    config.stash[RESULTS] = []


def pytest_report_header(config: pytest.Config) -> list[str]:
    return header_lines(config.stash[SETTINGS]) if SETTINGS in config.stash else []


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in CASE_SUFFIXES:
        return None
    if "cases" in file_path.parts or parent.session.isinitpath(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self) -> Iterator[CaseItem]:
        settings = self.config.stash[SETTINGS]
        case = load_case(self.path, settings.spec, settings.schemas_dir, _shown(self.path, self.config))
        item = CaseItem.from_parent(self, name=case.id, case=case)
        for requirement_id in case.requirements:
            item.add_marker(pytest.mark.requirement(requirement_id))
        yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SourceError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class CaseFailed(Exception):
    """Raised by a case item whose result fails; carries the text to show."""


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.user_properties.append(("requirements", " ".join(case.requirements)))

    def runtest(self) -> None:
        settings = self.config.stash[SETTINGS]
        result = run_case(self.case, settings)
        self.config.stash[RESULTS].append(result)
        _label_for_allure(self.case, result)
        failed = failing(result.findings, settings.spec, self.config.getoption("--fail-on"))
        for finding in result.findings:
            if finding not in failed:
                warnings.warn(f"{finding.requirement} ({self.case.id}): {finding.message}", pytest.PytestWarning, stacklevel=1)
        if result.error is not None or failed:
            self.user_properties.append(("failed_requirements", " ".join(sorted({f.requirement for f in failed}))))
            options = self.config.getoption
            replay = replay_command(
                str(self.case.path), settings.candidate.name, options("--duis-xsd"), options("--dsp-cert"), self.config.rootpath
            )
            raise CaseFailed(describe_failure(result, settings.spec, replay))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case {self.case.id}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("--requirement"))
    if not wanted:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marked = {mark.args[0] for mark in item.iter_markers("requirement")}
        (keep if marked & wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if SETTINGS not in config.stash or not config.stash[RESULTS]:
        return
    settings, results = config.stash[SETTINGS], config.stash[RESULTS]
    counts: dict[str, int] = {}
    for result in results:
        for requirement_id in result.failed_requirements():
            counts[requirement_id] = counts.get(requirement_id, 0) + 1
    terminalreporter.section("chfa-conformance")
    for line in header_lines(settings):
        terminalreporter.write_line(line)
    alerts = sum(result.delivered_count for result in results)
    terminalreporter.write_line(f"{len(results)} case(s) run, {alerts} alert(s) judged")
    fail_on = config.getoption("--fail-on")
    for requirement_id in settings.spec.ids():
        if requirement_id in counts:
            level = settings.spec.requirement(requirement_id).level
            verdict = "fails the run" if LEVEL_ORDER[level] <= LEVEL_ORDER[fail_on.upper()] else f"shown only (--fail-on {fail_on})"
            terminalreporter.write_line(f"  {requirement_id} ({level}): findings in {counts[requirement_id]} case(s), {verdict}")
    folder = config.getoption("--matrix")
    if folder:
        for path in write_matrix(build_matrix(results, settings, fail_on), Path(folder)):
            terminalreporter.write_line(f"compliance matrix: {path}")


def _shown(path: Path, config: pytest.Config) -> Path:
    """The path as the user would type it from where pytest was started."""
    start = config.invocation_params.dir
    return path.relative_to(start) if path.is_relative_to(start) else path


def _label_for_allure(case: Case, result: CaseResult) -> None:
    """Allure labels; a no-op when allure-pytest is not collecting results."""
    dynamic: Any = allure.dynamic  # allure-pytest ships without type hints
    dynamic.title(case.description)
    dynamic.tag(*case.requirements)
    for requirement_id in sorted(result.failed_requirements()):
        dynamic.label("finding", requirement_id)
    dynamic.label("case_file", str(case.path))
