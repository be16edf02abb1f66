"""Map definitions (``maps/*.toml``): read and checked before anything is drawn or written.

A definition is text from outside: every key is checked for its type, every name against the
layer specs, and the map's name must be a plain file stem, since it names the HTML file.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import MapDefinitionError
from geo.sources._schema import ALL_SPECS
from geo.sources._validate import control_character
from geo.utils import log

#: A map's name becomes ``<name>.html``: letters, digits, ``_`` and ``-`` only.
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class MapLayer:
    """One toggleable group of a map: a data layer, optionally filtered."""

    layer: str
    label_zh: str
    label_en: str
    show: bool = True
    where: dict[str, list[str]] = field(default_factory=dict)
    searchable: bool = False
    labels: bool = False
    #: Draw the group after the page's load event (a large background such as county outlines).
    defer: bool = False

    @property
    def label(self) -> str:
        """The group's name in the layer control and legend."""
        return f"{self.label_zh} {self.label_en}"


@dataclass(frozen=True)
class MapDefinition:
    """A map: its name (file name), titles, groups and what to fit the view to."""

    name: str
    title_zh: str
    title_en: str
    layers: tuple[MapLayer, ...]
    fit: tuple[str, ...] = ()
    timeline: bool = False
    #: Draw land, coast, neighbouring countries and places under the data (vector basemap).
    context: bool = False
    requires: tuple[str, ...] = ()


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


# What each key must hold: a check and how to say it.
_Check = tuple[Callable[[object], bool], str]
_TEXT: _Check = (_is_text, "a non-empty string")
_BOOL: _Check = (lambda value: isinstance(value, bool), "true or false")
_NAMES: _Check = (_is_names, "a list of strings")
_MAP_KEYS: dict[str, _Check] = {
    "name": _TEXT,
    "title_zh": _TEXT,
    "title_en": _TEXT,
    "layers": (lambda v: isinstance(v, list) and bool(v), "a non-empty array of [[layers]]"),
    "fit": _NAMES,
    "timeline": _BOOL,
    "context": _BOOL,
    "requires": _NAMES,
}
_GROUP_KEYS: dict[str, _Check] = {
    "layer": _TEXT,
    "label_zh": _TEXT,
    "label_en": _TEXT,
    "show": _BOOL,
    "where": (lambda value: isinstance(value, dict), "a table of field = [values]"),
    "searchable": _BOOL,
    "labels": _BOOL,
    "defer": _BOOL,
}
_REQUIRED_MAP = [f.name for f in fields(MapDefinition) if f.default is MISSING is f.default_factory]
_REQUIRED_GROUP = [f.name for f in fields(MapLayer) if f.default is MISSING is f.default_factory]


def _check_keys(
    table: Mapping[str, Any], expected: dict[str, _Check], required: list[str], where: str
) -> list[str]:
    """Problems with one TOML table: missing, unknown and mistyped keys."""
    problems = [f"{where}: key {name!r} is missing" for name in required if name not in table]
    for key, value in table.items():
        if key not in expected:
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(expected)})")
        elif not expected[key][0](value):
            problems.append(f"{where}: key {key!r} must be {expected[key][1]}, not {value!r}")
        elif isinstance(value, str) and (control := control_character(value)):
            # As in the CSVs: a title or label is one line of text.
            problems.append(f"{where}: key {key!r} {control}")
    return problems


def _check_group(
    entry: Mapping[str, Any], where: str, layers: Mapping[str, Any] | None
) -> list[str]:
    problems = _check_keys(entry, _GROUP_KEYS, _REQUIRED_GROUP, where)
    name = entry.get("layer")
    if not isinstance(name, str) or problems:
        return problems
    if name not in ALL_SPECS:
        return [f"{where}: key 'layer': unknown layer {name!r} (known: {', '.join(ALL_SPECS)})"]
    specs = {spec.name: spec for spec in ALL_SPECS[name].fields}
    for field_name, values in entry.get("where", {}).items():
        at = f"{where}: key 'where.{field_name}'"
        spec = specs.get(field_name)
        if spec is None:
            problems.append(f"{at}: layer {name!r} has no field {field_name!r}")
        elif not _is_names(values) or not values:
            problems.append(f"{at}: must be a non-empty list of strings, not {values!r}")
        else:
            known = spec.vocabulary
            if known is None and layers is not None and field_name in layers.get(name, ()):
                known = tuple(layers[name][field_name].dropna().astype(str).unique())
            unknown = [value for value in values if known is not None and value not in known]
            if known is not None and unknown:
                problems.append(f"{at}: unknown value(s) {unknown} (known: {', '.join(known)})")
    return problems


def _check_map(raw: dict[str, Any], layers: Mapping[str, Any] | None) -> list[str]:
    where = f"map {raw.get('name', '?')!r}"
    problems = _check_keys(raw, _MAP_KEYS, _REQUIRED_MAP, where)
    name = raw.get("name")
    if isinstance(name, str) and not _STEM.fullmatch(name):
        problems.append(
            f"{where}: key 'name' must be a plain file stem (letters, digits, '_', '-'), "
            f"not {name!r}"
        )
    for key in ("fit", "requires"):
        if _is_names(raw.get(key)):
            unknown = [layer for layer in raw[key] if layer not in ALL_SPECS]
            if unknown:
                problems.append(f"{where}: key {key!r}: unknown layer(s) {unknown}")
    for number, entry in enumerate(raw.get("layers") or [], start=1):
        group = f"{where}, group {number}"
        if not isinstance(entry, dict):
            problems.append(f"{group}: must be a [[layers]] table")
            continue
        problems += _check_group(entry, f"{group} ({entry.get('layer', '?')})", layers)
    drawn = {entry.get("layer") for entry in raw.get("layers") or [] if isinstance(entry, dict)}
    if _is_names(raw.get("fit")):
        undrawn = [layer for layer in raw["fit"] if layer in ALL_SPECS and layer not in drawn]
        if undrawn:
            problems.append(f"{where}: key 'fit': layer(s) {undrawn} not drawn by the map")
    return problems


def _definition(raw: dict[str, Any]) -> MapDefinition:
    groups = tuple(
        MapLayer(**{**entry, "where": dict(entry.get("where", {}))}) for entry in raw["layers"]
    )
    return MapDefinition(
        name=raw["name"],
        title_zh=raw["title_zh"],
        title_en=raw["title_en"],
        layers=groups,
        fit=tuple(raw.get("fit", ())),
        timeline=raw.get("timeline", False),
        context=raw.get("context", False),
        requires=tuple(raw.get("requires", ())),
    )


def load_map_definitions(
    maps_dir: Path | None = None, *, layers: Mapping[str, Any] | None = None
) -> list[MapDefinition]:
    """Read and check every ``*.toml`` map definition of a folder, writing nothing.

    Parameters
    ----------
    maps_dir
        Folder of the definitions (default ``settings.maps_dir``).
    layers
        Built layers by name, if known: then a ``where`` value of a field without a vocabulary
        must occur in the layer's data.

    Returns
    -------
    list[MapDefinition]
        In file name order.

    Raises
    ------
    MapDefinitionError
        Listing every problem, each naming the file, the map or group, and the key.
    """
    folder = Path(maps_dir or settings.maps_dir)
    problems: list[str] = []
    definitions: list[MapDefinition] = []
    files: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            # A byte order mark (as Windows editors write) is read past, as in the CSVs.
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path.name}: not valid TOML: {error}")
            continue
        found = [f"{path.name}: {problem}" for problem in _check_map(raw, layers)]
        name = raw.get("name")
        if isinstance(name, str) and name in files:
            found.append(f"{path.name}: map {name!r}: key 'name' is also used by {files[name]}")
        if isinstance(name, str):
            files.setdefault(name, path.name)
        problems += found
        if not found:
            definitions.append(_definition(raw))
    if problems:
        raise MapDefinitionError(problems)
    log(f"read {len(definitions)} map definitions from {folder}", level=logging.DEBUG)
    return definitions
