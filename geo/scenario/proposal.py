"""Read a planner's proposal: its TOML file and its rows, checked like ``layers/`` and the base."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.errors import LayerValidationError, Problem
from geo.sources._schema import LAYER_SPECS, SCENARIOS, LayerSpec
from geo.sources._validate import (
    Record,
    control_character,
    parse_rows,
    read_rows,
    text_too_long,
)
from geo.sources.layers import build_layer

#: Layers a proposal may add rows to, in build order (lines need their stations).
PROPOSAL_LAYERS: tuple[str, ...] = ("rail_stations", "rail_lines", "logistics_hubs", "expressways")
#: Fields of a stop that a proposal may leave empty to take them from the base's station.
REUSED_FIELDS = ("name_zh", "name_en", "lon", "lat", "precision_m", "position_basis", "source")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_KEYS = ("name", "title", "base", "layers")


@dataclass(frozen=True)
class Proposal:
    """A planner's proposal: what it is called, the network it adds to, and its rows.

    Attributes
    ----------
    name
        A plain file stem (lowercase letters, digits, ``_``, ``-``): the output folder's name.
    title
        Shown on the map and in the tables.
    base
        ``today`` or ``after``: the network (``geo.sources._schema.SCENARIOS``) it adds to.
    folder
        Folder of its CSV rows, in the schema of ``layers/``.
    path
        The TOML file.
    """

    name: str
    title: str
    base: str
    folder: Path
    path: Path


def read_proposal(path: Path) -> Proposal:
    """Read and check a proposal's TOML file.

    Raises
    ------
    LayerValidationError
        Naming the file and the key of every problem.
    """
    path = Path(path)

    def problem(key: str, message: str) -> Problem:
        return Problem(path.name, "(proposal)", key, message)

    if not path.is_file():
        raise LayerValidationError([problem("(file)", f"{path} does not exist")])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise LayerValidationError([problem("(file)", f"not valid TOML: {error}")]) from error
    problems = [problem(key, "is not a proposal key") for key in raw if key not in _KEYS]
    problems += [problem(key, "is required") for key in _KEYS if key not in raw]
    problems += [
        problem(key, "must be text")
        for key in _KEYS
        if key in raw and not isinstance(raw[key], str)
    ]
    if problems:
        raise LayerValidationError(problems)
    if not _NAME.match(raw["name"]):
        problems.append(
            problem("name", f"{raw['name']!r} is not a plain file stem (a-z, 0-9, '_', '-')")
        )
    if raw["base"] not in SCENARIOS:
        problems.append(problem("base", f"{raw['base']!r} is not one of {', '.join(SCENARIOS)}"))
    if control := control_character(raw["title"]) or text_too_long(raw["title"], label=True):
        problems.append(problem("title", control))
    folder = path.parent / raw["layers"]
    if not _inside(folder, path.parent):
        # A proposal reads only what it ships: no folder elsewhere, no symlink out of its own.
        problems.append(
            problem(
                "layers",
                f"{raw['layers']!r} leads outside the proposal's folder {path.parent}: "
                "keep its rows in a folder beside it",
            )
        )
    elif not folder.is_dir():
        problems.append(problem("layers", f"{raw['layers']!r} is not a folder beside {path.name}"))
    if problems:
        raise LayerValidationError(problems)
    return Proposal(raw["name"], raw["title"].strip(), raw["base"], folder, path)


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, its symlinks followed, lies in ``folder`` (or is it)."""
    return path.resolve().is_relative_to(folder.resolve())


def _check_size(rows: list[dict[str, str]], spec: LayerSpec) -> None:
    """Refuse a proposal of more stations than ``settings.scenario_max_stations``, unanalysed."""
    stations = len({row.get("station_id", "") for row in rows})
    if stations > settings.scenario_max_stations:
        raise LayerValidationError(
            [
                Problem(
                    spec.file_name,
                    "(file)",
                    "station_id",
                    f"{stations:,} stations, more than settings.scenario_max_stations "
                    f"({settings.scenario_max_stations:,}): split the proposal",
                )
            ]
        )


def proposal_records(
    proposal: Proposal, base: Mapping[str, gpd.GeoDataFrame]
) -> tuple[dict[str, list[Record]], dict[str, LayerSpec]]:
    """Read the proposal's CSV files field by field, filling the stops that reuse a station.

    A stop whose ``station_id`` is a base station may leave ``REUSED_FIELDS`` empty; they are
    taken from the base. A stop of an unknown station must give them.

    Returns
    -------
    records, specs
        Per layer present: the typed records, and the spec whose ``file_name`` names the
        proposal's file in problems.
    """
    folder_name = proposal.folder.name
    csvs = sorted(proposal.folder.glob("*.csv"))
    problems = [
        Problem(
            f"{folder_name}/{path.name}", "(file)", "(all)", "is not a layer a proposal adds to"
        )
        for path in csvs
        if path.stem not in PROPOSAL_LAYERS
    ]
    links_out = [
        Problem(
            f"{folder_name}/{path.name}",
            "(file)",
            "(all)",
            f"is a link to {path.resolve()}, outside the proposal's folder: copy the file in",
        )
        for path in csvs
        if not _inside(path, proposal.path.parent)
    ]
    if links_out:  # refused before anything is read
        raise LayerValidationError(links_out)
    records: dict[str, list[Record]] = {}
    specs: dict[str, LayerSpec] = {}
    for name in PROPOSAL_LAYERS:
        path = proposal.folder / LAYER_SPECS[name].file_name
        if not path.is_file():
            continue
        spec = dataclasses.replace(LAYER_SPECS[name], source_file=f"{folder_name}/{path.name}")
        rows, header_problems = read_rows(path, LAYER_SPECS[name])
        if name == "rail_stations":
            _check_size(rows, spec)
        problems += [dataclasses.replace(p, file=spec.file_name) for p in header_problems]
        if name == "rail_stations":
            rows, reuse_problems = _fill_reused(rows, base["rail_stations"], spec)
            problems += reuse_problems
        parsed, row_problems = parse_rows(rows, spec, file=spec.file_name)
        problems += row_problems
        problems += _taken_ids(parsed, spec, base.get(name))
        records[name], specs[name] = parsed, spec
    if not records and not problems:
        problems.append(
            Problem(folder_name, "(folder)", "(all)", f"holds none of {', '.join(PROPOSAL_LAYERS)}")
        )
    if "rail_lines" in records and "rail_stations" not in records:
        problems.append(
            Problem(specs["rail_lines"].file_name, "(file)", "line_id", "lines need rail_stations")
        )
    if problems:
        raise LayerValidationError(problems)
    return records, specs


def _fill_reused(
    rows: list[dict[str, str]], stations: gpd.GeoDataFrame, spec: LayerSpec
) -> tuple[list[dict[str, str]], list[Problem]]:
    known = stations.drop_duplicates("station_id").set_index("station_id")
    filled, problems = [], []
    for number, row in enumerate(rows, start=2):
        station_id = (row.get("station_id") or "").strip()
        empty = [name for name in REUSED_FIELDS if not (row.get(name) or "").strip()]
        if not empty or not station_id:
            filled.append(row)
            continue
        if station_id not in known.index:
            problems.append(
                Problem(
                    spec.file_name,
                    (row.get("id") or "").strip() or f"line {number}",
                    "station_id",
                    f"{station_id!r} is not a station of the base layers; a new station needs "
                    f"{', '.join(empty)}",
                )
            )
            continue
        base = known.loc[station_id]
        values = {
            "name_zh": str(base["name_zh"]),
            "name_en": str(base["name_en"]),
            "lon": repr(float(base.geometry.x)),
            "lat": repr(float(base.geometry.y)),
            "precision_m": str(int(base["precision_m"])),
            "position_basis": str(base["position_basis"]),
            "source": str(base["source"]),
        }
        filled.append({**row, **{name: values[name] for name in empty}})
    return filled, problems


def _taken_ids(
    records: list[Record], spec: LayerSpec, base: gpd.GeoDataFrame | None
) -> list[Problem]:
    if base is None:
        return []
    id_field = spec.fields[0].name
    taken = set(base[id_field])
    return [
        Problem(spec.file_name, record[id_field], id_field, "id is already used in layers/")
        for record in records
        if record[id_field] in taken
    ]


def records_of(frame: gpd.GeoDataFrame, spec: LayerSpec) -> list[Record]:
    """Return a built point layer back as records (``lon``, ``lat`` from its geometry)."""
    columns = [name for name in spec.field_names if name not in ("lon", "lat")]
    table = frame[columns].astype(object).where(frame[columns].notna(), None)
    records: list[Record] = table.to_dict("records")
    for record, point in zip(records, frame.geometry, strict=True):
        record["lon"], record["lat"] = float(point.x), float(point.y)
    return records


def combined_layers(
    proposal: Proposal, base: Mapping[str, gpd.GeoDataFrame]
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, gpd.GeoDataFrame]]:
    """Return the proposal's features, validated like ``layers/`` together with the base.

    Returns
    -------
    added, combined
        The proposal's own features per layer; and base plus proposal per layer (stations of
        the base and the proposal are checked together: one position per station, stops
        numbered 1…n per line).

    Raises
    ------
    LayerValidationError
        Naming the proposal's file, the feature and the field of every problem.
    """
    records, specs = proposal_records(proposal, base)
    added: dict[str, gpd.GeoDataFrame] = {}
    combined: dict[str, gpd.GeoDataFrame] = dict(base)
    if "rail_stations" in records:
        spec = specs["rail_stations"]
        everything = build_layer(
            "rail_stations",
            records_of(base["rail_stations"], spec) + records["rail_stations"],
            spec=spec,
        )
        ids = {record["id"] for record in records["rail_stations"]}
        combined["rail_stations"] = everything
        added["rail_stations"] = everything[everything["id"].isin(ids)].reset_index(drop=True)
    problems: list[Problem] = []
    for name in PROPOSAL_LAYERS[1:]:
        if name not in records:
            continue
        try:
            frame = build_layer(name, records[name], built=combined, spec=specs[name])
        except LayerValidationError as error:
            problems += error.problems
            continue
        added[name] = frame
        combined[name] = (
            pd.concat([base[name], frame], ignore_index=True) if name in base else frame
        )
    if problems:
        raise LayerValidationError(problems)
    return added, combined
