"""Output of the list commands (`member list`, `org list`): a table, csv or json, paged only on a terminal.

Who reads what:
- table: a person at a terminal. Into a pipe or a file it prints every row (a page of 20 is what you
  want on a screen, never in `| grep` or `> members.txt`); on a terminal it pages unless `--all`.
- csv: a spreadsheet. Headings and values as the table shows them, in the operator's language; written
  to a regular file it starts with a BOM so Excel reads the UTF-8 (not into a pipe: `cut`/`awk` would see it).
- json: a script. One array, one object per line, stable English keys and code keys (not labels), so it
  reads the same whatever BRANCHBOT_LANGUAGE is.
Personal data stays as masked as in the table (the CLI never prints a whole ID number).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, TextIO

from bot.cli.common import pad
from bot.i18n import N_, Translator

FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class Column:
    """One column: the JSON key, the heading msgid, the table width, how the table/csv shows a value."""

    key: str
    heading: str
    width: int = 10
    show: Callable[[Any], str] = lambda v: "—" if v in (None, "") else str(v)


def add_list_options(p: argparse.ArgumentParser, h: Callable[..., str]) -> None:
    """`--all` and `--format` for a list command."""
    p.add_argument("--all", action="store_true", help=h(N_("print every row, not a page (the default when the "
                                                              "output is not a terminal)")))
    p.add_argument("--format", choices=FORMATS, default="table",
                   help=h(N_("table (default), csv (a spreadsheet) or json (one array, code keys)")))


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def wants_everything(args: argparse.Namespace, stream: TextIO | None = None) -> bool:
    """Every row unless a page was asked for, or a person reads a table at a terminal without --all."""
    if getattr(args, "page", None) is not None:
        return False
    return bool(getattr(args, "all", False)) or args.format != "table" or not is_terminal(stream)


def _to_regular_file(stream: TextIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


class RowWriter:
    """Writes rows as they come (a list of 10,000 members is never held as text in memory)."""

    def __init__(self, fmt: str, columns: list[Column], tr: Translator, stream: TextIO | None = None):
        self.fmt, self.columns, self.tr = fmt, columns, tr
        self.out = stream or sys.stdout
        self.count = 0
        self._csv = None

    def __enter__(self) -> "RowWriter":
        if self.fmt == "table":
            self._line([self.tr.gettext(c.heading) for c in self.columns])
        elif self.fmt == "csv":
            if _to_regular_file(self.out):
                self.out.write("\ufeff")
            self._csv = csv.writer(self.out, lineterminator="\n")
            self._csv.writerow([self.tr.gettext(c.heading) for c in self.columns])
        else:
            self.out.write("[")
        return self

    def _line(self, cells: Iterable[str]) -> None:
        self.out.write("  ".join(pad(c, col.width) for c, col in zip(cells, self.columns)).rstrip() + "\n")

    def row(self, values: dict[str, Any]) -> None:
        if self.fmt == "json":
            self.out.write(("\n" if self.count == 0 else ",\n") + json.dumps(values, ensure_ascii=False))
        else:
            cells = [c.show(values.get(c.key)) for c in self.columns]
            if self.fmt == "csv":
                assert self._csv is not None
                self._csv.writerow(cells)
            else:
                self._line(cells)
        self.count += 1

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None and self.fmt == "json":
            self.out.write("\n]\n" if self.count else "]\n")
