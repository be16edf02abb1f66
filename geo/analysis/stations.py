"""The ``stations`` layer: one point per physical station, with the lines that call there.

``rail_stations`` has one feature per line stop, so an interchange such as 万州北 is three
points on one spot; a GIS user draws and counts it once from this layer.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.sources._schema import STATUSES
from geo.utils import log

#: How the layer is made (its ``method`` field).
STATIONS_METHOD = (
    "one point per station_id of rail_stations: the position of its most precise stop "
    "(stops of one station share a position), the most open status of the lines calling"
)


def physical_stations(
    stops: gpd.GeoDataFrame, lines: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Return one point per ``station_id`` of ``stops`` (the ``rail_stations`` layer).

    Parameters
    ----------
    stops
        ``rail_stations``: one feature per line stop.
    lines
        ``rail_lines``, for the Chinese names of the lines (``lines_zh``); without it the
        line ids stand in.

    Returns
    -------
    geopandas.GeoDataFrame
        Fields of ``geo.sources._schema.STATIONS``, sorted by ``station_id``.
    """
    names: dict[str, str] = {}
    if lines is not None and len(lines):
        names = {
            str(row.line_id): str(row.name_zh)
            for row in lines.drop_duplicates("line_id").itertuples()
        }
    rank = {status: index for index, status in enumerate(STATUSES)}
    rows = []
    for station_id, group in stops.groupby("station_id", sort=True):
        ordered = group.assign(
            _rank=group["status"].map(rank).fillna(len(rank)), _order=range(len(group))
        )
        most_open = ordered.sort_values(["_rank", "_order"]).iloc[0]
        located = ordered.sort_values(["precision_m", "_order"]).iloc[0]
        line_ids = list(dict.fromkeys(str(value) for value in group["line_id"]))
        opened = pd.to_datetime(group["opened"], errors="coerce").dropna()
        sources = dict.fromkeys(
            part.strip() for value in group["source"] for part in str(value).split(";")
        )
        rows.append(
            {
                "station_id": str(station_id),
                "name_zh": most_open["name_zh"],
                "name_en": most_open["name_en"],
                "lines": ";".join(line_ids),
                "lines_zh": "；".join(names.get(line, line) for line in line_ids),
                "n_lines": len(line_ids),
                "status": most_open["status"],
                "opened": opened.min().date().isoformat() if len(opened) else None,
                "precision_m": int(located["precision_m"]),
                "position_basis": located["position_basis"],
                "method": STATIONS_METHOD,
                "source": "; ".join(part for part in sources if part),
                "geometry": located.geometry,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=stops.crs)
    interchanges = int((frame["n_lines"] > 1).sum()) if len(frame) else 0
    log(f"stations: {len(frame)} physical stations from {len(stops)} stops, {interchanges} shared")
    return frame
