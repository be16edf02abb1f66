"""A user's population file, read partition by partition by whoever counts it.

``chengyu coverage --population FILE`` takes a GeoParquet (read by row groups), a GeoPackage or
any vector file GDAL reads (by ranges of ``settings.population_batch_rows`` features), or a
population raster such as WorldPop or GHS-POP (a GeoTIFF, read by windows of whole rows of
about ``settings.raster_window_cells`` cells, each cell's people at its centre). ``open_population``
reads only the file's metadata. ``partition_sums`` reads one partition, validates it like a
layer, places it in the counties and counts it in every catchment, and returns only these sums
(catchment x county). In this process the partitions are read one after another; on Dask each
worker reads its own partitions from the file: the client holds the catchments and the sums,
never the points, and memory stays flat however big the file is.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo import settings
from geo.analysis._counting import cluster_client, counted_xy
from geo.errors import PopulationError, Problem
from geo.utils import log

#: Suffixes read as GeoParquet, and as a population raster; anything else goes to GDAL.
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
RASTER_SUFFIXES = (".tif", ".tiff")
#: What a file that mixes points and polygons is told.
MIXED = "mixes points and polygons: use one or the other"
_Item = TypeVar("_Item")


@dataclass(frozen=True)
class PopulationFile:
    """A user's population file, described by its metadata alone (``open_population``).

    Attributes
    ----------
    path
        The file (absolute: a Dask worker reads it from there).
    weight
        The column of people (vector files; a raster's people are its first band).
    kind
        ``parquet``, ``vector`` or ``raster``.
    partitions
        What each worker reads: (row group, its first row) of a GeoParquet, (first feature,
        features) of a vector file, (first row, rows) of a raster's window.
    features
        Features in the file (cells of the raster's part within the region).
    key
        Size, modification time and a streamed SHA-1 of the file, with ``weight``: what the
        cached analysis depends on.
    columns
        A raster's first column and width within the region (unused for vector files).
    """

    path: Path
    weight: str
    kind: str
    partitions: tuple[tuple[int, int], ...]
    features: int
    key: str
    columns: tuple[int, int] = (0, 0)

    @property
    def label(self) -> str:
        """The file's name, as the outputs' ``population_method`` says it."""
        return self.path.name


@dataclass(frozen=True)
class CountedPopulation:
    """A population file already counted in a set of catchments (``count_population``).

    The analysis reads a user's file once for both the station catchments and the drive
    areas, and hands the catchments' share to ``geo.analysis.coverage.coverage`` as this.
    """

    source: PopulationFile
    people: pd.DataFrame
    total: float
    geometry: str


@dataclass(frozen=True)
class PartitionSums:
    """What a partition sends back: people per catchment and county, and what it read."""

    people: np.ndarray
    total: float
    features: int
    geometry: str
    first_id: str
    problem: str | None = None


def file_key(path: Path) -> str:
    """Size, modification time and SHA-1 of a file, read in chunks (never held in memory)."""
    with Path(path).open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha1")
    status = Path(path).stat()
    return f"{status.st_size}:{status.st_mtime_ns}:{digest.hexdigest()}"


def _problem(name: str, feature: object, field: str, message: str) -> PopulationError:
    return PopulationError(str(Problem(name, str(feature), field, message)))


def open_population(path: Path | str, *, weight: str = "population") -> PopulationFile:
    """Describe a user's population file from its metadata, without reading its features.

    Parameters
    ----------
    path
        A GeoParquet (``.parquet``/``.geoparquet``), a raster (``.tif``/``.tiff``: people per
        cell in band 1), or a vector file GDAL reads (a GeoPackage).
    weight
        The column holding the people of each feature (ignored for a raster).

    Returns
    -------
    PopulationFile

    Raises
    ------
    PopulationError
        One line naming the file (and the feature and field where there is one) if the file
        cannot be read, holds nothing, has no CRS or no such weight column.
    """
    source = Path(path).absolute()
    name = source.name
    try:
        key = file_key(source)
        suffix = source.suffix.lower()
        if suffix in PARQUET_SUFFIXES:
            opened = _open_parquet(source, weight)
        elif suffix in RASTER_SUFFIXES:
            opened = _open_raster(source)
        else:
            opened = _open_vector(source, weight)
    except PopulationError:
        raise
    except Exception as error:  # any reader's failure becomes one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PopulationError(
            f"{name}: cannot be read as GeoParquet, GeoPackage or GeoTIFF: {first}"
        ) from None
    kind, partitions, features, columns = opened
    if features == 0:
        raise _problem(name, "-", "geometry", "the file holds no features")
    log(f"population file {name}: {features:,} features in {len(partitions)} partitions ({kind})")
    return PopulationFile(source, weight, kind, partitions, features, f"{key}:{weight}", columns)


def _first_id(source: Path, kind: str) -> str:
    """Return the id of the first feature (its ``id``, else 0) to name in a file-wide problem."""
    if kind == "parquet":
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(source)
        if "id" in handle.schema_arrow.names and handle.metadata.num_rows:
            return str(handle.read_row_group(0, columns=["id"]).column("id")[0].as_py())
        return "0"
    import pyogrio

    frame = pyogrio.read_dataframe(source, max_features=1, read_geometry=False)
    return str(frame["id"].iloc[0]) if "id" in frame.columns and len(frame) else "0"


def _parquet_geometry(source: Path) -> tuple[str, CRS | None]:
    """Return the primary geometry column of a GeoParquet file and its CRS (GeoParquet's rules)."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(source).schema_arrow.metadata or {}
    if b"geo" not in metadata:
        raise PopulationError(f"{source.name}: no GeoParquet metadata (write it with geopandas)")
    geo = json.loads(metadata[b"geo"])
    column = geo["primary_column"]
    described = geo["columns"][column]
    if str(described.get("encoding", "WKB")).upper() != "WKB":
        raise PopulationError(
            f"{source.name}: geometry encoding {described['encoding']!r}: write the file with "
            "WKB geometries (geopandas' default)"
        )
    if "crs" not in described:  # GeoParquet: no crs key means longitude/latitude (OGC:CRS84)
        return column, CRS.from_user_input("OGC:CRS84")
    crs = described["crs"]
    return column, None if crs is None else CRS.from_user_input(crs)


def _open_parquet(
    source: Path, weight: str
) -> tuple[str, tuple[tuple[int, int], ...], int, tuple[int, int]]:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(source)
    column, crs = _parquet_geometry(source)
    names = [name for name in handle.schema_arrow.names if name != column]
    if handle.metadata.num_rows and crs is None:
        raise _problem(
            source.name,
            _first_id(source, "parquet"),
            "geometry",
            "no CRS: say which CRS the coordinates are in",
        )
    if handle.metadata.num_rows and weight not in names:
        raise _problem(
            source.name,
            _first_id(source, "parquet"),
            weight,
            f"no such column (columns: {', '.join([*names, column])})",
        )
    partitions, first = [], 0
    for group in range(handle.num_row_groups):
        rows = handle.metadata.row_group(group).num_rows
        if rows:
            partitions.append((group, first))
        first += rows
    return "parquet", tuple(partitions), handle.metadata.num_rows, (0, 0)


def _open_vector(
    source: Path, weight: str
) -> tuple[str, tuple[tuple[int, int], ...], int, tuple[int, int]]:
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if len(layers) > 1:  # GDAL would read the first alone, whichever the people are in
        raise _problem(
            source.name,
            "(file)",
            "layer",
            f"holds {len(layers)} layers ({', '.join(layers)}): keep the people in one",
        )
    info = pyogrio.read_info(source, force_feature_count=True)
    features = int(info["features"])
    if features and info["geometry_type"] is None:  # "no CRS" would send the user astray
        raise _problem(
            source.name,
            _first_id(source, "vector"),
            "geometry",
            "no geometry (a table such as a CSV has no positions): write the points or "
            "polygons as a GeoParquet or GeoPackage",
        )
    if features and not info["crs"]:
        raise _problem(
            source.name,
            _first_id(source, "vector"),
            "geometry",
            "no CRS: say which CRS the coordinates are in",
        )
    fields = [str(field) for field in info["fields"]]
    if features and weight not in fields:
        raise _problem(
            source.name,
            _first_id(source, "vector"),
            weight,
            f"no such column (columns: {', '.join([*fields, 'geometry'])})",
        )
    size = settings.population_batch_rows
    partitions = tuple((first, min(size, features - first)) for first in range(0, features, size))
    return "vector", partitions, features, (0, 0)


def _open_raster(source: Path) -> tuple[str, tuple[tuple[int, int], ...], int, tuple[int, int]]:
    """Return a raster's windows within the region (a WorldPop tile of all China is cut to it)."""
    import rasterio
    from rasterio.warp import transform_bounds

    with rasterio.open(source) as raster:
        if raster.crs is None:
            raise _problem(source.name, "band 1", "crs", "no CRS: say which CRS the cells are in")
        west, south, east, north = transform_bounds(
            settings.storage_crs, raster.crs, *settings.region_bounds
        )
        # The region's corners in cells through the inverse transform, not rasterio's
        # from_bounds: that refuses a raster stored south-up (rows from the south, as written
        # from NetCDF), which is a GeoTIFF like another and counts the same.
        # Written out rather than ``inverse * point``, which affine 3 deprecates for ``@``.
        inverse = ~raster.transform
        corners = ((west, south), (west, north), (east, south), (east, north))
        columns, rows = zip(
            *(
                (
                    x * inverse.a + y * inverse.b + inverse.c,
                    x * inverse.d + y * inverse.e + inverse.f,
                )
                for x, y in corners
            ),
            strict=True,
        )
        # Rounded as rasterio's Window.round_offsets and round_lengths round.
        row_offset = math.floor(min(rows) + 0.1)
        column_offset = math.floor(min(columns) + 0.1)
        row_first = max(0, row_offset)
        row_last = min(raster.height, row_offset + math.floor(max(rows) - min(rows) + 0.5))
        column_first = max(0, column_offset)
        column_last = min(
            raster.width, column_offset + math.floor(max(columns) - min(columns) + 0.5)
        )
    if row_last <= row_first or column_last <= column_first:
        raise _problem(
            source.name,
            "band 1",
            "geometry",
            f"the raster lies outside the region {settings.region_bounds}: is its CRS right?",
        )
    width = column_last - column_first
    step = max(1, settings.raster_window_cells // width)
    partitions = tuple(
        (first, min(step, row_last - first)) for first in range(row_first, row_last, step)
    )
    return "raster", partitions, (row_last - row_first) * width, (column_first, width)


def count_population(
    source: PopulationFile,
    areas: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, float, str]:
    """People of a population file in each catchment, per county, read partition by partition.

    Parameters
    ----------
    source
        From ``open_population``.
    areas
        Catchments (any polygons); the answer has a row per area.
    counties
        County polygons with ``adcode``: a feature counts in the county it lies in (a polygon is
        cut along the counties, its weight shared by area); outside them it is not counted.
    scheduler
        ``None`` reads the partitions in this process, one after another; ``"local"`` or a Dask
        scheduler's address has the workers read them (``geo.analysis._counting.covered_by``).

    Returns
    -------
    people, total, geometry
        One row per area (the index of ``areas``), one column per county (``adcode``); the
        file's total weight; and what it holds (``points``, ``polygons``; a raster's cells
        are points).

    Raises
    ------
    PopulationError
        The first problem of the file, in its order (the same in this process and on Dask).
    """
    placed = counties[counties.geometry.notna()][["adcode", "geometry"]].sort_values("adcode")
    placed = placed.reset_index(drop=True)
    areas_here = areas.geometry.to_crs(placed.crs).reset_index(drop=True)
    tally = _Tally(source.label, (len(areas_here), len(placed)))
    if scheduler is None:
        for index in range(len(source.partitions)):
            tally.add(partition_sums(source, index, placed, areas_here))
    else:
        from distributed import as_completed

        with cluster_client(scheduler) as client:
            log(f"counting {source.label} partition by partition on the Dask scheduler {scheduler}")
            # The catchments and counties go to each worker once; the points never leave them.
            shared = client.scatter([placed, areas_here], broadcast=True)
            futures = client.map(
                partition_sums,
                [source] * len(source.partitions),
                list(range(len(source.partitions))),
                counties=shared[0],
                areas=shared[1],
                pure=False,
            )
            order = {future.key: index for index, future in enumerate(futures)}
            completed = as_completed(futures, with_results=True)  # type: ignore[no-untyped-call]
            del futures
            # Summed in the file's order, as in this process, so both give the same floats.
            for part in in_file_order((order[future.key], part) for future, part in completed):
                tally.add(part)
    if tally.added != len(source.partitions):
        # Sums of part of the file would pass for the whole: refuse them.
        raise PopulationError(
            f"{source.label}: {len(source.partitions) - tally.added} of {len(source.partitions)} "
            "partitions were not counted (the sums of one never came back); no answer given"
        )
    return (
        pd.DataFrame(
            tally.people, index=areas.index, columns=pd.Index(placed["adcode"], name="adcode")
        ),
        tally.total,
        tally.geometry or "points",
    )


def in_file_order(arrivals: Iterable[tuple[int, _Item]]) -> Iterator[_Item]:
    """Yield the items of (partition, item) pairs that arrive in any order, in partition order.

    An item that comes early waits for those before it; with the workers taking the partitions
    in order, a few wait at most, so the client holds sums, never the whole file's.
    """
    waiting: dict[int, _Item] = {}
    expected = 0
    for index, item in arrivals:
        waiting[index] = item
        while expected in waiting:
            yield waiting.pop(expected)
            expected += 1


class _Tally:
    """The sums of a file's partitions (catchment x county), added in the file's order."""

    def __init__(self, label: str, shape: tuple[int, int]) -> None:
        self.label = label
        self.added = 0
        self.people = np.zeros(shape)
        self.total = 0.0
        self.geometry = ""

    def add(self, part: PartitionSums) -> None:
        """Add the next partition's sums.

        Raises
        ------
        PopulationError
            The partition's problem, or its geometry where the file's earlier partitions held
            the other kind (the file's first problem: every partition before it is added).
        """
        if part.problem:
            raise PopulationError(part.problem)
        if part.geometry and self.geometry and part.geometry != self.geometry:
            raise _problem(self.label, part.first_id, "geometry", MIXED)
        self.geometry = self.geometry or part.geometry
        self.people = self.people + part.people
        self.total += part.total
        self.added += 1


def method_text(source: PopulationFile, total: float, geometry: str = "") -> str:
    """Return the ``method`` of coverage counted on a user's file."""
    if source.kind == "raster":
        what = "raster cells (each cell's people at its centre, band 1)"
    elif geometry == "polygons":
        what = "polygons (areal weighting within each)"
    else:
        what = "points"
    weight = "" if source.kind == "raster" else f", weight column {source.weight!r}"
    return (
        f"the user's file {source.label}: {source.features:,} weighted {what}{weight}, total "
        f"{total:,.0f}"
    )


def partition_sums(
    source: PopulationFile,
    index: int,
    counties: gpd.GeoDataFrame,
    areas: gpd.GeoSeries,
) -> PartitionSums:
    """Read, validate, place and count one partition of a population file.

    Runs where the counting runs (this process, or a Dask worker that reads the file itself).
    A problem of the data is returned, not raised, so that the client reports the file's
    first one whichever worker finds it first.
    """
    groups = len(counties)
    people = np.zeros((len(areas), groups))
    total, features, geometry, first_id = 0.0, 0, "", ""
    try:
        for cells, ids in read_partition(source, index):
            if not len(cells):
                continue
            if geometry and _kind(cells) != geometry:
                raise _problem(source.label, ids[0], "geometry", MIXED)
            geometry = geometry or _kind(cells)
            first_id = first_id or str(ids[0])
            values = cells["population"].to_numpy(dtype=float)
            total += float(values.sum())
            features += len(cells)
            if _kind(cells) == "points":
                # Coordinates, not point objects: a partition is counted as arrays.
                xs, ys = _projected_xy(cells, counties.crs)
                codes = _county_codes(xs, ys, counties.geometry.values)
                kept = codes >= 0
                people += counted_xy(
                    xs[kept], ys[kept], values[kept], codes[kept], groups, areas.values
                )
            else:
                people += _polygon_sums(cells.to_crs(counties.crs), values, counties, areas)
    except PopulationError as error:
        return PartitionSums(people, total, features, geometry, first_id, str(error))
    return PartitionSums(people, total, features, geometry, first_id)


def _projected_xy(cells: gpd.GeoDataFrame, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the coordinates of point cells in ``crs``."""
    xs, ys = shapely.get_x(cells.geometry.values), shapely.get_y(cells.geometry.values)
    if cells.crs == crs:
        return xs, ys
    projected = Transformer.from_crs(cells.crs, crs, always_xy=True).transform(xs, ys)
    return np.asarray(projected[0]), np.asarray(projected[1])


def _county_codes(xs: np.ndarray, ys: np.ndarray, counties: np.ndarray) -> np.ndarray:
    """Return the county (row of ``counties``) of each point, -1 outside them all.

    A point on a border shared by two counties counts once, in the first.
    """
    codes = np.full(len(xs), -1, dtype=np.int64)
    for code, county in enumerate(counties):
        min_x, min_y, max_x, max_y = county.bounds
        near = np.flatnonzero(
            (xs >= min_x) & (xs <= max_x) & (ys >= min_y) & (ys <= max_y) & (codes < 0)
        )
        shapely.prepare(county)
        codes[near[shapely.contains_xy(county, xs[near], ys[near])]] = code
    return codes


def _kind(cells: gpd.GeoDataFrame) -> str:
    return "points" if bool(cells.geom_type.eq("Point").all()) else "polygons"


def _polygon_sums(
    cells: gpd.GeoDataFrame, values: np.ndarray, counties: gpd.GeoDataFrame, areas: gpd.GeoSeries
) -> np.ndarray:
    """People of polygons in each (area, county): each polygon's weight shared by area."""
    zones = gpd.GeoDataFrame(
        {"weight": values, "km2": cells.area.to_numpy() / 1e6}, geometry=cells.geometry.values,
        crs=cells.crs,
    )  # fmt: skip
    coded = counties.reset_index(names="code")[["code", "geometry"]]
    pieces = gpd.overlay(zones, coded, how="intersection", keep_geom_type=True)
    keyed = gpd.GeoDataFrame({"area": range(len(areas))}, geometry=areas.values, crs=areas.crs)
    inside = gpd.overlay(pieces, keyed, how="intersection", keep_geom_type=True)
    shares = inside["weight"] * (inside.area / 1e6) / inside["km2"]
    sums = np.zeros((len(areas), len(counties)))
    np.add.at(
        sums, (inside["area"].to_numpy(dtype=int), inside["code"].to_numpy(dtype=int)), shares
    )
    return sums


def read_partition(
    source: PopulationFile, index: int
) -> Iterator[tuple[gpd.GeoDataFrame, np.ndarray]]:
    """Read one partition in batches of at most ``settings.population_batch_rows`` features.

    Yields
    ------
    cells, ids
        ``population`` and the geometry, in the file's CRS, validated (see ``validated``); and
        each feature's id (its ``id``, else its row in the file).

    Raises
    ------
    PopulationError
        For the first bad feature of the partition.
    """
    first, size = source.partitions[index]
    if source.kind == "raster":
        yield from _raster_cells(source, first, size)
        return
    if source.kind == "parquet":
        batches: Iterator[tuple[gpd.GeoDataFrame, int]] = _parquet_batches(source, first, size)
    else:
        batches = _vector_batches(source, first, size)
    for frame, offset in batches:
        yield validated(frame, source.label, source.weight, offset)


def _parquet_batches(
    source: PopulationFile, group: int, first: int
) -> Iterator[tuple[gpd.GeoDataFrame, int]]:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(source.path)
    column, crs = _parquet_geometry(source.path)
    wanted = [source.weight, column] + (["id"] if "id" in handle.schema_arrow.names else [])
    offset = first
    for batch in handle.iter_batches(
        batch_size=settings.population_batch_rows, row_groups=[group], columns=wanted
    ):
        frame = batch.to_pandas()
        geometry = shapely.from_wkb(frame.pop(column).to_numpy())
        yield gpd.GeoDataFrame(frame, geometry=geometry, crs=crs), offset
        offset += batch.num_rows


def _vector_batches(
    source: PopulationFile, first: int, size: int
) -> Iterator[tuple[gpd.GeoDataFrame, int]]:
    import pyogrio

    frame = pyogrio.read_dataframe(source.path, skip_features=first, max_features=size)
    yield frame, first


def validated(
    frame: gpd.GeoDataFrame, name: str, weight: str, offset: int = 0
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Check a batch of a user's features like a layer; return ``population`` and geometry.

    Raises
    ------
    PopulationError
        One line naming the file, the feature (its ``id``, else its row) and the field, if a
        weight is missing or negative, a geometry is neither a point nor a polygon, points and
        polygons are mixed, or a feature lies outside ``settings.region_bounds``.
    """
    ids = (
        frame["id"].astype(str).to_numpy()
        if "id" in frame.columns
        else np.arange(offset, offset + len(frame)).astype(str)
    )
    if pd.api.types.is_bool_dtype(frame[weight]):  # True would count as one person
        raise _problem(name, ids[0], weight, "holds true/false, not numbers of people")
    values = pd.to_numeric(frame[weight], errors="coerce")
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    refused_at = _first_refused(numbers, missing_allowed=False)
    if refused_at is not None:
        written = str(frame[weight].iloc[refused_at])
        raise _problem(name, ids[refused_at], weight, _refusal(numbers[refused_at], written))
    kinds = frame.geom_type.fillna("none")
    wrong = ~kinds.isin(["Point", "Polygon", "MultiPolygon"]) | frame.geometry.is_empty
    for index in np.flatnonzero(wrong.to_numpy()):
        raise _problem(name, ids[index], "geometry", f"{kinds.iloc[index]}: not a point or polygon")
    # A self-intersecting polygon has no area to share its people by (its overlay is NaN).
    invalid = ~kinds.eq("Point").to_numpy() & ~shapely.is_valid(frame.geometry.values)
    for index in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(frame.geometry.values[index])
        raise _problem(
            name, ids[index], "geometry", f"not a valid polygon ({reason}): repair it first"
        )
    if kinds.eq("Point").any() and not kinds.eq("Point").all():
        raise _problem(name, ids[0], "geometry", MIXED)
    if kinds.eq("Point").all():
        lon, lat = _projected_xy(frame, settings.storage_crs)
        lonlat = pd.DataFrame({"minx": lon, "maxx": lon, "miny": lat, "maxy": lat})
    else:
        lonlat = frame.geometry.to_crs(settings.storage_crs).bounds
    lon_min, lat_min, lon_max, lat_max = settings.region_bounds
    outside = (
        (lonlat["minx"] < lon_min) | (lonlat["maxx"] > lon_max)
        | (lonlat["miny"] < lat_min) | (lonlat["maxy"] > lat_max)
    )  # fmt: skip
    for index in np.flatnonzero(outside.to_numpy()):
        where = lonlat.iloc[index]
        raise _problem(
            name,
            ids[index],
            "geometry",
            f"lies outside the region {settings.region_bounds} (lon {where['minx']:.3f}.."
            f"{where['maxx']:.3f}, lat {where['miny']:.3f}..{where['maxy']:.3f})",
        )
    cells = gpd.GeoDataFrame(
        {"population": values.to_numpy(dtype=float)}, geometry=frame.geometry.values, crs=frame.crs
    )
    return cells, ids


def _raster_cells(
    source: PopulationFile, first_row: int, rows: int
) -> Iterator[tuple[gpd.GeoDataFrame, np.ndarray]]:
    """Yield the cells of a raster window with people, as points at the cells' centres.

    In batches of at most ``settings.population_batch_rows`` cells, as a vector file's features
    are: a dense window (a city) costs no more memory than a sparse one.
    """
    import rasterio
    from rasterio.windows import Window

    first_column, width = source.columns
    with rasterio.open(source.path) as raster:
        band = raster.read(1, window=Window(first_column, first_row, width, rows), masked=True)
        transform, crs = raster.transform, raster.crs
    values = np.ma.filled(band.astype(float), np.nan)
    # NaN is the raster's nodata (filled above).
    refused_at = _first_refused(values.ravel(), missing_allowed=True)
    if refused_at is not None:
        row, column = divmod(refused_at, width)
        value = float(values.ravel()[refused_at])
        raise _problem(
            source.label,
            f"row {first_row + row}, column {first_column + column}",
            "band 1",
            _refusal(value, f"{value:g}", nodata=" (and not the raster's nodata)"),
        )
    row_index, column_index = np.nonzero(values > 0)
    people = values[row_index, column_index]
    del values, band
    size = settings.population_batch_rows
    # A window without people still yields its (empty) batch, as an empty row group does.
    for start in range(0, max(len(people), 1), size):
        rows_in, columns_in = row_index[start : start + size], column_index[start : start + size]
        # The cell centres through the raster's affine transform, written out: affine's ``*``
        # is deprecated and its ``@`` needs affine 3, which rasterio does not require.
        centre_columns = columns_in + first_column + 0.5
        centre_rows = rows_in + first_row + 0.5
        xs = centre_columns * transform.a + centre_rows * transform.b + transform.c
        ys = centre_columns * transform.d + centre_rows * transform.e + transform.f
        cells = gpd.GeoDataFrame(
            {"population": people[start : start + size]},
            geometry=gpd.points_from_xy(xs, ys),
            crs=crs,
        )
        where = [f"row {first_row + row}, column {first_column + column}"
                 for row, column in zip(rows_in[:1], columns_in[:1], strict=True)]  # fmt: skip
        yield cells, np.array(where)


def _first_refused(numbers: np.ndarray, *, missing_allowed: bool) -> int | None:
    """Return the position of the first weight no count can take, else None.

    Refused, in the order they are looked for: a missing weight (unless ``missing_allowed``,
    a raster's nodata), a negative or infinite one (it would pass "not missing, not negative"
    and make every sum infinite), then one over ``settings.max_feature_people``.
    """
    invalid = (numbers < 0) | np.isinf(numbers)
    if not missing_allowed:
        invalid |= np.isnan(numbers)
    for refused in (invalid, numbers > settings.max_feature_people):
        found = np.flatnonzero(refused)
        if len(found):
            return int(found[0])
    return None


def _refusal(number: float, written: str, *, nodata: str = "") -> str:
    """Say why ``_first_refused`` refused a weight (``written`` as the file gives it)."""
    if np.isfinite(number) and number > settings.max_feature_people:
        return (
            f"{number:g} people in one feature, more than settings.max_feature_people "
            f"({settings.max_feature_people:,.0f}, China's 2020 census): a wrong column or unit?"
        )
    return f"{written} is not a finite weight >= 0{nodata}"


def read_population_file(source: PopulationFile, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every feature of a population file, validated and placed in the counties, in memory.

    For a file small enough to hold (``geo.analysis.population.read_population``); the counting
    of ``chengyu coverage`` reads it partition by partition instead (``count_population``).
    """
    metric = counties.crs
    frames: list[gpd.GeoDataFrame] = []
    for index in range(len(source.partitions)):
        for cells, _ in read_partition(source, index):
            frames.append(cells.to_crs(metric))
    cells = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=metric)
    kinds = {_kind(frame) for frame in frames}
    if len(kinds) > 1:
        raise _problem(source.label, "0", "geometry", MIXED)
    chosen = counties[["adcode", "name_zh", "geometry"]]
    if kinds == {"points"}:
        joined = gpd.sjoin(cells, chosen[["adcode", "geometry"]], how="left", predicate="within")
        placed: Any = joined[~joined.index.duplicated()][["adcode", "population", "geometry"]]
    else:
        cells = cells.assign(_km2=cells.area / 1e6)
        pieces = gpd.overlay(cells, chosen, how="intersection", keep_geom_type=True)
        pieces["population"] = pieces["population"] * (pieces.area / 1e6) / pieces["_km2"]
        placed = pieces[["adcode", "name_zh", "population", "geometry"]]
    return gpd.GeoDataFrame(placed.reset_index(drop=True), geometry="geometry", crs=metric)
