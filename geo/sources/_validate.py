"""Parse a layer source row by row and report every problem with file, feature and field."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geo import settings
from geo.errors import Problem
from geo.sources._schema import FieldSpec, LayerSpec

Record = dict[str, Any]
Bounds = tuple[float, float, float, float]

#: Key of the physical line number in the rows ``read_rows`` returns (not a column).
LINE_KEY = "(line)"

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
# ASCII: ``\d`` alone would also take full-width and other scripts' digits.
_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$", re.ASCII)
_DATE_OR_YEAR = re.compile(r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?)?$", re.ASCII)
#: Numbers as a CSV writes them: ASCII digits, a sign, a point, an exponent. Python's ``int``
#: and ``float`` also take ``1_04.5`` and full-width digits (１０４.５): refused, not guessed.
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_WAYPOINT = re.compile(r"^(?P<name>[^()]+?)\s*\(\s*(?P<lon>-?[0-9.]+)\s+(?P<lat>-?[0-9.]+)\s*\)$")


def read_rows(path: Path, spec: LayerSpec) -> tuple[list[dict[str, str]], list[Problem]]:
    """Read a layer's CSV strictly and check its header against the spec.

    Every physical line must be one record with as many values as the header: a quote left
    open (which would swallow the following lines into one field) or a row with more or fewer
    values is a problem naming its line, never a lost row. A UTF-8 byte order mark (as Excel
    writes) is accepted; a file in another encoding is one problem naming the encoding. Lines
    that hold nothing (blank, or separators only) are skipped, as is a column with no name
    that holds nothing (a trailing separator), and spaces around a column's name; a column
    named twice, a line repeating the header or a value under a nameless column is a problem.
    A header with a problem is reported alone, not again in every row.

    Parameters
    ----------
    path
        The CSV file.
    spec
        What the layer must hold.

    Returns
    -------
    rows, problems
        The rows as text, and every problem of the file's form: its encoding, a line that is
        not one record of the header's width, a missing or unknown column.
    """
    text, problem = _decode(path)
    if problem is not None:
        return [], [problem]
    records: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    first_line = 1
    try:
        for values in reader:
            records.append((first_line, values))
            if reader.line_num != first_line:
                problems.append(
                    Problem(
                        path.name,
                        f"line {first_line}",
                        "(row)",
                        f"one record runs over lines {first_line}–{reader.line_num}: "
                        "a quote is not closed, or a field holds a line break",
                    )
                )
            first_line = reader.line_num + 1
    except csv.Error as error:
        problems.append(_csv_error(path.name, text, records, first_line, error))
    if not records:
        return [], [Problem(path.name, "(header)", "(all)", "the file is empty")]
    header = [name.strip() for name in records[0][1]]  # "id, name_zh" names name_zh
    # A column named twice (which of the two is a row's value?) or missing (every row would be
    # told so again): the header's problems alone.
    header_problems = _header_problems(path.name, header, spec)
    if header_problems:
        return [], problems + header_problems
    unnamed = [index for index, name in enumerate(header) if not name]
    rows = []
    for line, values in records[1:]:
        if not any(value.strip() for value in values):
            continue  # a blank line, or one of separators only (as a spreadsheet leaves)
        if [value.strip() for value in values] == header:
            problems.append(
                Problem(path.name, f"line {line}", "(row)", "repeats the header: delete the line")
            )
            continue
        if len(values) != len(header):
            problems.append(
                Problem(
                    path.name,
                    f"line {line}",
                    "(row)",
                    f"{len(values)} values for {len(header)} columns",
                )
            )
            continue
        filled = [index + 1 for index in unnamed if values[index].strip()]
        if filled:
            problems.append(
                Problem(
                    path.name,
                    f"line {line}",
                    f"(column {filled[0]})",
                    "holds a value in a column whose header has no name",
                )
            )
            continue
        named = {name: value for name, value in zip(header, values, strict=True) if name}
        left_out = {field.name: "" for field in spec.fields if field.may_be_left_out}
        rows.append({**left_out, **named, LINE_KEY: str(line)})
    return rows, problems


def _header_problems(file: str, header: list[str], spec: LayerSpec) -> list[Problem]:
    """Return a problem for each column missing, not of the layer, or named twice."""
    problems = [
        Problem(file, "(header)", field.name, "column is missing")
        for field in spec.fields
        if field.name not in header and not field.may_be_left_out
    ]
    problems += [
        Problem(file, "(header)", name, "column is not part of the layer")
        for name in dict.fromkeys(header)
        if name and name not in spec.field_names
    ]
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if name and name in seen:
            problems.append(
                Problem(
                    file,
                    "(header)",
                    name,
                    f"column is named twice (columns {seen[name]} and {number}): keep one",
                )
            )
        seen.setdefault(name, number)
    return problems


def _decode(path: Path) -> tuple[str, Problem | None]:
    """Return the file's text as UTF-8 (with or without a byte order mark), or the problem."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", Problem(
            path.name, "(file)", "(all)", "is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel)"
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return "", Problem(
            path.name,
            f"line {line}",
            "(all)",
            f"is not UTF-8 (byte {data[error.start]:#04x} at offset {error.start}; "
            "GBK, Latin-1 or another encoding?): save it as UTF-8",
        )


def parse_rows(
    rows: Iterable[dict[str, str]], spec: LayerSpec, *, file: str
) -> tuple[list[Record], list[Problem]]:
    """Turn text rows into typed records, collecting every problem.

    Parameters
    ----------
    rows
        Rows as read from the CSV.
    spec
        What the layer must hold.
    file
        File name used in the problems.

    Returns
    -------
    records, problems
        One record per row (empty optional fields become ``None``) and every problem found.
    """
    records: list[Record] = []
    problems: list[Problem] = []
    id_field = spec.fields[0].name
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        line = row.get(LINE_KEY, str(number))
        feature_id = (row.get(id_field) or "").strip()
        if not feature_id or len(feature_id) > settings.max_name_chars:
            feature_id = f"line {line}"  # a problem is one line, whatever the id holds
        record: Record = {}
        for field_spec in spec.fields:
            raw = row.get(field_spec.name) or ""
            text = raw.strip()
            value, message = _parse_value(text, field_spec)
            control = control_character(raw)
            if control:
                message = control
            if too_long := text_too_long(text, label=field_spec.label):
                value, message = None, too_long
            if message:
                problems.append(Problem(file, feature_id, field_spec.name, message))
            record[field_spec.name] = value
        if feature_id in seen:
            problems.append(Problem(file, feature_id, id_field, "id is not unique"))
        seen.add(feature_id)
        records.append(record)
    return records, problems


def _parse_value(text: str, spec: FieldSpec) -> tuple[Any, str | None]:
    if not text:
        return None, "is required but empty" if spec.required else None
    value: Any = text
    try:
        if spec.kind == "id" and not _ID_PATTERN.match(text):
            return text, "must be lowercase letters, digits, '_' or '-'"
        if spec.kind in ("int", "float"):
            value, message = _parse_number(text, spec.kind)
            if message:
                return value, message
        elif spec.kind in ("date", "date_or_year"):
            match = (_DATE if spec.kind == "date" else _DATE_OR_YEAR).match(text)
            if not match:
                form = (
                    "a YYYY-MM-DD date" if spec.kind == "date" else "a year, YYYY-MM or YYYY-MM-DD"
                )
                return text, f"{text!r} is not {form}"
            parts = (match["year"], match["month"] or "1", match["day"] or "1")
            date = dt.date(*(int(part) for part in parts))
            if spec.not_future and date > dt.date.today():
                return text, f"{text!r} is in the future: the date a source said it"
        elif spec.kind == "waypoints":
            value = parse_waypoints(text)
    except ValueError as error:
        return text, f"{text!r} is not a valid {spec.kind}: {error}"
    if spec.vocabulary is not None and value not in spec.vocabulary:
        return value, f"{text!r} is not one of {', '.join(spec.vocabulary)}"
    if spec.minimum is not None and value < spec.minimum:
        return value, f"{value} is below the minimum {spec.minimum}"
    if spec.positive and value <= 0:
        return value, f"{value:g} is not above 0"
    if spec.maximum is not None and value > spec.maximum:
        return value, f"{value} is above the maximum {spec.maximum}"
    return value, None


def _parse_number(text: str, kind: str) -> tuple[Any, str | None]:
    """Parse an ``int`` or ``float`` field written as a CSV writes numbers, or say why not."""
    if kind == "int":
        if not _INT.match(text):
            return text, f"{text!r} is not a whole number in ASCII digits (such as 104)"
        return int(text), None
    if not _FLOAT.match(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            return None, f"{text!r} is not a finite number"
        return text, f"{text!r} is not a number in ASCII digits (such as 104.5)"
    value = float(text)
    if not math.isfinite(value):  # 1e999
        return None, f"{text!r} is not a finite number"
    return value, None


def text_too_long(text: str, *, label: bool) -> str | None:
    """Say that ``text`` is longer than its field may be, or return ``None``.

    ``settings.max_name_chars`` for a label (a name, a title: ``FieldSpec.label``),
    ``settings.max_text_chars`` for any other text.
    """
    limit = settings.max_name_chars if label else settings.max_text_chars
    if len(text) <= limit:
        return None
    setting = "max_name_chars" if label else "max_text_chars"
    return f"is {len(text):,} characters long, over settings.{setting} ({limit:,})"


def _csv_error(
    file_name: str,
    text: str,
    records: list[tuple[int, list[str]]],
    line: int,
    error: csv.Error,
) -> Problem:
    """Return the problem of a record csv could not read, as plainly as its cause allows."""
    field, reason = "(row)", str(error)
    stray = _after_closing_quote(text, line)
    if "field larger than field limit" in reason:
        reason = f"a field is longer than the CSV limit of {csv.field_size_limit()} characters"
    elif "end of data" in reason:
        reason = "a quote opened here is never closed"
    elif stray is not None:
        column, reason = stray
        header = records[0][1] if records else []
        field = header[column].strip() if column < len(header) else f"column {column + 1}"
    else:
        reason = f"not a valid CSV record ({reason}): is a quote left open?"
    return Problem(file_name, f"line {line}", field, reason)


def _after_closing_quote(text: str, line: int) -> tuple[int, str] | None:
    """Name a control character that follows a closing quote on ``line``, if there is one.

    Returns its column (from 0) and the reason. csv only says that a comma was expected after
    the quote, which for an invisible character (a NUL pasted with a source) reads like a quote left
    open; a visible one is most often that, and is left to the general message.
    """
    lines = re.split(r"\r\n|\r|\n", text)  # the line ends csv counts, no others
    record = lines[line - 1] if line <= len(lines) else ""
    quoted = False
    column = 0
    index = 0
    while index < len(record):
        character = record[index]
        if character == '"':
            if quoted and record[index + 1 : index + 2] == '"':
                index += 2  # a doubled quote inside a quoted field
                continue
            quoted = not quoted
            following = record[index + 1 : index + 2]
            if not quoted and following and unicodedata.category(following) == "Cc":
                return column, (
                    f"the control character U+{ord(following):04X} follows the closing quote: "
                    "a quoted field must end at its closing quote, then a comma"
                )
        elif character == "," and not quoted:
            column += 1
        index += 1
    return None


def control_character(text: str) -> str | None:
    """Say which control character (NUL, a line break, a tab…) ``text`` holds, or ``None``.

    The one rule for text in the layer sources and the map definitions alike.
    """
    for character in text:
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            return f"holds the control character U+{ord(character):04X}; text must be one line"
    return None


def parse_waypoints(text: str) -> list[tuple[str, float, float]]:
    """Parse ``"Name (lon lat); Name (lon lat)"`` into ``[(name, lon, lat), …]``.

    Raises
    ------
    ValueError
        If a waypoint is not of that form.
    """
    waypoints = []
    for part in text.split(";"):
        match = _WAYPOINT.match(part.strip())
        if not match:
            raise ValueError(f"waypoint {part.strip()!r} is not 'Name (lon lat)'")
        waypoints.append((match["name"], float(match["lon"]), float(match["lat"])))
    return waypoints


def _inside(lon: float, lat: float, bounds: Bounds) -> bool:
    lon_min, lat_min, lon_max, lat_max = bounds
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def position_problem(lon: float, lat: float, bounds: Bounds, *, where: str) -> str | None:
    """Say what is wrong with a WGS84 position expected inside ``bounds``, or ``None``.

    Parameters
    ----------
    lon, lat
        The position, in degrees.
    bounds
        ``(lon_min, lat_min, lon_max, lat_max)`` the position must lie in.
    where
        Name of the region, for the message.
    """
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        if _inside(lat, lon, bounds):
            return f"({lon}, {lat}) is outside WGS84; lon and lat look swapped"
        return f"({lon}, {lat}) is outside the WGS84 range"
    if _inside(lon, lat, bounds):
        return None
    if _inside(lat, lon, bounds):
        return f"({lon}, {lat}) lies outside {where}; lon and lat look swapped"
    return f"({lon}, {lat}) lies outside {where} {bounds}"


def option_problem(value: float, *, maximum: float, unit: str) -> str | None:
    """Say what is wrong with a positive option such as a radius or a time limit, or ``None``.

    Parameters
    ----------
    value
        The option's value.
    maximum
        The largest sensible value.
    unit
        Its unit, for the message.
    """
    if not math.isfinite(value):
        return f"{value} is not a finite number ({unit})"
    if value <= 0:
        return f"{value:g} {unit} is not positive"
    if value > maximum:
        return f"{value:g} {unit} is beyond the largest sensible value, {maximum:g} {unit}"
    return None
