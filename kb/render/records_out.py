"""What the data writers of every table share: rows of typed records as delimited text, and dataclass
values (sources, medians, hazard ratios, intervals) as JSON objects."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def delimited(
    columns: Sequence[str], records: Iterable[dict[str, Any]], flat: Callable[[str, Any], Any], delimiter: str
) -> str:
    """A header of `columns`, then each record's values in them as `flat` writes them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([flat(c, record[c]) for c in columns])
    return out.getvalue()


def json_default(value: object) -> dict[str, Any]:
    """A source, median, hazard ratio, landmark rate or interval as a JSON object (numbers as numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
