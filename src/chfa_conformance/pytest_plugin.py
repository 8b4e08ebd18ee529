"""The pytest layer: options, collection of YAML cases, markers, reporting. Nothing else.

Cases are judged by chfa_conformance.evaluation, generated scenarios searched by
chfa_conformance.generation; this module only maps results onto pytest outcomes, JUnit
properties, Allure labels and the compliance matrix.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure
import pytest

from chfa_conformance.cases import CASE_SUFFIXES, Case, Generation, load_entry
from chfa_conformance.errors import SchemaLoadError, SourceError
from chfa_conformance.evaluation import CaseResult, RunSettings, build_settings, run_case
from chfa_conformance.generated_failures import describe_generated_failure, save_failure
from chfa_conformance.generation import SHRINK_RUNS, Exploration, Search, Seed, explore, parse_seed
from chfa_conformance.matrix import build_matrix, write_matrix
from chfa_conformance.options import add_run_options
from chfa_conformance.printable import one_line
from chfa_conformance.report import (
    LEVEL_ORDER,
    describe_failure,
    failing,
    header_lines,
    replay_command,
    shown_from,
    writable_folder,
)


@dataclass(frozen=True)
class GeneratedRun:
    """How this session's generated-scenario items search: one seed for all, printed in the header."""

    seed: Seed
    thorough: bool
    save_to: Path | None


SETTINGS = pytest.StashKey[RunSettings]()
RESULTS = pytest.StashKey[list[CaseResult]]()
GENERATED = pytest.StashKey[GeneratedRun]()
EXPLORATIONS = pytest.StashKey[list[Exploration]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chfa-conformance", "CH firmware activation alert conformance")
    add_run_options(group.addoption, ["--candidate", "--duis-xsd"])
    group.addoption(
        "--requirement", action="append", default=[], metavar="ID", help="run only cases marked with this requirement id (repeatable)"
    )
    add_run_options(group.addoption, ["--case-timeout", "--fail-on", "--matrix", "--dsp-cert"])
    group.addoption("--specs", default=None, metavar="DIR", help="requirements and profile folder (default: specs/ beside pytest.ini)")
    add_run_options(
        group.addoption,
        ["--thorough", "--shrink-runs", "--save-failures"],
        help_notes={"--save-failures": " (keep DIR inside the project)"},
    )


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
        for option in ("--matrix", "--save-failures"):
            if config.getoption(option):
                writable_folder(config.invocation_params.dir / config.getoption(option), option)
    except (SourceError, SchemaLoadError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    unknown = [rid for rid in config.getoption("--requirement") if rid not in settings.spec.ids()]
    if unknown:
        raise pytest.UsageError(f"--requirement {', '.join(unknown)}: unknown id; known: {', '.join(settings.spec.ids())}")
    if "SIGNED" in config.getoption("--requirement") and not settings.dsp_certificates:
        raise pytest.UsageError("--requirement SIGNED: signatures are judged only when --dsp-cert PEM names the DSP's certificates")
    config.stash[SETTINGS] = settings
    config.stash[RESULTS] = []
    config.stash[EXPLORATIONS] = []
    save_to = config.getoption("--save-failures")
    config.stash[GENERATED] = GeneratedRun(
        _seed(config.getoption("--hypothesis-seed", default=None)),
        bool(config.getoption("--thorough")),
        config.invocation_params.dir / save_to if save_to else None,
    )


def _seed(given: str | None) -> Seed:
    """The seed for generated scenarios: hypothesis' own --hypothesis-seed, else a fresh one (printed)."""
    return secrets.randbelow(2**32) if given is None else parse_seed(given)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if SETTINGS not in config.stash:
        return []
    generated = config.stash[GENERATED]
    size = "thorough" if generated.thorough else "CI"
    return [
        *header_lines(config.stash[SETTINGS]),
        f"chfa-conformance generated scenarios: seed {generated.seed} (--hypothesis-seed={generated.seed} repeats it), {size} examples",
    ]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in CASE_SUFFIXES:
        return None
    if "cases" in file_path.parts or _named_on_command_line(file_path, parent.session):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _named_on_command_line(file_path: Path, session: pytest.Session) -> bool:
    """The file, or a folder above it other than the project root (so that `pytest .` does not
    take specs/ for cases), was named on the command line: `pytest saved/` runs saved cases."""
    folders = [folder for folder in file_path.parents if folder != session.config.rootpath]
    return any(session.isinitpath(path) for path in (file_path, *folders))


class CaseFile(pytest.File):
    def collect(self) -> Iterator[CaseItem | GeneratedItem]:
        settings = self.config.stash[SETTINGS]
        entry = load_entry(self.path, settings.spec, settings.schemas_dir, shown_from(self.path, self.config.invocation_params.dir))
        item: CaseItem | GeneratedItem
        if isinstance(entry, Generation):
            item = GeneratedItem.from_parent(self, name=entry.id, generation=entry)
        else:
            item = CaseItem.from_parent(self, name=entry.id, case=entry)
        for requirement_id in entry.requirements:
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
            raise CaseFailed(describe_failure(result, settings.spec, _replay(self.case.path, self.config)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"case {self.case.id}"


class GeneratedItem(pytest.Item):
    """Scenarios drawn by hypothesis, each judged like a case; the first failure is shrunk."""

    def __init__(self, *, generation: Generation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generation = generation
        self.user_properties.append(("requirements", " ".join(generation.requirements)))

    def runtest(self) -> None:
        settings, generated = self.config.stash[SETTINGS], self.config.stash[GENERATED]
        examples = self.generation.thorough_examples if generated.thorough else self.generation.examples
        search = Search(examples, generated.seed, self.config.getoption("--fail-on"), self.config.getoption("--shrink-runs"))
        exploration = explore(self.generation, settings, search)
        self.config.stash[EXPLORATIONS].append(exploration)
        result = exploration.as_case_result()
        self.config.stash[RESULTS].append(result)
        _label_for_allure(result.case, result)
        falsified = exploration.falsified
        if falsified is None:
            return
        self.user_properties.append(("failed_requirements", "" if falsified.candidate_error else " ".join(falsified.requirements)))
        search_again = self._search_again()
        saved = None
        if generated.save_to is not None:
            saved = save_failure(exploration, generated.save_to, lambda path: _replay(path, self.config), search_again)
        replay = _replay(saved, self.config) if saved is not None else search_again
        shown = str(shown_from(saved, self.config.invocation_params.dir)) if saved is not None else None
        raise CaseFailed(describe_generated_failure(exploration, settings.spec, replay, search_again, shown))

    def _search_again(self) -> str:
        options = [f"--hypothesis-seed={self.config.stash[GENERATED].seed}"]
        if self.config.stash[GENERATED].thorough:
            options.append("--thorough")
        if self.config.getoption("--shrink-runs") != SHRINK_RUNS:
            options.append(f"--shrink-runs={self.config.getoption('--shrink-runs')}")
        return _replay(self.path, self.config, options)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.generation.line - 1, f"generated scenarios {self.generation.id}"


def _replay(path: Path, config: pytest.Config, options: list[str] | None = None) -> str:
    """The command that runs one case file again with this run's options.

    A file outside the project would make pytest pick another rootdir and miss pytest.ini
    (so the plugin, specs/ and schemas/): such a replay names the project's ini with -c.
    """
    before = list(options or [])
    if not path.resolve().is_relative_to(config.rootpath) and config.inipath is not None:
        before = ["-c", str(config.inipath), *before]
    if config.getoption("--fail-on") != "should":
        before.append(f"--fail-on={config.getoption('--fail-on')}")
    if config.getoption("--case-timeout"):
        before.append(f"--case-timeout={config.getoption('--case-timeout'):g}")
    if config.getoption("--specs"):
        before.append(f"--specs={config.getoption('--specs')}")
    settings = config.stash[SETTINGS]
    certs = config.getoption("--dsp-cert")
    return replay_command(
        str(shown_from(path, config.invocation_params.dir)), settings.candidate.name, config.getoption("--duis-xsd"), certs, before
    )


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
    for exploration in config.stash[EXPLORATIONS]:
        outcome = "no failure" if exploration.falsified is None else f"failed: {exploration.falsified.failed}"
        terminalreporter.write_line(
            f"generated scenarios {exploration.generation.id}: {exploration.examples} example(s) in {exploration.seconds:.1f}s "
            f"({exploration.examples_per_second:.0f}/s), {exploration.alerts} alert(s), seed {exploration.seed}; {outcome}"
        )
    fail_on = config.getoption("--fail-on")
    for requirement_id in settings.spec.ids():
        if requirement_id in counts:
            level = settings.spec.requirement(requirement_id).level
            verdict = "fails the run" if LEVEL_ORDER[level] <= LEVEL_ORDER[fail_on.upper()] else f"shown only (--fail-on {fail_on})"
            terminalreporter.write_line(f"  {requirement_id} ({level}): findings in {counts[requirement_id]} case(s), {verdict}")
    folder = config.getoption("--matrix")
    if folder:
        for path in write_matrix(build_matrix(results, settings, fail_on), Path(folder)):
            terminalreporter.write_line(f"compliance matrix: {one_line(str(path))}")


def _label_for_allure(case: Case, result: CaseResult) -> None:
    """Allure labels; a no-op when allure-pytest is not collecting results."""
    dynamic: Any = allure.dynamic  # allure-pytest ships without type hints
    dynamic.title(case.description)
    dynamic.tag(*case.requirements)
    for requirement_id in sorted(result.failed_requirements()):
        dynamic.label("finding", requirement_id)
    dynamic.label("case_file", str(case.path))
