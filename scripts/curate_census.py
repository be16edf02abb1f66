"""Carry the 2020 census figures of Sichuan and Chongqing into ``layers/admin_areas.csv``.

A curation step, not part of the build: it reads the county table of the 7th national census
compiled by Lei Dong et al. (MIT licence), which lies outside the product, and writes the figures
the product needs (adcode, names, resident population, and its urban, rural and core urban parts)
with their source into ``layers/``. The core urban figure (城区人口) is published only for
provinces, prefectures and county-level cities; elsewhere it stays empty. The English names
(``name_en``) are then added by ``romanise_admin_areas.py``, which needs only the written file.

Usage: ``python scripts/curate_census.py [path/to/census_county_2020_v1.xlsx]``
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TABLE = ROOT.parent / "shared" / "data" / "census" / "census_county_2020_v1.xlsx"
SOURCE = (
    "7th national population census (2020), county table compiled by Lei Dong et al., "
    '"Mapping Evolving Population Geography in China" (2022), MIT licence'
)
PROVINCES = {"50": "重庆市", "51": "四川省"}
# Statistical groupings in the census table that are not administrative areas.
GROUPING_NAMES = {"市辖区", "县"}
# Counties renamed since 2020, so that the census figure joins the current boundary.
#: Census columns carried, and their names in the layer.
COLUMNS = {
    "区划代码": "adcode",
    "省": "province",
    "市": "prefecture",
    "区县": "name",
    "人口数_合计": "population",
    "城镇人口": "urban",
    "乡村人口": "rural",
    "城区人口": "core_urban",
}
RENAMED = {"513425": ("会理市", "census 2020 name 会理县; a county-level city since 2021")}


def _rows(table: Path) -> list[dict[str, object]]:
    frame = pd.read_excel(table, dtype=str)
    frame = frame[[*COLUMNS]].rename(columns=COLUMNS)
    frame = frame[frame.adcode.str[:2].isin(PROVINCES)]
    rows: list[dict[str, object]] = []
    for record in frame.itertuples(index=False):
        code = str(record.adcode)
        if record.name in GROUPING_NAMES:
            continue
        if code.endswith("0000"):
            level, parent, prefecture = "province", "", ""
        elif code.endswith("00"):
            level, parent, prefecture = "prefecture", code[:2] + "0000", str(record.prefecture)
        elif str(record.name).endswith("经济开发区"):
            # Development zones are counted apart from their host districts but have no boundary.
            level, parent, prefecture = "zone", code[:4] + "00", str(record.prefecture)
        else:
            level = "county"
            prefecture = "" if code.startswith("50") else str(record.prefecture)
            parent = code[:2] + "0000" if code.startswith("50") else code[:4] + "00"
        name, notes = RENAMED.get(code, (str(record.name), ""))
        rows.append(
            {
                "adcode": code,
                "level": level,
                "name_zh": name,
                "province_zh": record.province,
                "prefecture_zh": prefecture,
                "parent_adcode": parent,
                "population_2020": int(str(record.population)),
                "urban_2020": int(str(record.urban)),
                "rural_2020": int(str(record.rural)),
                "core_urban_2020": _whole_or_empty(record.core_urban),
                "notes": notes,
                "source": SOURCE,
            }
        )
    return sorted(rows, key=lambda row: str(row["adcode"]))


def _whole_or_empty(value: object) -> int | str:
    return "" if pd.isna(value) else int(str(value))


def main(argv: list[str]) -> int:
    table = Path(argv[1]) if len(argv) > 1 else DEFAULT_TABLE
    rows = _rows(table)
    target = ROOT / "layers" / "admin_areas.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} areas to {target}")
    from romanise_admin_areas import romanise_file  # beside this script

    return romanise_file(target)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
