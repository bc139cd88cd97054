"""The 支部党员名册 (seed 000): its columns, the blank template, and the reader for filled-in rosters.

- `columns`: the official headers, aliases and notes; `column_for` matches a header despite the form's spacing.
- `template`: the blank .xlsx with its 填表说明.
- `headers`: finding the header in a sheet (title rows above, a group header over a leaf row).
- `files`: opening .xlsx / .xls / .csv / "Unicode text" files, every sheet, and saying why a file cannot be read.
"""

from bot.forms.roster.columns import (BY_KEY, COLUMNS, SEED_HEADERS, SHEET_NOTES, SHEET_ROSTER, column_for,
                                      normalize_header)
from bot.forms.roster.files import Sheet, decode_text, open_roster
from bot.forms.roster.headers import NO_HEADER, Header
from bot.forms.roster.template import write_template

__all__ = ["BY_KEY", "COLUMNS", "NO_HEADER", "SEED_HEADERS", "SHEET_NOTES", "SHEET_ROSTER", "Header", "Sheet",
           "column_for", "decode_text", "normalize_header", "open_roster", "write_template"]
