"""Print the tables of docs/coverage.md: people within reach, areal weighting beside dasymetric.

Counts the people within 5, 10 and 30 km of each line's stations (and of all lines), today and
after the lines under construction open, by both methods of ``chengyu coverage --population``,
and the people within a 30- and 60-minute drive of a station. Prints Markdown to paste into
docs/coverage.md (and the README's summary), so that the figures can be measured again
whenever the stations or the census move.

Usage: ``python scripts/coverage_table.py``
"""

from __future__ import annotations

import sys

METHODS = ("areal", "dasymetric")


def _people(value: float) -> str:
    return f"{value / 1e6:.2f} M"


def main() -> int:
    from geo.analysis.coverage import ALL_LINES, coverage
    from geo.analysis.population import for_access
    from geo.analysis.road_access import drive_areas
    from geo.sources.layers import load_layers

    layers = load_layers(["rail_stations", "rail_lines", "admin_areas"])
    tables = {method: coverage(layers, population=method)[0] for method in METHODS}
    keyed = {
        method: table.set_index(["line_id", "radius_km", "scenario"])["people"]
        for method, table in tables.items()
    }
    names = tables["areal"].drop_duplicates("line_id").set_index("line_id")
    print(
        "| line | km | today areal | today dasymetric | after areal | after dasymetric "
        "| gain areal | gain dasymetric |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    lines = [ALL_LINES, *sorted(set(names.index) - {ALL_LINES})]
    for line_id in lines:
        label = f"{names.loc[line_id, 'line_name_zh']} {names.loc[line_id, 'line_name_en']}"
        for radius in sorted(tables["areal"]["radius_km"].unique()):
            cells = []
            for scenario in ("today", "after"):
                cells += [_people(keyed[m][(line_id, radius, scenario)]) for m in METHODS]
            gains = [
                keyed[m][(line_id, radius, "after")] - keyed[m][(line_id, radius, "today")]
                for m in METHODS
            ]
            cells += [f"{gain / 1e6:+.2f} M" for gain in gains]
            print(f"| {label} | {radius:g} | " + " | ".join(cells) + " |")
    print()
    admin = layers["admin_areas"]
    access = {
        method: drive_areas(layers["rail_stations"], population=for_access(admin, method))
        for method in METHODS
    }
    print(
        "| drive to a station | today areal | today dasymetric | after areal | after dasymetric |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for minutes in sorted(access["areal"]["minutes"].unique()):
        cells = []
        for scenario in ("today", "after"):
            for method in METHODS:
                frame = access[method]
                row = frame[(frame["minutes"] == minutes) & (frame["scenario"] == scenario)]
                cells.append(_people(float(row["people"].iloc[0])))
        print(f"| {minutes:g} min | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
