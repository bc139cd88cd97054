"""The secretary's record flows: contact regained (经查找取得联系), attendance at 组织生活 (a checklist),
党费, a transfer out with its 四个清楚 (seed 004 measure 四), its 回执 (seed 000 step 10), and the
responsible officer (指定专人) of a flow member. The services re-check every member and transfer id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.codes import ContactLevel, TransferKind
from bot.domain.errors import DomainError
from bot.domain.phone import normalise_mobile
from bot.handlers.common import HandlerCtx
from bot.handlers.flows.common import OFFICER_HOME, filtered, member_rows, menu_button
from bot.handlers.flows.pick import (
    PICK_LIMIT, accept_member, given_pick, member_items, member_step, preset_by, preset_member,
)
from bot.handlers.labels import date_text, field, line
from bot.handlers.markup import esc, short
from bot.handlers.secretary_members import LEVEL_ICON
from bot.handlers.wizard import CHECKLIST, CHOICE, DATE, PICK, TEXT, Draft, Flow, Listing, Result, Step, enum_options
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import records, roster

DATE_PROMPT = N_("Which day? Tap Today, or type a date (2026-11-20, 2026年11月20日, yesterday).")


# ---- contact regained -------------------------------------------------------------------------------

async def save_regained(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    result = await records.record_regained(ctx.services, ctx.actor, d["member_id"], date.fromisoformat(d["on"]),
                                           d.get("note"))
    text = ctx._("Recorded: contact with {name} regained on {date}.", name=esc(d["member_name"]),
                 date=date_text(ctx, d["on"]))
    if result.case_id is not None:
        text += "\n" + ctx._("The lost-contact case moves to “reached”: record the findings and propose an outcome.")
    return text, member_rows(ctx, d)


REGAINED_FLOW = Flow(
    code="rg", title=N_("Contact regained (经查找取得联系)"), home=OFFICER_HOME, command="regained",
    command_help=N_("Record contact regained (经查找取得联系)"), start_with=preset_member,
    aliases={"date": "on", "member": "member_id"},
    steps=(member_step(default_level=ContactLevel.LOST),
           Step("on", DATE, N_("On which day was contact regained? Tap Today, or type a date.")),
           Step("note", TEXT, N_("A note (where the member is, how you reached them), or Skip:"), optional=True,
                max_len=500, multiline=True)),
    summary=lambda ctx, d: [line(ctx, N_("Member"), d.get("member_name")),
                            field(ctx, N_("Date"), date_text(ctx, d.get("on"))), line(ctx, N_("Note"), d.get("note"))],
    save=save_regained)


# ---- attendance ------------------------------------------------------------------------------------

async def attendance_init(ctx: HandlerCtx, d: Draft) -> None:
    branches = await roster.branches_of(ctx.services, ctx.actor)
    if len(branches) == 1:
        d.update(branch_id=branches[0][0], branch_name=branches[0][1], _one_branch=True)


async def branch_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    items = [(i, short(n, 40)) for i, n in await roster.branches_of(ctx.services, ctx.actor)]
    return Listing(ctx._("Tap the branch:"), filtered(items, query))


async def accept_branch(ctx: HandlerCtx, d: Draft, branch_id: Any) -> None:
    offered = dict(await roster.branches_of(ctx.services, ctx.actor))
    if branch_id not in offered:
        raise roster.not_allowed()
    d.update(branch_id=branch_id, branch_name=offered[branch_id], present=[])


async def present_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    people = await roster.branch_members(ctx.services, ctx.actor, int(d["branch_id"]))
    return Listing(ctx._("Tick everyone who was present:"), [(p.id, short(p.name, 20)) for p in people])


async def accept_present(ctx: HandlerCtx, d: Draft, ticked: Any) -> None:
    if not ticked:
        raise DomainError(N_("Tick at least one member who was present"), field="present")


async def save_attendance(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    n = await records.record_attendance(ctx.services, ctx.actor, d.get("present") or [], date.fromisoformat(d["on"]),
                                        d.get("note"))
    return ctx._("Recorded: {n} members at the 组织生活 of {date}.", n=n, date=date_text(ctx, d["on"])), \
        [menu_button(ctx)]


ATTENDANCE_FLOW = Flow(
    code="at", title=N_("Attendance at 组织生活"), home=OFFICER_HOME, command="attendance",
    command_help=N_("Record attendance at 组织生活"), init=attendance_init,
    aliases={"date": "on", "members": "present", "member": "present"},
    steps=(Step("branch_id", PICK, N_("Which branch met?"), items=branch_items, accept=accept_branch,
                skip_if=lambda d: bool(d.get("_one_branch"))),
           Step("present", CHECKLIST, N_("Tick the members present, then tap Done."), items=present_items,
                accept=accept_present, bulk=True),
           Step("on", DATE, DATE_PROMPT),
           Step("note", TEXT, N_("The topic of the meeting, or Skip:"), optional=True, max_len=200)),
    summary=lambda ctx, d: [line(ctx, N_("Meeting branch"), d.get("branch_name")),
                            ctx._("Present: {n} members", n=len(d.get("present") or [])),
                            field(ctx, N_("Date"), date_text(ctx, d.get("on"))), line(ctx, N_("Topic"), d.get("note"))],
    save=save_attendance)


# ---- 党费 -------------------------------------------------------------------------------------------

async def save_dues(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    await records.record_dues(ctx.services, ctx.actor, d["member_id"], date.fromisoformat(d["on"]), d["amount"])
    return ctx._("Recorded: {name} paid ¥{amount} on {date}.", name=esc(d["member_name"]), amount=d["amount"],
                 date=date_text(ctx, d["on"])), member_rows(ctx, d)


DUES_FLOW = Flow(
    code="du", title=N_("党费 payment"), home=OFFICER_HOME, command="dues",
    command_help=N_("Record a 党费 payment"), start_with=preset_member,
    aliases={"date": "on", "member": "member_id"},
    steps=(member_step(),
           Step("on", DATE, N_("On which day was it paid? Tap Today, or type a date.")),
           Step("amount", TEXT, N_("How much (yuan)? e.g. 30 or 12.50"), max_len=20,
                parse=lambda text, ctx, d: records.parse_amount(text))),
    summary=lambda ctx, d: [line(ctx, N_("Member"), d.get("member_name")),
                            field(ctx, N_("Date"), date_text(ctx, d.get("on"))),
                            field(ctx, N_("Amount"), f"¥{esc(d.get('amount'))}")],
    save=save_dues)


# ---- transfer out and its 回执 ---------------------------------------------------------------------

def _mobile(text: str, ctx: HandlerCtx, d: Draft) -> str:
    return normalise_mobile(text)


async def save_transfer(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    await records.record_transfer(ctx.services, ctx.actor, {
        "member_id": d["member_id"], "kind": d["kind"], "to_org": d["to_org"], "destination": d["destination"],
        "phone": d["phone"], "wechat": d.get("wechat"), "backup_name": d["backup_name"],
        "backup_phone": d["backup_phone"], "sent_on": d["sent_on"]})
    return ctx._("Recorded: {name} transferred out to {org}. The branch will track it until the 回执 comes back.",
                 name=esc(d["member_name"]), org=esc(d["to_org"])), member_rows(ctx, d)


def transfer_summary(ctx: HandlerCtx, d: Draft) -> list[str]:
    return [line(ctx, N_("Member"), d.get("member_name")),
            field(ctx, N_("Kind"), TransferKind(d["kind"]).label(ctx.tr) if d.get("kind") else "—"),
            line(ctx, N_("Mobile"), d.get("phone")), line(ctx, N_("WeChat"), d.get("wechat")),
            line(ctx, N_("Destination"), d.get("destination")),
            line(ctx, N_("Receiving Party organization"), d.get("to_org")),
            line(ctx, N_("Backup contact"), d.get("backup_name")),
            line(ctx, N_("Backup contact's phone"), d.get("backup_phone")),
            field(ctx, N_("Sent on"), date_text(ctx, d.get("sent_on")))]


TRANSFER_FLOW = Flow(
    code="tr", title=N_("Transfer out (四个清楚)"), home=OFFICER_HOME, command="transfer",
    command_help=N_("Record a transfer out (四个清楚)"), start_with=preset_member,
    aliases={"date": "sent_on", "member": "member_id", "backup_phone": "backup_phone"},
    steps=(member_step(),
           Step("kind", CHOICE, N_("Permanent or temporary transfer?"), options=enum_options(TransferKind), per_row=2),
           Step("phone", TEXT, N_("The member's mobile number:"), max_len=40, parse=_mobile),
           Step("wechat", TEXT, N_("The member's WeChat ID, or Skip:"), optional=True, max_len=60),
           Step("destination", TEXT, N_("Where will they work, study or live? (at most {max} characters)"),
                max_len=200),
           Step("to_org", TEXT, N_("The receiving Party organization:"), max_len=200),
           Step("backup_name", TEXT, N_("A backup contact: name and relation (e.g. 妻子张XX):"), max_len=40),
           Step("backup_phone", TEXT, N_("The backup contact's mobile number:"), max_len=40, parse=_mobile),
           Step("sent_on", DATE, N_("When was the transfer letter issued? Tap Today, or type a date."))),
    summary=transfer_summary, save=save_transfer)


async def transfer_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    found = await roster.transfers_without_receipt(ctx.services, ctx.actor, 0, size=PICK_LIMIT)
    items = [(line_.transfer.id, f"{short(line_.member_name, 20)} → {short(line_.transfer.to_org, 30)}")
             for line_ in found.items]
    return Listing(ctx._("Transfers awaiting their 回执: {n}. Tap one.", n=found.total), filtered(items, query))


async def accept_transfer(ctx: HandlerCtx, d: Draft, transfer_id: Any) -> None:
    transfer, member = await records.get_transfer(ctx.services, ctx.actor, transfer_id)
    d.update(transfer_id=transfer.id, member_id=member.id, member_name=member.name, to_org=transfer.to_org,
             sent_on=transfer.sent_on.isoformat())


def _receipt_date(iso: str, ctx: HandlerCtx, d: Draft) -> str:
    if d.get("sent_on") and iso < d["sent_on"]:
        raise DomainError(N_("The 回执 cannot come before the transfer was sent ({date})"), field="on",
                          date=d["sent_on"])
    return iso


async def save_receipt(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    await records.record_receipt(ctx.services, ctx.actor, d["transfer_id"], date.fromisoformat(d["on"]), d.get("note"))
    return ctx._("Recorded: the 回执 for {name}'s transfer to {org} came back on {date}.", name=esc(d["member_name"]),
                 org=esc(d["to_org"]), date=date_text(ctx, d["on"])), [menu_button(ctx)]


RECEIPT_FLOW = Flow(
    code="rc", title=N_("回执 received"), home=OFFICER_HOME, command="receipt",
    command_help=N_("Record a transfer's 回执"), start_with=preset_by(accept_transfer),
    aliases={"date": "on", "receipt_on": "on"},
    steps=(given_pick("transfer_id", N_("Which transfer?"), transfer_items, accept_transfer),
           Step("on", DATE, N_("When did the 回执 come back? Tap Today, or type a date."), parse=_receipt_date),
           Step("note", TEXT, N_("A note, or Skip:"), optional=True, max_len=500, multiline=True)),
    summary=lambda ctx, d: [line(ctx, N_("Member"), d.get("member_name")),
                            line(ctx, N_("Receiving Party organization"), d.get("to_org")),
                            field(ctx, N_("Sent on"), date_text(ctx, d.get("sent_on"))),
                            field(ctx, N_("回执 received on"), date_text(ctx, d.get("on"))),
                            line(ctx, N_("Note"), d.get("note"))],
    save=save_receipt)


# ---- responsible officer ----------------------------------------------------------------------------

async def flow_member_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    found = await roster.flow_members(ctx.services, ctx.actor, 0, size=PICK_LIMIT)
    items = [(f.id, f"{LEVEL_ICON[f.level]} {short(f.name, 30)}") for f in found.items]
    return Listing(ctx._("Flow members: {n}. Tap one, or type a name.", n=found.total), filtered(items, query))


async def accept_flow_member(ctx: HandlerCtx, d: Draft, member_id: Any) -> None:
    await accept_member(ctx, d, member_id)
    member = await roster.visible_member(ctx.services, ctx.actor, member_id)
    if member.flow is None:
        raise DomainError(N_("{name} is not a flow member"), field="member_id", name=member.name)


async def officer_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    people = await roster.branch_members(ctx.services, ctx.actor, int(d["branch_id"]))
    items = member_items([p for p in people if p.id != d.get("member_id")])
    return Listing(ctx._("Who keeps in touch with {name}? Tap a member, or type a name.",
                         name=esc(d.get("member_name"))), filtered(items, query))


async def accept_officer(ctx: HandlerCtx, d: Draft, officer_id: Any) -> None:
    officer = await roster.visible_member(ctx.services, ctx.actor, officer_id)
    d.update(officer_id=officer.id, officer_name=officer.name)


async def save_officer(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    await records.assign_officer(ctx.services, ctx.actor, d["member_id"], d["officer_id"])
    return ctx._("Recorded: {officer} keeps in touch with {name}.", officer=esc(d["officer_name"]),
                 name=esc(d["member_name"])), member_rows(ctx, d)


OFFICER_FLOW = Flow(
    code="of", title=N_("Responsible officer (指定专人)"), home=OFFICER_HOME, command="officer",
    command_help=N_("Set a flow member's responsible officer"), start_with=preset_by(accept_flow_member),
    aliases={"member": "member_id", "officer": "officer_id"},
    steps=(given_pick("member_id", N_("Which flow member?"), flow_member_items, accept_flow_member),
           Step("officer_id", PICK, N_("Which member of the branch will be responsible?"), items=officer_items,
                accept=accept_officer)),
    summary=lambda ctx, d: [line(ctx, N_("Flow member"), d.get("member_name")),
                            line(ctx, N_("Responsible officer"), d.get("officer_name"))],
    save=save_officer)


FLOWS = (REGAINED_FLOW, ATTENDANCE_FLOW, DUES_FLOW, TRANSFER_FLOW, RECEIPT_FLOW, OFFICER_FLOW)
