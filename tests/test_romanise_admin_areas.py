"""English names of the admin areas (scripts/romanise_admin_areas.py): pinyin by pypinyin, the
readings it gets wrong overridden by the exceptions table, checked against GeoNames."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from geo import settings

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "romanise_admin_areas.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("romanise_admin_areas", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


romanise = _load_script()

#: Names whose readings plain pinyin gets wrong or might (heteronyms), and the conventions.
KNOWN = {
    "500000": "Chongqing",
    "510000": "Sichuan",
    "500101": "Wanzhou District",
    "500115": "Changshou District",
    "511100": "Leshan City",
    "512022": "Lezhi County",
    "511123": "Qianwei County",
    "511527": "Junlian County",
    "510682": "Shifang City",
    "511381": "Langzhong City",
    "510117": "Pidu District",
    "500110": "Qijiang District",
    "500102": "Fuling District",
    "510921": "Pengxi County",
    "511524": "Changning County",
    "511822": "Yingjing County",
    "500230": "Fengdu County",
    "510114": "Xindu District",
    "510100": "Chengdu City",
    "510181": "Dujiangyan City",
    "510185": "Jianyang City",
    "500233": "Zhong County",
    "511600": "Guang'an City",
    "513201": "Ma'erkang City",
    "500240": "Shizhu Tujia Autonomous County",
    "500241": "Xiushan Tujia and Miao Autonomous County",
    "500243": "Pengshui Miao and Tujia Autonomous County",
    "510726": "Beichuan Qiang Autonomous County",
    "511132": "Ebian Yi Autonomous County",
    "513422": "Muli Tibetan Autonomous County",
    "513200": "Aba Tibetan and Qiang Autonomous Prefecture",
    "513400": "Liangshan Yi Autonomous Prefecture",
    "511071": "Neijiang Economic Development Zone",
}


def _csv_rows() -> list[dict[str, str]]:
    path = Path(settings.layers_dir) / "admin_areas.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def towns() -> list[dict[str, Any]]:
    return romanise.geonames_towns()


@pytest.fixture(scope="module")
def curated(towns) -> tuple[list[dict[str, str]], dict[str, Any]]:
    return romanise.romanise(_csv_rows(), towns=towns)


def test_every_area_has_an_ascii_english_name():
    rows = _csv_rows()
    assert len(rows) == 247
    for row in rows:
        assert row["name_en"].strip() and row["name_en"].isascii(), row["adcode"]
        assert row["name_en_source"].startswith(("pypinyin;", "exception:")), row["adcode"]


@pytest.mark.parametrize(("adcode", "expected"), KNOWN.items())
def test_heteronyms_and_conventions_come_out_right(adcode, expected):
    row = next(row for row in _csv_rows() if row["adcode"] == adcode)
    assert row["name_en"] == expected
    assert romanise.english_name(row["name_zh"])[0] == expected


def test_the_csv_holds_what_the_curation_produces(curated):
    named, _checks = curated
    rows = {row["adcode"]: row for row in _csv_rows()}
    assert len(named) == len(rows)
    for row in named:
        written = rows[row["adcode"]]
        assert (written["name_en"], written["name_en_source"]) == (
            row["name_en"],
            row["name_en_source"],
        ), f"{row['adcode']}: run python scripts/romanise_admin_areas.py"


def test_geonames_contradicts_no_reading_and_agrees_with_the_exceptions(curated):
    named, checks = curated
    statuses = [check.status for check in checks.values()]
    assert statuses.count("differs") == 0
    assert statuses.count("agrees") == 80
    # GeoNames spells 筠连 Junlian and 长宁 Changning, as the exceptions do.
    assert checks["511527"].status == "agrees" and checks["511527"].towns == ("Junlian",)
    assert checks["511524"].status == "agrees" and checks["511524"].towns == ("Changning",)
    assert checks["510114"].overruled == ("Xindou",)
    sources = {row["adcode"]: row["name_en_source"] for row in named}
    assert "GeoNames Junlian agrees" in sources["511527"]


def test_without_an_exception_geonames_finds_the_wrong_reading(towns, monkeypatch):
    monkeypatch.delitem(romanise.EXCEPTIONS, "筠连")
    monkeypatch.delitem(romanise.EXCEPTIONS, "新都")
    assert romanise.english_name("筠连县")[0] == "Yunlian County"  # pypinyin's reading
    check = romanise.geonames_check("筠连县", "Yunlian", towns)
    assert check.status == "differs" and check.towns == ("Junlian",)
    # 都 read dou: GeoNames has both spellings of 新都; its Xindu contradicts ours.
    assert romanise.geonames_check("新都区", "Xindou", towns).status == "differs"
    monkeypatch.delitem(romanise.GEONAMES_OVERRULED, ("新都", "Xindou"))
    assert romanise.geonames_check("新都区", "Xindu", towns).status == "differs"


def test_every_exception_is_needed_and_says_why():
    for proper, (word, reason) in romanise.EXCEPTIONS.items():
        assert word != romanise.pinyin_word(proper), f"{proper}: pypinyin already reads {word}"
        assert word.isascii() and romanise.fold(word) in romanise.readings(proper), proper
        assert any(char in reason for char in proper), f"{proper}: say which character"


def test_a_name_without_a_known_generic_or_ethnic_group_is_refused():
    with pytest.raises(ValueError, match="no known generic"):
        romanise.english_name("成都")
    with pytest.raises(ValueError, match="ethnic group"):
        romanise.english_name("某某自治县")


def test_the_file_is_rewritten_with_the_names_where_they_belong(tmp_path, towns, capsys):
    rows = _csv_rows()
    names = [name for name in rows[0] if name not in ("name_en", "name_en_source")]
    path = tmp_path / "admin_areas.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        writer.writerows({name: row[name] for name in names} for row in rows)
    assert romanise.romanise_file(path, check_only=True, towns=towns) == 1  # no names yet
    assert romanise.romanise_file(path, towns=towns) == 0
    assert path.read_text(encoding="utf-8") == (
        Path(settings.layers_dir) / "admin_areas.csv"
    ).read_text(encoding="utf-8")
    assert romanise.romanise_file(path, check_only=True, towns=towns) == 0
    assert "80 agree, 0 differ" in capsys.readouterr().out
