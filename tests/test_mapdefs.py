"""Map definitions: each mistake in a hand-edited maps/*.toml is one clear error."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pandas as pd
import pytest

from geo import settings
from geo.errors import MapDefinitionError
from geo.outputs.webmap import write_maps
from geo.sources.mapdefs import load_map_definitions

_MAP = """name = "{name}"
title_zh = "机场"
title_en = "Airports"
{top}
[[layers]]
layer = "airports"
label_zh = "机场"
label_en = "Airports"
{group}
"""


def _write(folder: Path, file: str = "m.toml", *, name: str = "m", top: str = "", group: str = ""):
    path = folder / file
    path.write_text(_MAP.format(name=name, top=top, group=group), encoding="utf-8")
    return path


def _problems(folder: Path, **layers: pd.DataFrame) -> str:
    with pytest.raises(MapDefinitionError) as error:
        load_map_definitions(folder, layers=layers or None)
    return str(error.value)


def test_the_project_maps_are_valid():
    names = [definition.name for definition in load_map_definitions()]
    assert names == ["corridor", "coverage", "overview", "reach"]


def test_a_valid_definition_is_read_with_its_types(tmp_path):
    group = 'searchable = true\nwhere = { status = ["operating"] }'
    _write(tmp_path, top="timeline = true", group=group)
    (definition,) = load_map_definitions(tmp_path)
    assert definition.timeline is True and definition.layers[0].searchable is True
    assert definition.layers[0].where == {"status": ["operating"]}


@pytest.mark.parametrize(
    ("top", "group", "expected"),
    [
        ("", 'searchable = "no"', r"group 1 \(airports\): key 'searchable' must be true or false"),
        ("", "show = 1", r"key 'show' must be true or false, not 1"),
        ("timeline = 'yes'", "", r"map 'm': key 'timeline' must be true or false"),
        ("colour = 'red'", "", r"map 'm': unknown key 'colour'"),
        ("", "serchable = true", r"group 1 \(airports\): unknown key 'serchable'"),
        (
            "",
            'where = { stauts = ["operating"] }',
            r"'where.stauts': layer 'airports' has no field",
        ),
        (
            "",
            'where = { status = ["operatng"] }',
            r"'where.status': unknown value\(s\) \[.operatng.\]",
        ),
        ("", 'where = { status = "operating" }', r"'where.status': must be a non-empty list of"),
        (
            'requires = ["coverag"]',
            "",
            r"map 'm': key 'requires': unknown layer\(s\) \['coverag'\]",
        ),
        ('fit = ["rail_lines"]', "", r"key 'fit': layer\(s\) \['rail_lines'\] not drawn"),
        ('fit = "airports"', "", r"key 'fit' must be a list of strings"),
    ],
)
def test_each_mistake_names_the_file_the_map_the_group_and_the_key(tmp_path, top, group, expected):
    _write(tmp_path, top=top, group=group)
    message = _problems(tmp_path)
    assert message.startswith("m.toml: ") and "\n" not in message
    assert re.search(expected, message), message


def test_a_label_must_be_text(tmp_path):
    _write(tmp_path).write_text(
        _MAP.format(name="m", top="", group="").replace('label_en = "Airports"', "label_en = 3"),
        encoding="utf-8",
    )
    assert "group 1 (airports): key 'label_en' must be a non-empty string" in _problems(tmp_path)


def test_a_missing_key_and_an_unknown_layer_are_named(tmp_path):
    (tmp_path / "m.toml").write_text(
        'name = "m"\ntitle_zh = "图"\n[[layers]]\nlayer = "railways"\nlabel_zh = "铁"\n',
        encoding="utf-8",
    )
    message = _problems(tmp_path)
    assert "m.toml: map 'm': key 'title_en' is missing" in message
    assert "m.toml: map 'm', group 1 (railways): key 'label_en' is missing" in message


def test_an_unknown_layer_is_named(tmp_path):
    _write(tmp_path).write_text(
        _MAP.format(name="m", top="", group="").replace('"airports"', '"railways"'),
        encoding="utf-8",
    )
    assert "group 1 (railways): key 'layer': unknown layer 'railways'" in _problems(tmp_path)


def test_a_where_value_absent_from_the_data_is_refused_once_the_layers_are_known(tmp_path):
    _write(tmp_path, group='where = { iata = ["CTU", "XYZ"] }')
    airports = pd.DataFrame({"iata": ["CTU", "CKG", None]})
    assert "unknown value(s) ['XYZ']" in _problems(tmp_path, airports=airports)
    assert load_map_definitions(tmp_path)  # without the data, any value of a free field goes
    assert load_map_definitions(tmp_path, layers={"airports": pd.DataFrame({"id": []})})


def test_two_maps_of_one_name_are_refused(tmp_path):
    _write(tmp_path, "a.toml")
    _write(tmp_path, "b.toml")
    assert "b.toml: map 'm': key 'name' is also used by a.toml" in _problems(tmp_path)


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", "x.html", "", "名字"])
def test_a_name_must_be_a_plain_file_stem(tmp_path, name):
    _write(tmp_path, name=name)
    assert "key 'name'" in _problems(tmp_path)


def test_a_bad_name_writes_nothing_outside_out(tmp_path):
    maps = tmp_path / "maps"
    maps.mkdir()
    _write(maps, name="../../escaped")
    with pytest.raises(MapDefinitionError, match="plain file stem"):
        write_maps({"airports": pd.DataFrame()}, out_dir=tmp_path / "a" / "out", maps_dir=maps)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["m.toml", "maps"]


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "m.toml").write_text('name = "m\n', encoding="utf-8")
    assert _problems(tmp_path).startswith("m.toml: not valid TOML")


def test_every_problem_of_every_file_is_listed(tmp_path):
    _write(tmp_path, "a.toml", name="a", group='searchable = "no"')
    _write(tmp_path, "b.toml", name="b", top="extra = 1")
    message = _problems(tmp_path)
    assert "a.toml: map 'a', group 1" in message and "b.toml: map 'b': unknown key" in message


def test_a_definition_with_a_byte_order_mark_reads_like_one_without(tmp_path):
    source = (Path(settings.maps_dir) / "overview.toml").read_bytes()
    (tmp_path / "overview.toml").write_bytes(codecs.BOM_UTF8 + source)
    (with_bom,) = load_map_definitions(tmp_path)
    (plain,) = [d for d in load_map_definitions() if d.name == "overview"]
    assert with_bom == plain


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\u2028", "\x85"])
@pytest.mark.parametrize("key", ["title_en", "label_zh"])
def test_a_control_character_in_a_title_or_label_is_refused_as_in_the_csvs(
    tmp_path, key, character
):
    text = _MAP.format(name="m", top="", group="")
    escaped = f"\\u{ord(character):04X}"  # TOML strings take any character as \uXXXX
    old = 'title_en = "Airports"' if key == "title_en" else 'label_zh = "机场"'
    _write(tmp_path).write_text(text.replace(old, old[:-1] + escaped + '"'), encoding="utf-8")
    message = _problems(tmp_path)
    assert len(message.splitlines()) == 1, message
    assert "m.toml: map 'm'" in message and f"key {key!r} holds the control character" in message
    assert f"U+{ord(character):04X}" in message
