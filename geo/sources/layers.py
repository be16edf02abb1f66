"""Load the curated layer sources, validate them, and build one GeoDataFrame per layer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo import settings
from geo.errors import ChengyuError, LayerValidationError, Problem
from geo.sources._layer_builders import BUILDERS, DEPENDS_ON, check_geometry
from geo.sources._schema import (
    LAYER_NAMES as LAYER_NAMES,  # re-exported: callers import it from here
)
from geo.sources._schema import LAYER_SPECS, LAYERS, LayerSpec
from geo.sources._validate import Record, parse_rows, read_rows
from geo.utils import log

#: Names of every layer, in build order.


def read_records(spec: LayerSpec, *, layers_dir: Path | None = None) -> list[Record]:
    """Read and check one layer's source file, field by field.

    Parameters
    ----------
    spec
        The layer.
    layers_dir
        Folder of the sources (default ``settings.layers_dir``).

    Raises
    ------
    LayerValidationError
        Naming the file, the feature id and the field of every problem.
    """
    path = Path(layers_dir or settings.layers_dir) / spec.file_name
    if not path.is_file():
        raise LayerValidationError(
            [Problem(path.name, "(file)", "(all)", f"{path} does not exist")]
        )
    rows, problems = read_rows(path, spec)
    if not rows and not problems:
        problems.append(
            Problem(path.name, "(file)", "(all)", "has a header but no features; a layer needs one")
        )
    records, row_problems = parse_rows(rows, spec, file=path.name)
    problems += row_problems
    if not problems:
        problems += _sequence_problems(records, spec, file=path.name)
    if problems:
        raise LayerValidationError(problems)
    return sorted(records, key=lambda record: tuple(record[key] for key in spec.sort_by))


def _sequence_problems(records: list[Record], spec: LayerSpec, *, file: str) -> list[Problem]:
    """Rows of a group (a line's stops) out of their order in the file: a swapped number."""
    if spec.sequence is None:
        return []
    group, order = spec.sequence
    last: dict[Any, Record] = {}
    problems = []
    for record in records:
        before = last.get(record[group])
        if before is not None and record[order] <= before[order]:
            problems.append(
                Problem(
                    file,
                    str(record[spec.fields[0].name]),
                    order,
                    f"{order} {record[order]} comes after {order} {before[order]} "
                    f"({before[spec.fields[0].name]}) of {group} {record[group]!r}: the rows "
                    f"of a {group} must follow their {order} (were two numbers swapped?)",
                )
            )
        last[record[group]] = record
    return problems


def load_layers(
    names: Iterable[str] | None = None,
    *,
    layers_dir: Path | None = None,
    on_layer: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Load and validate layers, with the layers they depend on.

    Loading only reads and checks: expressways and corridor legs are straight lines through
    their waypoints until ``geo.networks.routing.route_layers`` routes them (so ``chengyu
    validate`` never loads the railway or the highway graph).

    Parameters
    ----------
    names
        Layers wanted (default: all of ``LAYER_NAMES``).
    layers_dir
        Folder of the sources (default ``settings.layers_dir``).
    on_layer
        Called with each layer's name once it is built (for progress display).
    cache_dir
        Folder of the cache of the boundaries (default ``geo._io.cache_for()``).

    Returns
    -------
    dict
        Layer name to GeoDataFrame in EPSG:4326, sorted by id.

    Raises
    ------
    LayerValidationError
        With every problem found in every source read.
    """
    wanted = set(names or LAYER_NAMES)
    unknown = wanted - set(LAYER_NAMES)
    if unknown:
        raise ChengyuError(
            f"unknown layer(s) {sorted(unknown)}; layers are {', '.join(LAYER_NAMES)}"
        )
    needed = set(wanted)
    for name, dependencies in DEPENDS_ON.items():
        if name in needed:
            needed.update(dependencies)

    records: dict[str, list[Record]] = {}
    problems: list[Problem] = []
    for spec in LAYERS:
        if spec.name in needed:
            try:
                records[spec.name] = read_records(spec, layers_dir=layers_dir)
            except LayerValidationError as error:
                problems += error.problems
    problems += _cross_problems(records)
    if problems:
        raise LayerValidationError(problems)

    built: dict[str, gpd.GeoDataFrame] = {}
    for spec in LAYERS:
        # A layer whose dependency failed is not built; the dependency's problems say why.
        if spec.name not in needed or any(d not in built for d in DEPENDS_ON.get(spec.name, ())):
            continue
        try:
            frame = BUILDERS[spec.name](records[spec.name], spec, built, cache_dir)
            check_geometry(frame, spec)
        except LayerValidationError as error:
            problems += error.problems
            continue
        built[spec.name] = frame
        log(f"layer {spec.name}: {len(frame)} features")
        if on_layer is not None:
            on_layer(spec.name)
    if problems:
        raise LayerValidationError(problems)
    return {name: frame for name, frame in built.items() if name in wanted}


def _cross_problems(records: dict[str, list[Record]]) -> list[Problem]:
    """Problems between rows or layers: unknown lines, duplicate areas, totals that differ."""
    problems: list[Problem] = []
    if "rail_stations" in records and "rail_lines" in records:
        spec = LAYER_SPECS["rail_stations"]
        lines = {record["line_id"] for record in records["rail_lines"]}
        problems += [
            Problem(
                spec.file_name,
                record["id"],
                "line_id",
                f"{record['line_id']!r} is not a line_id of rail_lines",
            )
            for record in records["rail_stations"]
            if record["line_id"] not in lines
        ]
    if "admin_areas" in records:
        problems += _admin_problems(records["admin_areas"], LAYER_SPECS["admin_areas"])
    return problems


def _admin_problems(records: list[Record], spec: LayerSpec) -> list[Problem]:
    """One area under two adcodes; a parent not its children's sum; a name_en not in ASCII."""
    problems: list[Problem] = [
        Problem(
            spec.file_name,
            record["adcode"],
            "name_en",
            f"{record['name_en']!r} is not ASCII (write pinyin without tones)",
        )
        for record in records
        if record["name_en"] and not str(record["name_en"]).isascii()
    ]
    by_name: dict[tuple[str, str, str, str], str] = {}
    for record in records:
        key = (
            record["level"],
            record["province_zh"],
            record["prefecture_zh"] or "",
            record["name_zh"],
        )
        other = by_name.setdefault(key, record["adcode"])
        if other != record["adcode"]:
            problems.append(
                Problem(
                    spec.file_name,
                    record["adcode"],
                    "name_zh",
                    f"{record['level']} {record['name_zh']!r} is already adcode {other!r}",
                )
            )
    problems += [
        Problem(
            spec.file_name,
            record["adcode"],
            "urban_2020",
            f"urban {record['urban_2020']:,} + rural {record['rural_2020']:,} is not the "
            f"population {record['population_2020']:,}",
        )
        for record in records
        if record["urban_2020"] + record["rural_2020"] != record["population_2020"]
    ]
    children: dict[str, int] = {}
    for record in records:
        if record["parent_adcode"]:
            children[record["parent_adcode"]] = (
                children.get(record["parent_adcode"], 0) + record["population_2020"]
            )
    adcodes = {record["adcode"] for record in records}
    for record in records:
        parent = record["parent_adcode"]
        if parent and parent not in adcodes:
            problems.append(
                Problem(
                    spec.file_name,
                    record["adcode"],
                    "parent_adcode",
                    f"{parent!r} is not an adcode of the layer",
                )
            )
        total = children.get(record["adcode"])
        if total is not None and total != record["population_2020"]:
            problems.append(
                Problem(
                    spec.file_name,
                    record["adcode"],
                    "population_2020",
                    f"{record['population_2020']:,} but its areas add up to {total:,}",
                )
            )
    return problems


def load_layer(name: str, *, layers_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Load, validate and build one layer (see ``load_layers``)."""
    return load_layers([name], layers_dir=layers_dir)[name]


def build_layer(
    name: str,
    records: list[Record],
    *,
    built: Mapping[str, gpd.GeoDataFrame] | None = None,
    spec: LayerSpec | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Build and check one layer from records read like ``read_records`` reads them.

    The same checks as ``load_layers`` (positions, one position per station, stops numbered
    1…n, sections on their stops, valid geometry), for rows that come from elsewhere: a
    planner's proposal combined with the base layers (``geo.scenario.compare``).

    Parameters
    ----------
    name
        The layer (one of ``LAYER_NAMES``).
    records
        Its typed records (``geo.sources._validate.parse_rows``).
    built
        Layers it depends on, already built (``rail_stations`` for ``rail_lines``).
    spec
        The layer's spec (default ``LAYER_SPECS[name]``); its ``file_name`` names the file in
        the problems found.
    cache_dir
        Folder of the cache of the boundaries (default ``geo._io.cache_for()``).

    Raises
    ------
    LayerValidationError
        Naming the file, the feature id and the field of every problem.
    """
    spec = spec or LAYER_SPECS[name]
    frame = BUILDERS[name](records, spec, dict(built or {}), cache_dir)
    check_geometry(frame, spec)
    log(f"layer {name} ({spec.file_name}): {len(frame)} features")
    return frame
