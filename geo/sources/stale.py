"""Which facts need re-checking: statuses known only as of long ago, and dates already past.

Every layer whose schema has ``status`` and ``status_as_of`` takes part. Three kinds of finding,
most important first:

1. a feature still ``under_construction`` whose planned ``opening`` is past: always reported;
2. a feature still ``planned`` whose ``started`` or ``opening`` date is past;
3. a status known only as of a date older than the limit: features not yet operating first,
   then operating ones, the oldest first.

Kinds 2 and 3 are reported only when a limit in months is given (``chengyu validate --stale``).
A partial date counts as its last day: an opening planned for ``2027`` is past from 2028-01-01.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from geo.errors import Problem
from geo.sources._schema import LAYER_SPECS
from geo.utils import log


def period_end(text: str) -> dt.date:
    """Last day of the period a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date names.

    Raises
    ------
    ValueError
        If ``text`` is none of these.
    """
    parts = [int(part) for part in text.strip().split("-")]
    if len(parts) == 1:
        return dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return dt.date.fromisoformat(text.strip())


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from ``earlier`` to ``later`` (negative if ``later`` comes first)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def stale_facts(
    frames: Mapping[str, pd.DataFrame],
    *,
    months: int | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """Return the facts a curator should re-check, most important first, one per feature.

    Parameters
    ----------
    frames
        Layers by name, as ``geo.sources.layers.load_layers`` returns them (any frame with the
        layer's
        columns will do). Layers without ``status_as_of`` in their schema are skipped.
    months
        Report statuses known only as of more than this many months before ``today``, and
        planned features whose start or opening is past. ``None``: report only the features
        still under construction after their planned opening.
    today
        The date to judge by (default ``datetime.date.today()``).

    Returns
    -------
    list of Problem
        Naming the layer's file, the feature and the field to re-check.
    """
    today = today or dt.date.today()
    found: list[tuple[int, dt.date, Problem]] = []
    for name, frame in frames.items():
        spec = LAYER_SPECS.get(name)
        if spec is None or not {"status", "status_as_of"} <= set(spec.field_names):
            continue
        id_field = spec.fields[0].name
        for row in frame.to_dict("records"):
            finding = _finding(row, months=months, today=today)
            if finding is not None:
                rank, as_of, field, message = finding
                found.append(
                    (rank, as_of, Problem(spec.file_name, str(row[id_field]), field, message))
                )
    found.sort(key=lambda item: (item[0], item[1], item[2].file, item[2].feature_id))
    if found:
        log(f"stale facts: {len(found)} to re-check as of {today}")
    return [problem for _, _, problem in found]


def _finding(
    row: Mapping[Any, Any], *, months: int | None, today: dt.date
) -> tuple[int, dt.date, str, str] | None:
    """``(rank, status_as_of, field, message)`` of the most important finding, or ``None``."""
    as_of_text = _text(row.get("status_as_of"))
    if as_of_text is None:
        return None
    as_of = dt.date.fromisoformat(as_of_text)
    status = _text(row.get("status"))
    age = f"status {status!r} as of {as_of}, {months_between(as_of, today)} months ago"
    opening = _text(row.get("opening"))
    if status == "under_construction" and opening and period_end(opening) < today:
        return 0, as_of, "opening", f"planned opening {opening} is past ({age})"
    if months is None:
        return None
    if status == "planned":
        for field in ("started", "opening"):
            value = _text(row.get(field))
            if value and period_end(value) < today:
                return 1, as_of, field, f"planned {field} date {value} is past ({age})"
    if months_between(as_of, today) > months:
        # A road or station being built changes status sooner than one in service.
        rank = 3 if status == "operating" else 2
        return rank, as_of, "status_as_of", f"{age}: older than {months} months"
    return None


def _text(value: object) -> str | None:
    """Return a field's text, or ``None`` when empty or missing (``None``, ``NaN``)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None
