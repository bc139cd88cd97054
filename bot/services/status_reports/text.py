"""Free text from members, cleaned and bounded; and a report's details described for people.

The descriptions are HTML (for parse_mode HTML) with every piece of user text escaped, so the
member's summary before confirming and the secretary's notification read the same.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date
from typing import Any

from bot.domain.codes import AbroadPurpose, CodedEnum, OutflowReason, OutflowType, ReportKind
from bot.domain.errors import DomainError
from bot.i18n import N_

SHORT_TEXT_MAX = 200     # destination, contact, residence, unit, reason
LONG_TEXT_MAX = 500      # a correction to the record

# C0 and C1 control characters, DEL, and the bidi overrides that can disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")


def clean_text(raw: Any, field: str, max_len: int = SHORT_TEXT_MAX, multiline: bool = False) -> str:
    """Strip control characters and extra whitespace; refuse empty or over-long text.

    Raises DomainError (field=`field`) with a message the member can act on.
    """
    s = unicodedata.normalize("NFC", str(raw if raw is not None else ""))
    if multiline:
        s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        s = _CONTROL.sub("", s)
        lines = [" ".join(line.split()) for line in s.split("\n")]
        s = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        s = _LINE_BREAKS.sub(" ", s)
        s = _CONTROL.sub("", s)
        s = " ".join(s.split())
    if not s:
        raise DomainError(N_("Please type some text"), field=field)
    if len(s) > max_len:
        raise DomainError(N_("That is too long: at most {max} characters, yours has {n}. Please shorten it."),
                          field=field, max=max_len, n=len(s))
    return s


def esc(value: Any) -> str:
    return html.escape(str(value), quote=False)


def _date(tr: Any, iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        return tr.date(date.fromisoformat(iso))
    except ValueError:
        return esc(iso)


def _coded(enum: type[CodedEnum], value: str | None, tr: Any) -> str:
    if not value:
        return "—"
    try:
        return enum(value).label(tr)
    except ValueError:
        return esc(value)


def kind_label(kind: ReportKind, tr: Any) -> str:
    return kind.label(tr)


def detail_lines(kind: ReportKind, details: dict[str, Any], tr: Any) -> list[str]:
    """The report's content as HTML lines, in the reader's language (user text escaped)."""

    _ = tr.gettext
    d = details
    lines: list[str] = []
    if kind is ReportKind.OUTFLOW:
        lines.append(_("Left on: {date}", date=_date(tr, d.get("left_on"))))
        lines.append(_("Destination: {place}", place=esc(d.get("destination") or "—")))
        lines.append(_("Type: {value}", value=_coded(OutflowType, d.get("outflow_type"), tr)))
        lines.append(_("Reason: {value}", value=_coded(OutflowReason, d.get("outflow_reason"), tr)))
        lines.append(_("Expected back: {date}", date=_date(tr, d.get("expected_return"))))
        lines.append(_("Contact at the destination: {contact}", contact=esc(d.get("contact") or "—")))
        if d.get("pledge"):
            lines.append(_("Pledge confirmed"))
    elif kind is ReportKind.RETURNED:
        lines.append(_("Back on: {date}", date=_date(tr, d.get("returned_on"))))
        flow = d.get("flow") or {}
        if flow.get("destination"):
            lines.append(_("Was at: {place}", place=esc(flow["destination"])))
    elif kind is ReportKind.MOVED:
        lines.append(_("New residence: {place}", place=esc(d.get("residence") or "—")))
    elif kind is ReportKind.WORK_UNIT:
        lines.append(_("New work unit: {unit}", unit=esc(d.get("work_unit") or "—")))
    elif kind is ReportKind.PHONE:
        lines.append(_("New mobile: {phone}", phone=esc(d.get("mobile_display") or d.get("mobile") or "—")))
    elif kind is ReportKind.ABROAD:
        lines.append(_("Leaving on: {date}", date=_date(tr, d.get("left_on"))))
        lines.append(_("Country or region: {place}", place=esc(d.get("destination") or "—")))
        lines.append(_("Purpose: {value}", value=_coded(AbroadPurpose, d.get("purpose"), tr)))
        lines.append(_("Reason for going abroad: {value}", value=esc(d.get("reason") or "—")))
        lines.append(_("Expected back: {date}", date=_date(tr, d.get("expected_return"))))
        if d.get("keep_relationship_requested"):
            lines.append(_("Requests to keep the organizational relationship: awaiting the branch's decision"))
    elif kind is ReportKind.CORRECTION:
        lines.append(esc(d.get("text") or "—"))
    return lines
