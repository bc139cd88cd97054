"""The csv twin of a table: one header row (the leaf labels), UTF-8 with BOM so Excel opens it in Chinese.

Cells go through the same `cells.cell` as the xlsx writer, so formula leads are neutralised here too
(csv is where formula injection usually strikes: Excel evaluates "=..." when it opens a csv).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Callable

from bot.forms.cells import cell
from bot.forms.model import FormDocument, counted, run_checks


def write_csv(doc: FormDocument, target: str | Path | IO[bytes], sheet: int = 0,
              progress: Callable[[int, int | None], None] | None = None) -> int:
    """Write one sheet of the document (the main table by default); return the number of data rows."""
    data = doc.sheets[sheet]
    rows = data.rows
    if data.table.checks:
        rows = list(rows)
        run_checks(data.table, rows)
    own = isinstance(target, (str, Path))
    raw = open(target, "wb") if own else target
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", write_through=False)
    counter = [0]
    try:
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow(data.table.csv_headers())
        for row in counted(rows, counter, progress, doc.row_count):
            w.writerow([_csv_value(v) for v in row.values])
        text.flush()
    finally:
        if own:
            text.close()
        else:
            text.detach()
    return counter[0]


def _csv_value(value: object) -> object:
    v = cell(value)
    return v
