"""Telling the branch at once: a member's report goes to the branch secretary and organizer and to the
member's responsible officer (指定专人), through the outbox, in the same transaction as the report.

Each message is rendered in its recipient's language when it is queued (HTML, user text escaped);
the outbox sender delivers it. The key `report:{report_id}:{chat_id}` makes a re-queue a no-op.
"""

from __future__ import annotations

from typing import Any, Iterable

from bot.domain.codes import ReportKind, Role
from bot.i18n import translator
from bot.services.status_reports.text import detail_lines, esc
from bot.storage import outbox
from bot.storage import users as user_repo
from bot.storage.db import Tx

NOTICE_KIND = "member_report"


# One read for every recipient (the branch's secretaries and organizers in the order they were given the
# role, then the member's 指定专人) with what the notice needs of each: whether they blocked the bot and
# their language. It was a read per recipient and two more per notice (with three recipients the report's
# write transaction made fifteen thread handoffs, holding the write lock while they ran); the report
# reads it in the same hop as the member (status_reports.use_cases._subject).
_RECIPIENTS = (
    "SELECT tg_id, blocked_at, locale, lang_code FROM ("
    " SELECT r.tg_id, u.blocked_at, u.locale, u.lang_code, 0 AS part, r.first FROM"
    "  (SELECT tg_id, MIN(rowid) AS first FROM roles WHERE role IN (:secretary, :organizer)"
    "   AND org_id = (SELECT branch_id FROM members WHERE id = :member) GROUP BY tg_id) r"
    "  LEFT JOIN users u ON u.tg_id = r.tg_id"
    " UNION ALL SELECT tg_id, blocked_at, locale, lang_code, 1, 0 FROM users"
    "  WHERE member_id = (SELECT officer_id FROM members WHERE id = :member)"
    ") ORDER BY part, first")


def recipients_statement(member_id: int) -> tuple[str, dict[str, Any]]:
    """The query of who is told of the member's report (read it with recipients_of): the secretaries and
    organizers of the member's branch, then their responsible officer, as the register says now."""
    return _RECIPIENTS, {"member": member_id, "secretary": Role.SECRETARY.value, "organizer": Role.ORGANIZER.value}


def recipients_of(rows: Iterable[Any], exclude: int | None = None) -> list[tuple[int, str]]:
    """(Telegram id, language) of each one to tell: not `exclude` (the one reporting), not one who blocked
    the bot (the outbox would only fail with 403), nobody twice."""
    seen: set[int] = set()
    out = []
    for tg_id, blocked_at, locale, lang_code in rows:
        if tg_id in seen or tg_id == exclude:
            continue
        seen.add(tg_id)
        if not blocked_at:
            out.append((tg_id, user_repo.locale_from(locale, lang_code)))
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


def notify_report(tx: Tx, report_id: int, recipients: Iterable[tuple[int, str]], member_name: str, kind: ReportKind,
                  details: dict[str, Any]) -> list[int]:
    """Queue the notice for each recipient (recipients_of); returns the chat ids told. The notices are
    the report's transaction's last writes: they go in its COMMIT's hop (a new report's keys are new, so
    each is queued)."""
    rows, told = [], []
    for chat_id, locale in recipients:
        text = render_report_notice(translator(locale), member_name, kind, details)
        rows.append((f"report:{report_id}:{chat_id}", chat_id, NOTICE_KIND, outbox.payload_json(text), None))
        told.append(chat_id)
    outbox.enqueue_at_commit(tx, rows, None)
    return told
