"""The ``stations`` layer: one point per physical station, with the lines that call there.

``rail_stations`` has one feature per line stop, so an interchange such as 万州北 is three
points on one spot; a GIS user draws and counts it once from this layer.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.sources._schema import STATION_STATUSES
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
    rank = {status: index for index, status in enumerate(STATION_STATUSES)}
    # Plain records grouped by hand: a pandas sort per station took most of a second.
    records = stops.drop(columns="geometry").to_dict("records")
    geometries = list(stops.geometry)
    opened_dates = list(pd.to_datetime(stops["opened"], errors="coerce"))
    by_station: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_station.setdefault(record["station_id"], []).append(index)
    rows = []
    for station_id in sorted(by_station):
        group = by_station[station_id]
        # The first stop of the most open status, and the first of the most precise position.
        most_open = records[
            min(group, key=lambda i: (rank.get(records[i]["status"], len(rank)), i))
        ]
        located = min(group, key=lambda i: (records[i]["precision_m"], i))
        line_ids = list(dict.fromkeys(str(records[i]["line_id"]) for i in group))
        opened = [opened_dates[i] for i in group if not pd.isna(opened_dates[i])]
        sources = dict.fromkeys(
            part.strip() for i in group for part in str(records[i]["source"]).split(";")
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
                "opened": min(opened).date().isoformat() if opened else None,
                "precision_m": int(records[located]["precision_m"]),
                "position_basis": records[located]["position_basis"],
                "method": STATIONS_METHOD,
                "source": "; ".join(part for part in sources if part),
                "geometry": geometries[located],
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=stops.crs)
    interchanges = int((frame["n_lines"] > 1).sum()) if len(frame) else 0
    log(f"stations: {len(frame)} physical stations from {len(stops)} stops, {interchanges} shared")
    return frame
