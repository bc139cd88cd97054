"""The invite sheet: one row per member not yet bound (name, masked ID number, the deep link, its expiry) and a
QR code picture per row, to print and hand round at a branch meeting or to send the secretary as a file.

Not an official form of the seeds: its headings are interface text, in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import segno
import xlsxwriter

from bot.i18n import N_, Translator

QR_SCALE = 3                 # pixels per module: a 16-character link is ~33 modules → ~111 px with the border
QR_BORDER = 2
ROW_HEIGHT_PT = 90           # fits the picture (points = pixels × 0.75)
FORMULA_START = ("=", "+", "-", "@")


def qr_png(text: str, scale: int = 6) -> bytes:
    """A QR code of `text` as PNG bytes (segno, error correction M)."""
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=QR_BORDER)
    return buf.getvalue()


def safe_text(value: Any) -> str:
    """Text that a spreadsheet will not take for a formula (a name typed as =HYPERLINK(…))."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def invite_sheet(title: str, invites: Sequence[Any], link_of: Callable[[str], str], tr: Translator,
                 tz: Any = None) -> bytes:
    """The xlsx bytes of the sheet. `invites` have name, masked_id, code, expires_at (services.invites.InviteLink)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(tr.gettext(N_("Invites"))[:31])
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "bg_color": "#EEEEEE"})
    cell = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    headers = (N_("No."), N_("Name"), N_("ID number"), N_("Invite link"), N_("Valid until"), N_("QR code"))
    for col, width in enumerate((6, 12, 22, 48, 22, 18)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, safe_text(title), heading)
    for col, msgid in enumerate(headers):
        sheet.write_string(1, col, tr.gettext(msgid), head)
    for i, invite in enumerate(invites):
        row = i + 2
        link = link_of(invite.code)
        sheet.set_row(row, ROW_HEIGHT_PT)
        sheet.write_number(row, 0, i + 1, cell)
        sheet.write_string(row, 1, safe_text(invite.name), cell)
        sheet.write_string(row, 2, invite.masked_id, cell)
        sheet.write_url(row, 3, link, cell, string=link)
        sheet.write_string(row, 4, tr.datetime(invite.expires_at, tz=tz) if isinstance(invite.expires_at, datetime)
                           else str(invite.expires_at), cell)
        sheet.write_blank(row, 5, None, cell)
        sheet.insert_image(row, 5, f"qr{i + 1}.png", {"image_data": io.BytesIO(qr_png(link, QR_SCALE)),
                                                      "x_offset": 4, "y_offset": 4, "object_position": 1})
    sheet.repeat_rows(1)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_paper(9)       # A4
    book.close()
    return buf.getvalue()
