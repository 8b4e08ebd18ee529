"""The XML schemas alerts are validated against, chosen by each alert's schemaVersion.

Two sources: the suite's compact schemas (schemas/, always available) or a folder of the
official DUIS files as published ("DUIS Schema V5.1.xsd", with spaces; 5.3 is "V5.3a").
libxml2 does not follow an xs:import whose schemaLocation holds spaces, so imports are
rewritten in memory to escaped URLs and served from the folder by a resolver that refuses
anything else. A missing import fails the load (fail closed), never a warning.
"""

from __future__ import annotations

import copy as copy_module
import functools
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from chfa_conformance.bounded_read import FileNotRead, read_bounded
from chfa_conformance.errors import SchemaLoadError
from chfa_conformance.specs import Profile
from chfa_conformance.xml_safety import hardened_parser

XS = "http://www.w3.org/2001/XMLSchema"
_OFFICIAL_NAME = re.compile(r"DUIS Schema V(?P<version>[0-9]+\.[0-9]+)(?P<letter>[a-z]?)\.xsd")
COMPACT_WITH_ALERT = "chfa-alert.xsd"
COMPACT_WITHOUT_ALERT = "chfa-alert-pre-5.1.xsd"
MAX_ERRORS_SHOWN = 3
MAX_SCHEMA_FILE_BYTES = 8 * 1024 * 1024  # the official files are about 240 KB each
_DATE_TYPES = frozenset({"dateTime", "date", "time", "duration", "gYear", "gYearMonth", "gMonth", "gMonthDay", "gDay"})
_XML_SPACE = " \t\r\n"


@dataclass(frozen=True)
class SchemaVerdict:
    valid: bool
    errors: tuple[str, ...] = ()
    schema_missing: bool = False
    not_covered: bool = False  # a DUIS message of a kind the schema set does not describe (compact: alerts only)


@functools.lru_cache(maxsize=256)
def version_key(text: str | None) -> Decimal | None:
    """schemaVersion is an xs:decimal: '5.1', '5.10' and ' 05.1 ' name the same version."""
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text.strip()) else None


@dataclass
class SchemaSet:
    """Schema files by DUIS version; each is compiled on first use and kept for the run."""

    description: str
    files: dict[Decimal, Path]
    folder: Path
    alerts_only: bool = False
    _compiled: dict[Decimal, CompiledSchema] = field(default_factory=dict)

    def versions(self) -> list[Decimal]:
        return sorted(self.files)

    def validate(self, root: etree._Element, schema_version: str | None) -> SchemaVerdict:
        key = version_key(schema_version)
        if key is None:
            if schema_version is None:
                return SchemaVerdict(False, ("the root has no schemaVersion attribute",))
            return SchemaVerdict(False, (f"schemaVersion {schema_version!r} is not a decimal",))
        if key not in self.files:
            known = ", ".join(str(version) for version in self.versions())
            reason = f"no schema for schemaVersion {schema_version} in {self.description} (has {known})"
            return SchemaVerdict(False, (reason,), schema_missing=True)
        if self.alerts_only and (body := _body_name(root)) not in (None, "DCCAlertMessage"):
            reason = (
                f"a {body} is not an alert: the {self.description} describe DCCAlertMessage only; "
                "the official ones (--duis-xsd DIR) describe every DUIS message"
            )
            return SchemaVerdict(False, (reason,), not_covered=True)
        schema = self.compiled(key)
        if schema.validate(root):
            return SchemaVerdict(True)
        log: Any = schema.schema.error_log  # iterable at run time, though its stub says otherwise
        errors = tuple(f"line {error.line}: {error.message}" for error in log)[:MAX_ERRORS_SHOWN]
        return SchemaVerdict(False, errors)

    def compiled(self, key: Decimal) -> CompiledSchema:
        if key not in self._compiled:
            self._compiled[key] = compile_schema(self.files[key], self.folder)
        return self._compiled[key]

    def compile_all(self) -> None:
        """Load every schema now, so a broken folder stops the run before any case."""
        for key in self.files:
            self.compiled(key)


def official_schemas(folder: Path) -> SchemaSet:
    """The official DUIS files in `folder`, by the version in their published names."""
    if not folder.is_dir():
        raise SchemaLoadError(f"{folder}: not a folder of DUIS schema files")
    chosen: dict[Decimal, tuple[str, Path]] = {}
    for path in folder.iterdir():
        match = _OFFICIAL_NAME.fullmatch(path.name)
        if match is None:
            continue
        key = Decimal(match["version"])
        if key not in chosen or match["letter"] > chosen[key][0]:
            chosen[key] = (match["letter"], path)
    if not chosen:
        raise SchemaLoadError(f"{folder}: holds no file named like 'DUIS Schema V5.1.xsd'")
    return SchemaSet(f"official DUIS schemas in {folder}", {key: path for key, (_, path) in chosen.items()}, folder)


def compact_schemas(folder: Path, profile: Profile) -> SchemaSet:
    """The suite's own schemas, serving every DUIS version the profile knows."""
    files = {Decimal(version): folder / COMPACT_WITH_ALERT for version in profile.duis_versions_with_alert}
    files |= {Decimal(version): folder / COMPACT_WITHOUT_ALERT for version in profile.duis_versions_without_alert}
    return SchemaSet(f"compact schemas in {folder}", files, folder, alerts_only=True)


def _body_name(root: etree._Element) -> str | None:
    """The local name of what Response/Body carries (None when there is no such shape: the schema says why)."""
    body = next((child for child in root if isinstance(child.tag, str) and etree.QName(child).localname == "Body"), None)
    content = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
    return etree.QName(content).localname if content is not None else None


class _FolderResolver(etree.Resolver):
    """Serves schema imports from one folder only; anything else resolves to nothing."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.absolute()

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        name = urllib.parse.unquote(urllib.parse.urlparse(system_url or "").path).rsplit("/", 1)[-1]
        path = self.folder / name
        if name not in ("", ".", "..") and path.is_file():
            return self.resolve_filename(str(path), context)  # type: ignore[attr-defined]
        return self.resolve_string("", context, base_url=None)


@dataclass(frozen=True)
class CompiledSchema:
    """A compiled schema, and the elements it declares only with a built-in date or time type.

    libxml2 refuses leading white space in an xs:dateTime (' 2025-06-01T10:00:00Z'), which
    the type's whiteSpace=collapse facet allows; such values are trimmed in a copy before
    validating, so valid output is not flagged. Other types keep their text as written.
    """

    schema: etree.XMLSchema
    date_elements: frozenset[str]

    def validate(self, root: etree._Element) -> bool:
        return bool(self.schema.validate(_dates_collapsed(root, self.date_elements)))


def _dates_collapsed(root: etree._Element, names: frozenset[str]) -> etree._Element:
    if not any(_padded_date(element, names) for element in root.iter()):
        return root
    copy = copy_module.deepcopy(root)
    for element in copy.iter():
        if _padded_date(element, names):
            element.text = (element.text or "").strip(_XML_SPACE)
    return copy


def _padded_date(element: etree._Element, names: frozenset[str]) -> bool:
    text = element.text
    return text is not None and text != text.strip(_XML_SPACE) and isinstance(element.tag, str) and etree.QName(element).localname in names


def compile_schema(path: Path, folder: Path) -> CompiledSchema:
    """Compile one schema file with its imports, all from `folder`; any gap raises SchemaLoadError."""
    parser = hardened_parser()
    parser.resolvers.add(_FolderResolver(folder))
    documents: dict[Path, etree._ElementTree] = {}
    _require_imports(path, folder, documents)
    try:
        document = etree.parse(str(path), parser)
        _escape_locations(document)
        return CompiledSchema(etree.XMLSchema(document), _date_typed_names(documents.values()))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
        raise SchemaLoadError(f"{path}: the schema does not load: {' '.join(str(exc).split())}") from exc


def _date_typed_names(documents: Iterable[etree._ElementTree]) -> frozenset[str]:
    """Names declared with a built-in date/time type and never with another type."""
    dates: set[str] = set()
    others: set[str] = set()
    for document in documents:
        for element in document.getroot().iter(f"{{{XS}}}element"):
            name, type_name = element.get("name"), element.get("type")
            if name is not None:
                (dates if type_name is not None and type_name.rpartition(":")[2] in _DATE_TYPES else others).add(name)
    return frozenset(dates - others)


def _require_imports(path: Path, folder: Path, seen: dict[Path, etree._ElementTree]) -> None:
    """Walk xs:import/xs:include before compiling, so a missing file is an error, not a warning."""
    if path in seen:
        return
    if not path.exists() and not path.is_symlink():
        raise SchemaLoadError(f"{path}: schema file is missing")
    try:  # bounded: a folder someone else filled may hold /dev/zero, a FIFO or gigabytes
        data = read_bounded(path, MAX_SCHEMA_FILE_BYTES)
        document = etree.ElementTree(etree.fromstring(data, hardened_parser(), base_url=str(path)))
    except FileNotRead as exc:
        raise SchemaLoadError(f"{path}: cannot read the schema: {exc.reason}") from exc
    except etree.XMLSyntaxError as exc:
        raise SchemaLoadError(f"{path}: not a readable schema: {' '.join(str(exc).split())}") from exc
    seen[path] = document
    for element in document.getroot().iter(f"{{{XS}}}import", f"{{{XS}}}include"):
        location = element.get("schemaLocation")
        if location is None:
            continue
        name = urllib.parse.unquote(location).rsplit("/", 1)[-1]  # as _FolderResolver serves it: from `folder` only
        target = folder / name
        if name in ("", ".", "..") or (not target.exists() and not target.is_symlink()):
            raise SchemaLoadError(f"{path}: imports {location!r}, which is not in {folder}")
        _require_imports(target, folder, seen)


def _escape_locations(document: etree._ElementTree) -> None:
    for element in document.getroot().iter(f"{{{XS}}}import", f"{{{XS}}}include"):
        location = element.get("schemaLocation")
        if location is not None:
            element.set("schemaLocation", urllib.parse.quote(urllib.parse.unquote(location)))
