"""Parse a layer source row by row and report every problem with file, feature and field."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geo._schema import FieldSpec, LayerSpec
from geo.errors import Problem

Record = dict[str, Any]
Bounds = tuple[float, float, float, float]

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_DATE_OR_YEAR = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_WAYPOINT = re.compile(r"^(?P<name>[^()]+?)\s*\(\s*(?P<lon>-?[\d.]+)\s+(?P<lat>-?[\d.]+)\s*\)$")


def read_rows(path: Path, spec: LayerSpec) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read a layer's CSV and check its header against the spec.

    Parameters
    ----------
    path
        The CSV file.
    spec
        What the layer must hold.

    Returns
    -------
    rows, problems
        The rows as text, and any header problems (a missing or unknown column).
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = [dict(row) for row in reader]
    problems = [
        Problem(path.name, "(header)", name, "column is missing")
        for name in spec.field_names
        if name not in header
    ]
    problems += [
        Problem(path.name, "(header)", name, "column is not part of the layer")
        for name in header
        if name not in spec.field_names
    ]
    return rows, problems


def parse_rows(
    rows: Iterable[dict[str, str]], spec: LayerSpec, *, file: str
) -> tuple[list[Record], list[Problem]]:
    """Turn text rows into typed records, collecting every problem.

    Parameters
    ----------
    rows
        Rows as read from the CSV.
    spec
        What the layer must hold.
    file
        File name used in the problems.

    Returns
    -------
    records, problems
        One record per row (empty optional fields become ``None``) and every problem found.
    """
    records: list[Record] = []
    problems: list[Problem] = []
    id_field = spec.fields[0].name
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        feature_id = (row.get(id_field) or "").strip() or f"line {number}"
        record: Record = {}
        for field_spec in spec.fields:
            text = (row.get(field_spec.name) or "").strip()
            value, message = _parse_value(text, field_spec)
            if message:
                problems.append(Problem(file, feature_id, field_spec.name, message))
            record[field_spec.name] = value
        if feature_id in seen:
            problems.append(Problem(file, feature_id, id_field, "id is not unique"))
        seen.add(feature_id)
        records.append(record)
    return records, problems


def _parse_value(text: str, spec: FieldSpec) -> tuple[Any, str | None]:
    if not text:
        return None, "is required but empty" if spec.required else None
    value: Any = text
    try:
        if spec.kind == "id" and not _ID_PATTERN.match(text):
            return text, "must be lowercase letters, digits, '_' or '-'"
        if spec.kind == "int":
            value = int(text)
        elif spec.kind == "float":
            value = float(text)
        elif spec.kind == "date":
            dt.date.fromisoformat(text)
        elif spec.kind == "date_or_year":
            if not _DATE_OR_YEAR.match(text):
                return text, f"{text!r} is not a year, YYYY-MM or an ISO date"
            if len(text) == 10:
                dt.date.fromisoformat(text)
        elif spec.kind == "waypoints":
            value = parse_waypoints(text)
    except ValueError as error:
        return text, f"{text!r} is not a valid {spec.kind}: {error}"
    if spec.vocabulary is not None and value not in spec.vocabulary:
        return value, f"{text!r} is not one of {', '.join(spec.vocabulary)}"
    if spec.minimum is not None and value < spec.minimum:
        return value, f"{value} is below the minimum {spec.minimum}"
    if spec.maximum is not None and value > spec.maximum:
        return value, f"{value} is above the maximum {spec.maximum}"
    return value, None


def parse_waypoints(text: str) -> list[tuple[str, float, float]]:
    """Parse ``"Name (lon lat); Name (lon lat)"`` into ``[(name, lon, lat), …]``.

    Raises
    ------
    ValueError
        If a waypoint is not of that form.
    """
    waypoints = []
    for part in text.split(";"):
        match = _WAYPOINT.match(part.strip())
        if not match:
            raise ValueError(f"waypoint {part.strip()!r} is not 'Name (lon lat)'")
        waypoints.append((match["name"], float(match["lon"]), float(match["lat"])))
    return waypoints


def _inside(lon: float, lat: float, bounds: Bounds) -> bool:
    lon_min, lat_min, lon_max, lat_max = bounds
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def position_problem(lon: float, lat: float, bounds: Bounds, *, where: str) -> str | None:
    """Say what is wrong with a WGS84 position expected inside ``bounds``, or ``None``.

    Parameters
    ----------
    lon, lat
        The position, in degrees.
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` the position must lie in.
    where
        Name of the region, for the message.
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        if _inside(lat, lon, bounds):
            return f"({lon}, {lat}) is outside WGS84; lon and lat look swapped"
        return f"({lon}, {lat}) is outside the WGS84 range"
    if _inside(lon, lat, bounds):
        return None
    if _inside(lat, lon, bounds):
        return f"({lon}, {lat}) lies outside {where}; lon and lat look swapped"
    return f"({lon}, {lat}) lies outside {where} {bounds}"
