"""Errors that stop a run with one line naming the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

from chfa_conformance.printable import one_line


class SourceError(Exception):
    """A spec, case or schema file that cannot be used as it stands."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = " ".join(problem.split())
        super().__init__(str(self))

    def __str__(self) -> str:
        path = one_line(self.path)  # a file name holding a line break must not forge a line
        where = path if self.line is None else f"{path}:{self.line}"
        return f"{where}: {self.problem}"


class SchemaLoadError(Exception):
    """The official or compact XML schema could not be compiled: the run fails closed."""
