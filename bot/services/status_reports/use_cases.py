"""A member's own status reports (seed 004 measure 二: report every change of work, study or residence).

Every report is, in ONE write transaction: a `status_reports` row, a contact event (the report itself
is contact with the branch), the member record updated where the report changes it, the audit rows,
and a notice in the outbox for the branch secretary/organizer and the responsible officer (指定专人).

A member reports only for themself: the member is `actor.member_id`, re-read from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.codes import AbroadPurpose, ContactKind, OutflowReason, OutflowType, ReportKind
from bot.domain.errors import DomainError, NotFound, PermissionDenied
from bot.domain.member import FlowInfo, Member
from bot.domain.phone import mask_mobile, normalise_mobile
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.notify import notify_report, recipients_of, recipients_statement
from bot.services.status_reports.pledge import PLEDGE_VERSION
from bot.services.status_reports.text import LONG_TEXT_MAX, clean_text
from bot.storage import members as member_repo
from bot.storage.db import Tx


@dataclass
class ReportResult:
    """What a report did: the status report id, who was told, and the member's branch."""

    report_id: int
    kind: ReportKind
    member_id: int
    branch_id: int
    on_date: date
    notified: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Subject:
    member: Member
    recipients: list[tuple[int, str]]     # who is told of the report (bot.services.notify.recipients_of)


async def _subject(tx: Tx, actor: Actor, member_id: int | None) -> _Subject:
    """The member the actor reports for: only themself (the CLI operator may name one); and who is told
    of the report (the secretaries and organizers of the member's branch and their 指定专人, not the one
    reporting), as the register says when the report begins."""
    if member_id is not None and actor.operator:
        target = member_id
    else:
        if actor.member_id is None:
            raise PermissionDenied(N_("Only a member bound to this bot can report a status change"))
        if member_id is not None and member_id != actor.member_id:
            raise PermissionDenied(N_("You can only report for yourself"))
        target = actor.member_id
    # One query: the record, and (for a Telegram user) the binding re-read — a cached actor must not
    # outlive an unbinding.
    check_binding = not (member_id is not None and actor.operator) and actor.tg_id is not None
    # The member and who is told of the report, in one hop (the transaction holds the write lock).
    row_found, told = await tx.fetch_each((member_repo.row_statement(target, actor.tg_id if check_binding else None),
                                           recipients_statement(target)))
    row = row_found[0] if row_found else None
    if check_binding and (row is None or row["bound"] != target):
        raise PermissionDenied(N_("You can only report for yourself"))
    if row is None:
        raise NotFound(N_("Your record was not found: please ask your branch secretary"))
    if not row["active"]:
        raise PermissionDenied(N_("Your record is no longer active at this branch"))
    return _Subject(member_repo.member_from_row(row), recipients_of(told, exclude=actor.tg_id))


def _audit_view(kind: ReportKind, on: date, member_id: int, details: dict[str, Any]) -> dict[str, Any]:
    """A reference to the report for the audit trail: coded fields only, no addresses, phones or free text."""
    coded = {k: details[k] for k in ("outflow_type", "outflow_reason", "purpose", "keep_relationship_requested",
                                     "source") if k in details}
    return {"member_id": member_id, "kind": kind.value, "on": on.isoformat(), **coded}


async def _record(svc: Services, actor: Actor, kind: ReportKind, on: date, member_id: int | None,
                  change: Any = None, contact: ContactKind = ContactKind.SELF_REPORT,
                  display: Any = None) -> ReportResult:
    """The shared transaction: subject check, member change, report row, contact event, audit, outbox.

    `change(member) -> (updated member or None, details)` runs inside the transaction.
    `display(details) -> details` gives what the notices show when it differs from what is stored.
    """
    today = svc.clock.today()
    async with svc.db.write(actor.label) as tx:
        subject = await _subject(tx, actor, member_id)
        member = subject.member
        updated, details = change(member) if change else (None, {})
        if updated is not None:
            updated.check(today)
            await member_repo.update(tx, updated, action=f"report:{kind.value}")
        # The report and the contact it is, in one hop (the contact's note names the report's new id).
        report_id = await member_repo.insert_with_contact(
            tx, ("INSERT INTO status_reports (member_id, kind, on_date, details, created_at) VALUES (?,?,?,?,?)",
                 (member.id, kind.value, on.isoformat(), json.dumps(details, ensure_ascii=False, sort_keys=True),
                  tx.now_iso)),
            ("status_report", "create", _audit_view(kind, on, member.id, details)),
            member.id, contact, today, "status_report:")
        shown = display(details) if display else details
        notified = notify_report(tx, report_id, subject.recipients, member.name, kind, shown)
    return ReportResult(report_id, kind, member.id, member.branch_id, on, notified, details)


def _not_future(d: date, today: date, field: str) -> date:
    if d > today:
        raise DomainError(N_("{date} is in the future"), field=field, date=d.isoformat())
    return d


def _return_after(expected: date | None, left: date) -> date | None:
    if expected is not None and expected < left:
        raise DomainError(N_("The expected return cannot be before the day you left"), field="expected_return")
    return expected


async def report_outflow(svc: Services, actor: Actor, *, left_on: date, destination: str,
                         outflow_type: OutflowType | str, outflow_reason: OutflowReason | str,
                         expected_return: date | None, contact: str, pledge_accepted: bool,
                         member_id: int | None = None) -> ReportResult:
    """流出: fills the flow block (流出日期, 外出流向, 外出类型, 外出原因, 流入地, contact) and marks the member
    a flow member. The member must have confirmed the 承诺书 (seed 004 measure 七)."""
    if not pledge_accepted:
        raise DomainError(N_("Please confirm the pledge before going out"), field="pledge")
    _not_future(left_on, svc.clock.today(), "left_on")
    _return_after(expected_return, left_on)
    place = clean_text(destination, "destination")
    contact_text = clean_text(contact, "contact")
    otype = OutflowType.parse(outflow_type)
    reason = OutflowReason.parse(outflow_reason)

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        previous = m.flow
        flow = FlowInfo(left_on=left_on, destination=place, outflow_type=otype, outflow_reason=reason,
                        expected_return=expected_return, inflow_place=place, inflow_contact=contact_text,
                        certificate_no=previous.certificate_no if previous else None,
                        employment=previous.employment if previous else None,
                        identity=previous.identity if previous else None,
                        officer_member_id=previous.officer_member_id if previous else None)
        details = {"left_on": left_on.isoformat(), "destination": place, "outflow_type": otype.value,
                   "outflow_reason": reason.value,
                   "expected_return": expected_return.isoformat() if expected_return else None,
                   "contact": contact_text, "pledge": {"accepted": True, "version": PLEDGE_VERSION},
                   "previous_flow": previous.model_dump(mode="json") if previous else None}
        return m.model_copy(update={"flow": flow}), details

    return await _record(svc, actor, ReportKind.OUTFLOW, left_on, member_id, change)


async def report_returned(svc: Services, actor: Actor, *, returned_on: date | None = None,
                          member_id: int | None = None) -> ReportResult:
    """返回: clears the flow block; the block as it was stays in the report's details (history)."""
    on = _not_future(returned_on or svc.clock.today(), svc.clock.today(), "returned_on")

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        if m.flow is not None and on < m.flow.left_on:
            raise DomainError(N_("You cannot be back before the day you left ({date})"), field="returned_on",
                              date=m.flow.left_on.isoformat())
        details = {"returned_on": on.isoformat(), "flow": m.flow.model_dump(mode="json") if m.flow else None}
        return m.model_copy(update={"flow": None}), details

    return await _record(svc, actor, ReportKind.RETURNED, on, member_id, change)


async def report_moved(svc: Services, actor: Actor, *, residence: str, member_id: int | None = None) -> ReportResult:
    """居住地改变: the new 实际居住地址."""
    place = clean_text(residence, "residence")

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        return m.model_copy(update={"residence": place}), {"residence": place, "previous": m.residence}

    return await _record(svc, actor, ReportKind.MOVED, svc.clock.today(), member_id, change)


async def report_work_unit(svc: Services, actor: Actor, *, work_unit: str,
                           member_id: int | None = None) -> ReportResult:
    """工作单位改变: the new 工作单位及职务."""
    unit = clean_text(work_unit, "work_unit")

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        return m.model_copy(update={"work_unit": unit}), {"work_unit": unit, "previous": m.work_unit}

    return await _record(svc, actor, ReportKind.WORK_UNIT, svc.clock.today(), member_id, change)


async def report_phone(svc: Services, actor: Actor, *, phone: str, contact_user_id: int | None = None,
                       shared: bool = False, member_id: int | None = None) -> ReportResult:
    """手机号码改变, typed or from Telegram's "share my contact": a shared contact must be the sender's own.

    The report row and the audit keep the number masked; the record holds it, and the officers'
    notice shows it (they need it to call).
    """
    if shared and (contact_user_id is None or actor.tg_id is None or contact_user_id != actor.tg_id):
        raise PermissionDenied(N_("Please share your own contact, not someone else's"), field="phone")
    mobile = normalise_mobile(phone)

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        details = {"mobile": mask_mobile(mobile), "previous": mask_mobile(m.mobile) if m.mobile else None,
                   "source": "shared_contact" if shared else "typed"}
        return m.model_copy(update={"mobile": mobile}), details

    return await _record(svc, actor, ReportKind.PHONE, svc.clock.today(), member_id, change,
                         display=lambda d: {**d, "mobile_display": mobile})


async def report_abroad(svc: Services, actor: Actor, *, left_on: date, destination: str,
                        purpose: AbroadPurpose | str, reason: str, expected_return: date | None = None,
                        keep_relationship: bool = False, member_id: int | None = None) -> ReportResult:
    """出国（境）: date, destination, purpose, reason. Study or labour abroad may ask to keep the
    organizational relationship (保留组织关系): a pending request the secretary sees
    (details {"keep_relationship_requested": true}, listed by `pending_relationship_requests`)."""
    _not_future(left_on, svc.clock.today(), "left_on")
    _return_after(expected_return, left_on)
    place = clean_text(destination, "destination")
    why = clean_text(reason, "reason")
    kind_of = AbroadPurpose.parse(purpose)
    if keep_relationship and not kind_of.may_keep_relationship:
        raise DomainError(N_("Only study or work abroad can ask to keep the organizational relationship"),
                          field="purpose")
    flow_reason = {AbroadPurpose.STUDY: OutflowReason.STUDY, AbroadPurpose.LABOUR: OutflowReason.WORK}.get(
        kind_of, OutflowReason.OTHER)

    def change(m: Member) -> tuple[Member, dict[str, Any]]:
        previous = m.flow
        flow = FlowInfo(left_on=left_on, destination=place, outflow_type=OutflowType.ABROAD,
                        outflow_reason=flow_reason, expected_return=expected_return, inflow_place=place,
                        officer_member_id=previous.officer_member_id if previous else None)
        details = {"left_on": left_on.isoformat(), "destination": place, "purpose": kind_of.value,
                   "reason": why, "expected_return": expected_return.isoformat() if expected_return else None,
                   "keep_relationship_requested": bool(keep_relationship),
                   "previous_flow": previous.model_dump(mode="json") if previous else None}
        return m.model_copy(update={"flow": flow}), details

    return await _record(svc, actor, ReportKind.ABROAD, left_on, member_id, change)


async def check_in(svc: Services, actor: Actor, *, member_id: int | None = None) -> ReportResult:
    """报平安: one tap, a contact event of kind CHECK_IN."""
    return await _record(svc, actor, ReportKind.CHECK_IN, svc.clock.today(), member_id,
                         contact=ContactKind.CHECK_IN)


async def report_correction(svc: Services, actor: Actor, *, text: str, member_id: int | None = None) -> ReportResult:
    """A free-text correction to the record, for the secretary to act on (the record itself is unchanged)."""
    body = clean_text(text, "text", max_len=LONG_TEXT_MAX, multiline=True)
    return await _record(svc, actor, ReportKind.CORRECTION, svc.clock.today(), member_id,
                         change=lambda m: (None, {"text": body}))


async def pending_relationship_requests(svc: Services, actor: Actor, branch_id: int) -> list[dict[str, Any]]:
    """Requests to keep the organizational relationship (保留组织关系) of a branch's members still to be
    decided: the latest abroad report of each member still abroad that asked for it."""
    await require_branch(svc.db, actor, branch_id)
    rows = await svc.db.fetchall(
        "SELECT s.id, s.member_id, m.name, s.on_date, s.details FROM status_reports s"
        " JOIN members m ON m.id = s.member_id"
        " WHERE m.branch_id = ? AND m.active = 1 AND m.is_flow = 1 AND s.kind = ?"
        " AND json_extract(s.details, '$.keep_relationship_requested') = 1"
        " AND s.id = (SELECT MAX(id) FROM status_reports WHERE member_id = s.member_id AND kind IN (?, ?, ?))"
        " ORDER BY s.on_date, s.id",
        (branch_id, ReportKind.ABROAD.value, ReportKind.ABROAD.value, ReportKind.OUTFLOW.value,
         ReportKind.RETURNED.value))
    return [{"report_id": r[0], "member_id": r[1], "name": r[2], "on_date": date.fromisoformat(r[3]),
             "details": json.loads(r[4])} for r in rows]
