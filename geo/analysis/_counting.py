"""Counting weighted points inside catchments: prepared, vectorised, in one process or on Dask.

The point counting behind ``geo.analysis.coverage`` (which re-exports the public functions here):
each
dissolved catchment is prepared once and tested against every cell's coordinates in one
vectorised call, per group of cells with one ``bincount``, optionally partition by partition on a
Dask cluster; and ``population_cells``, a stand-in population grid for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._geodesy import metric_crs
from geo.errors import ChengyuError
from geo.utils import log


def covered_weights(
    cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, weight: str = "population"
) -> np.ndarray:
    """Sum the weights of point cells inside each catchment, vectorised over all cells.

    Each dissolved catchment is prepared once (GEOS builds an index of its edges for
    point-in-polygon tests), then tested against every cell's coordinates in one vectorised call.

    Parameters
    ----------
    cells
        Points with a numeric ``weight`` column (a population grid), in any CRS.
    areas
        Catchments (dissolved polygons); the answer has one value per row.
    weight
        Name of the weight column.

    Returns
    -------
    ndarray
        The covered weight per catchment, in the order of ``areas``.
    """
    codes = np.zeros(len(cells), dtype=np.int64)
    return _covered_matrix(cells, areas, weight=weight, codes=codes, groups=1)[:, 0]


def covered_by(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    by: str = "adcode",
    weight: str = "population",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Return the weight of the cells inside each catchment, per group of cells (e.g. per county).

    The same prepared, vectorised pass as ``covered_weights``; each catchment's covered cells
    are summed per group with one ``bincount``.

    Parameters
    ----------
    cells
        Points with a numeric ``weight`` column and a ``by`` column.
    areas
        Catchments (dissolved polygons).
    by
        Column of ``cells`` that groups them (cells without a value are not counted).
    weight
        Name of the weight column.
    scheduler
        ``None`` to count in this process; ``"local"`` for a Dask ``LocalCluster`` on this
        machine, or the address of a Dask scheduler: the cells are counted in partitions there
        (``covered_weights_dask``), with the same answer.

    Returns
    -------
    DataFrame
        One row per catchment (the index of ``areas``), one column per group.
    """
    known = cells[cells[by].notna()]
    codes, groups = pd.factorize(known[by], sort=True)
    coded = known[[weight, "geometry"]].assign(_group=codes)
    if scheduler is None:
        matrix = _covered_matrix(coded, areas, weight=weight, codes=codes, groups=len(groups))
    else:
        matrix = _on_cluster(coded, areas, weight=weight, groups=len(groups), scheduler=scheduler)
    return pd.DataFrame(matrix, index=areas.index, columns=pd.Index(groups, name=by))


def _covered_matrix(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    weight: str,
    codes: np.ndarray,
    groups: int,
) -> np.ndarray:
    geometry = cells.geometry if cells.crs == areas.crs else cells.geometry.to_crs(areas.crs)
    xs, ys = shapely.get_x(geometry.values), shapely.get_y(geometry.values)
    values = cells[weight].to_numpy(dtype=float)
    return counted_xy(xs, ys, values, codes, groups, areas.geometry.values)


def counted_xy(
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    codes: np.ndarray,
    groups: int,
    areas: Sequence[shapely.Geometry] | np.ndarray,
) -> np.ndarray:
    """Sum ``values`` at (``xs``, ``ys``) inside each area, per group ``codes`` (0 … groups-1).

    Returns
    -------
    ndarray
        (areas, groups): the covered weight of each group in each area.
    """
    sums = np.zeros((len(areas), groups))
    for index, area in enumerate(areas):
        if area is None or area.is_empty:
            continue
        # A bounding-box cut first: a catchment covers a small part of the region.
        min_x, min_y, max_x, max_y = area.bounds
        near = np.flatnonzero((xs >= min_x) & (xs <= max_x) & (ys >= min_y) & (ys <= max_y))
        shapely.prepare(area)
        inside = near[shapely.contains_xy(area, xs[near], ys[near])]
        sums[index] = np.bincount(codes[inside], weights=values[inside], minlength=groups)
    return sums


def _grouped_part(
    part: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, weight: str, groups: int
) -> np.ndarray:
    codes = part["_group"].to_numpy(dtype=np.int64)
    return _covered_matrix(part, areas, weight=weight, codes=codes, groups=groups)


def _on_cluster(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    weight: str,
    groups: int,
    scheduler: str,
) -> np.ndarray:
    log(f"counting {len(cells):,} cells on the Dask scheduler {scheduler}")
    with cluster_client(scheduler):
        return covered_weights_dask(cells, areas, weight=weight, groups=groups)


@contextmanager
def cluster_client(scheduler: str) -> Iterator[Any]:
    """Connect to ``scheduler`` and yield its Dask ``Client`` (``"local"``: a ``LocalCluster``).

    Raises
    ------
    ChengyuError
        One line naming ``--scheduler`` if the address is no Dask scheduler or none answers.
    """
    from distributed import Client, LocalCluster

    if scheduler == "local":
        # distributed is untyped: its calls are checked by the tests on a LocalCluster.
        cluster = LocalCluster(processes=True, dashboard_address=None)  # type: ignore[no-untyped-call]
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    check_scheduler(scheduler, connect=True)
    try:
        connected = Client(  # type: ignore[no-untyped-call]
            scheduler, timeout=settings.dask_connect_timeout_s
        )
    except Exception as error:  # whatever distributed raises, one line naming the option
        raise ChengyuError(
            f"--scheduler {scheduler}: no Dask scheduler answered within "
            f"{settings.dask_connect_timeout_s:g} s ({type(error).__name__})"
        ) from None
    with connected:
        yield connected


def check_scheduler(scheduler: str | None, *, connect: bool = False) -> None:
    """Refuse a ``--scheduler`` that is neither ``local`` nor a Dask scheduler, in one line.

    Parameters
    ----------
    scheduler
        ``None``, ``"local"`` or a scheduler's address (``tcp://host:8786``).
    connect
        Also ask the address who it is (within ``settings.dask_connect_timeout_s``): a server
        that answers but is no Dask scheduler (a web or SSH server) is refused before the
        cells are sent to it.

    Raises
    ------
    ChengyuError
        Naming the option, the address and what is wrong with it.
    """
    if scheduler is None or scheduler == "local":
        return
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(scheduler)
    except (ValueError, TypeError) as error:
        raise ChengyuError(f"--scheduler {scheduler}: not an address ({error})") from None
    if scheme not in backends or not location:
        raise ChengyuError(
            f"--scheduler {scheduler}: not 'local' nor a Dask scheduler's address such as "
            f"tcp://host:8786 (schemes: {', '.join(sorted(backends))})"
        )
    if not connect:
        return
    timeout = settings.dask_connect_timeout_s
    try:
        identity = asyncio.run(asyncio.wait_for(_identity(scheduler, timeout), timeout))
    except (OSError, TimeoutError) as error:  # refused, unreachable, silent
        raise ChengyuError(
            f"--scheduler {scheduler}: no Dask scheduler answered within {timeout:g} s "
            f"({type(error).__name__})"
        ) from None
    except Exception as error:  # bytes that are not Dask's: a frame of 3 EiB, a bad message
        raise ChengyuError(
            f"--scheduler {scheduler}: answers, but is not a Dask scheduler "
            f"({type(error).__name__})"
        ) from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise ChengyuError(f"--scheduler {scheduler}: answers, but is not a Dask scheduler")


async def _identity(address: str, timeout: float) -> Any:
    from distributed.core import rpc

    scheduler = rpc(address, timeout=timeout)  # type: ignore[no-untyped-call]
    try:
        return await scheduler.identity()
    finally:
        await scheduler.close_rpc()  # type: ignore[no-untyped-call]


def covered_weights_dask(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    weight: str = "population",
    npartitions: int = 8,
    groups: int | None = None,
) -> np.ndarray:
    """Run ``covered_weights`` on a Dask cluster, partition by partition.

    The cells are split into partitions, each counted with the same indexed pass, and the
    partial sums added.

    Uses the active ``distributed`` client if there is one (e.g. a ``LocalCluster``), otherwise
    Dask's default scheduler. With ``groups``, the cells carry a ``_group`` code column and the
    answer is the (catchment, group) matrix of ``covered_by``.
    """
    import dask_geopandas
    from dask.base import compute
    from dask.delayed import delayed

    columns = cells[[weight, "geometry"] + (["_group"] if groups is not None else [])]
    partitioned = dask_geopandas.from_geopandas(columns, npartitions=npartitions)
    if groups is None:
        parts = [
            delayed(covered_weights)(part, areas, weight=weight)
            for part in partitioned.to_delayed()
        ]
    else:
        parts = [
            delayed(_grouped_part)(part, areas, weight, groups) for part in partitioned.to_delayed()
        ]
    total: np.ndarray = np.sum(compute(*parts), axis=0)  # type: ignore[no-untyped-call]
    return total


def population_cells(
    counties: gpd.GeoDataFrame, *, total_cells: int, seed: int = 2020
) -> gpd.GeoDataFrame:
    """Weighted points spread uniformly inside each county, carrying its census population.

    Each county gets cells in proportion to its area (at least one); their weights add up to the
    county's 2020 population. A stand-in for a population grid, for tests and benchmarks.
    """
    generator = np.random.default_rng(seed)
    chosen = counties[(counties["level"] == "county") & counties.geometry.notna()]
    projected = chosen.to_crs(metric_crs(chosen))
    areas = projected.area.to_numpy()
    counts = np.maximum(1, np.round(total_cells * areas / areas.sum()).astype(int))
    frames = []
    for (_, county), count in zip(projected.iterrows(), counts, strict=True):
        points = _sample_inside(county.geometry, int(count), generator)
        frames.append(
            pd.DataFrame(
                {
                    "adcode": county["adcode"],
                    "population": county["population_2020"] / count,
                    "x": shapely.get_x(points),
                    "y": shapely.get_y(points),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(
        table[["adcode", "population"]],
        geometry=gpd.points_from_xy(table["x"], table["y"]),
        crs=projected.crs,
    )


def _sample_inside(
    polygon: shapely.Geometry, count: int, generator: np.random.Generator
) -> np.ndarray:
    shapely.prepare(polygon)
    min_x, min_y, max_x, max_y = polygon.bounds
    kept: list[np.ndarray] = []
    found = 0
    while found < count:
        batch = max(64, int((count - found) * 2.5))
        xs = generator.uniform(min_x, max_x, batch)
        ys = generator.uniform(min_y, max_y, batch)
        inside = shapely.contains_xy(polygon, xs, ys)
        points = shapely.points(xs[inside], ys[inside])
        kept.append(points)
        found += len(points)
    return np.concatenate(kept)[:count]
