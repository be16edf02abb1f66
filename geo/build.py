"""The whole build: layers from their sources to every output under ``out/``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo import settings
from geo.export import write_geopackage, write_geoparquet
from geo.layers import LAYER_NAMES, load_layers
from geo.utils import log

#: Steps reported to ``on_step``: one per layer, then one per output.
BUILD_STEPS: tuple[str, ...] = (*LAYER_NAMES, "geopackage", "geoparquet")


@dataclass
class BuildResult:
    """What a build wrote."""

    geopackage: Path
    parquet: list[Path]
    feature_counts: dict[str, int] = field(default_factory=dict)


def build(
    *,
    out_dir: Path | None = None,
    layers_dir: Path | None = None,
    on_step: Callable[[str], None] | None = None,
) -> BuildResult:
    """Load and validate every layer, then write the GeoPackage and the GeoParquet files.

    Nothing is written unless every layer is valid, and each file is replaced atomically.

    Parameters
    ----------
    out_dir
        Output folder (default ``settings.out_dir``).
    layers_dir
        Folder of the layer sources (default ``settings.layers_dir``).
    on_step
        Called with the name of each step of ``BUILD_STEPS`` once it is done.
    """
    out = Path(out_dir or settings.out_dir)
    layers = load_layers(layers_dir=layers_dir, on_layer=on_step)
    geopackage = write_geopackage(layers, out / settings.geopackage_name)
    if on_step:
        on_step("geopackage")
    parquet = write_geoparquet(layers, out / "parquet")
    if on_step:
        on_step("geoparquet")
    counts = {name: len(frame) for name, frame in layers.items()}
    log(f"build done: {sum(counts.values())} features in {len(counts)} layers → {out}")
    return BuildResult(geopackage=geopackage, parquet=parquet, feature_counts=counts)
