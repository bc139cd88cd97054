"""Telling the branch at once: a member's report goes to the branch secretary and organizer and to the
member's responsible officer (指定专人), through the outbox, in the same transaction as the report.

Each message is rendered in its recipient's language when it is queued (HTML, user text escaped);
the outbox sender delivers it. The key `report:{report_id}:{chat_id}` makes a re-queue a no-op.
"""

from __future__ import annotations

from typing import Any

from bot.domain.codes import ReportKind
from bot.i18n import translator
from bot.services.status_reports.text import detail_lines, esc
from bot.storage import outbox
from bot.storage import users as user_repo
from bot.storage.db import Tx

NOTICE_KIND = "member_report"


async def report_recipients(tx: Tx, branch_id: int, officer_member_id: int | None,
                            exclude: int | None = None) -> list[int]:
    """Telegram ids to tell: the branch's secretaries and organizers, then the responsible officer."""
    ids = list(await user_repo.officers_of(tx, branch_id))
    if officer_member_id is not None:
        officer_tg = await user_repo.user_for_member(tx, officer_member_id)
        if officer_tg is not None:
            ids.append(officer_tg)
    seen: set[int] = set()
    out = []
    for tg_id in ids:
        if tg_id in seen or tg_id == exclude:
            continue
        seen.add(tg_id)
        blocked = await tx.fetchone("SELECT blocked_at FROM users WHERE tg_id = ?", (tg_id,))
        if blocked is not None and blocked[0]:
            continue  # the outbox would only fail with 403
        out.append(tg_id)
    return out


def render_report_notice(tr: Any, member_name: str, kind: ReportKind, details: dict[str, Any]) -> str:
    """The notice an officer reads, in their language."""
    _ = tr.gettext
    if kind is ReportKind.CHECK_IN:
        head = _("✅ {name} checked in: all is well.", name=esc(member_name))
    elif kind is ReportKind.CORRECTION:
        head = _("✏️ {name} asks for a correction to their record:", name=esc(member_name))
    else:
        head = _("🔔 {name} reported: {what}", name=esc(member_name), what=kind.label(tr))
    lines = [head, *detail_lines(kind, details, tr)]
    if kind is ReportKind.ABROAD and details.get("keep_relationship_requested"):
        lines.append(_("Please decide on the request to keep the organizational relationship."))
    return "\n".join(lines)


async def notify_report(tx: Tx, report_id: int, branch_id: int, officer_member_id: int | None, member_name: str,
                        kind: ReportKind, details: dict[str, Any], exclude: int | None = None) -> list[int]:
    """Queue the notice for every recipient; returns the chat ids queued."""
    queued = []
    for chat_id in await report_recipients(tx, branch_id, officer_member_id, exclude=exclude):
        locale = await user_repo.effective_locale(tx, chat_id)
        text = render_report_notice(translator(locale), member_name, kind, details)
        if await outbox.enqueue(tx, f"report:{report_id}:{chat_id}", chat_id, NOTICE_KIND, text):
            queued.append(chat_id)
    return queued
