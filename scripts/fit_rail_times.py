"""Fit the rail travel-time model to the published fastest times, and show the calibration.

Loads the layers, grid-searches ``settings.rail_fit_grid`` for the speed factor, start/stop
allowance and stop time that best match ``layers/rail_times.csv`` (see
``geo.networks.rail_network.fit_time_model``), prints the calibration table with the fitted values
and the
lines to paste into ``geo/settings.py``. Re-run it when stations, sections or times change.

Usage: ``python scripts/fit_rail_times.py [--layers DIR] [--markdown]``; ``--markdown`` prints the
table as ``docs/reach.md`` holds it between its ``calibration-table`` markers (a test compares
them, so the docs cannot fall behind the data).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.networks.rail_network import calibration_markdown, calibration_table, fit_time_model
from geo.sources.layers import load_layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=Path, default=None, help="folder of the layer sources")
    parser.add_argument("--markdown", action="store_true", help="print the docs' table")
    arguments = parser.parse_args()
    layers = load_layers(["rail_stations", "rail_lines", "rail_times"], layers_dir=arguments.layers)
    model = fit_time_model(layers)
    table = calibration_table(layers, model=model)
    if arguments.markdown:
        print(calibration_markdown(table), end="")
        return
    columns = ["id", "from", "to", "train", "stops", "published_min", "modelled_min",
               "all_stops_min", "error_pct", "within_tolerance"]  # fmt: skip
    print(table[columns].to_string(index=False))
    print()
    print(f"rail_speed_factor: float = {model.speed_factor}")
    print(f"rail_start_stop_s: float = {model.start_stop_s}")
    print(f"rail_stop_s: float = {model.stop_s}")


if __name__ == "__main__":
    main()
