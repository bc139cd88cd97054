"""Officers' forms: /export (pick a form, the node — a committee user any node of its subtree —, the member
for per-member forms, the 填表日期, the format; the file arrives in this private chat), and the two records
the 回执 table needs: a transfer in, and the node's province.

Every answer is re-checked by bot.services.forms / transfers_in (a forged node or member id of another
branch gets the plain refusal); the export runs off the event loop while one message shows its progress.
"""

from __future__ import annotations

import asyncio
import io
import time
from datetime import date

from bot.domain.errors import PermissionDenied
from bot.domain.province import canonical
from bot.forms.registry import PER_MEMBER, FormRequest
from bot.handlers.common import HandlerCtx
from bot.handlers.flows.common import OFFICER_HOME
from bot.handlers.flows.pick import member_step, preset_member
from bot.handlers.labels import date_text, field, line
from bot.handlers.markup import esc, short
from bot.handlers.secretary_members import menu_button
from bot.handlers.wizard import CHOICE, DATE, PICK, TEXT, Draft, Flow, Listing, Result, Step
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import forms as forms_svc
from bot.services import transfers_in

ALL = 0                        # the member step's "every member that qualifies"
PROGRESS_EVERY = 2.0           # seconds between progress edits (Telegram: about one edit a second per chat)

# What the buttons call each form (English msgids; the zh_CN catalog gives the official titles).
FORM_LABELS = {
    "roster": N_("Branch member roster"),
    "flow": N_("Flow members register"),
    "lost": N_("Lost-contact members register"),
    "found": N_("Register of members reached after search"),
    "unreachable": N_("Register of members still unreachable"),
    "member-card": N_("Member information form (one per member)"),
    "search-record": N_("Search record (one per member)"),
    "case-record": N_("Search and disposition record (one per member)"),
    "receipts": N_("Yearly 回执 statistics"),
}
STANDARD = "std"               # the variant step's "no variant" (an empty value makes no button)
VARIANT_LABELS = {
    STANDARD: N_("Standard form"),
    "detailed": N_("With current work unit and residence"),
    "full": N_("Full form (flow block, abroad)"),
}


def _spec(d: Draft):
    return forms_svc.form(d["form"])


def form_options(ctx: HandlerCtx, d: Draft) -> list[tuple[str, str]]:
    return [(s.name, f"{s.number}. {ctx._(FORM_LABELS.get(s.name, s.title))}") for s in forms_svc.forms_list()]


def variant_options(ctx: HandlerCtx, d: Draft) -> list[tuple[str, str]]:
    return [(v, ctx._(VARIANT_LABELS.get(v, v))) for v in (STANDARD, *_spec(d).variants)]


def format_options(ctx: HandlerCtx, d: Draft) -> list[tuple[str, str]]:
    return [(f, f.upper()) for f in _spec(d).formats]


async def scope_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    scopes = await forms_svc.export_scopes(ctx.services, ctx.actor)
    items = [(s.org_id, "· " * s.depth + short(s.name, 40)) for s in scopes
             if not query or query.lower() in s.name.lower()]
    return Listing(ctx._("For which organization? A committee's form covers every branch under it."), items)


async def accept_scope(ctx: HandlerCtx, d: Draft, org_id: int) -> None:
    """The node, re-checked: the actor's own node or one below it (a forged id is refused)."""
    await forms_svc.require_export(ctx.services, ctx.actor, int(org_id))
    scopes = {s.org_id: s.name for s in await forms_svc.export_scopes(ctx.services, ctx.actor)}
    d.update(scope=int(org_id), scope_name=scopes.get(int(org_id), ""))


async def member_items(ctx: HandlerCtx, d: Draft, query: str | None, page: int) -> Listing:
    found = await forms_svc.scope_members(ctx.services, ctx.actor, d["scope"], query)
    items = [(ALL, ctx._("All members the form applies to"))] if not query else []
    items += [(mid, f"{short(name, 24)} · {short(branch, 20)}") for mid, name, branch in found]
    head = (ctx._("Members named “{name}”: {n}. Tap one, or type another name.", name=esc(query), n=len(found))
            if query else ctx._("Which member? Type the name (or a part of it), or tap below."))
    return Listing(head, items)


async def accept_member(ctx: HandlerCtx, d: Draft, member_id: int) -> None:
    if int(member_id) == ALL:
        d.update(member_id=ALL, member_name=None)
        return
    found = {mid: name for mid, name, _b in await forms_svc.scope_members(ctx.services, ctx.actor, d["scope"])}
    if int(member_id) not in found:
        raise PermissionDenied(N_("You are not allowed to do that"))
    d.update(member_id=int(member_id), member_name=found[int(member_id)])


async def init_export(ctx: HandlerCtx, d: Draft) -> None:
    """One node only (a secretary of one branch): it is the scope, no question asked."""
    scopes = await forms_svc.export_scopes(ctx.services, ctx.actor)
    if len(scopes) == 1:
        d.update(scope=scopes[0].org_id, scope_name=scopes[0].name, _one_scope=True)


def export_summary(ctx: HandlerCtx, d: Draft) -> list[str]:
    lines = [line(ctx, N_("Form"), ctx._(FORM_LABELS.get(d.get("form", ""), d.get("form", "")))),
             line(ctx, N_("Organization"), d.get("scope_name"))]
    if d.get("variant"):
        lines.append(line(ctx, N_("Version"), ctx._(VARIANT_LABELS.get(d["variant"], d["variant"]))))
    if d.get("member_id") is not None:
        lines.append(line(ctx, N_("Member"), d.get("member_name") or ctx._("All members the form applies to")))
    lines += [field(ctx, N_("Date the form is filled in"), date_text(ctx, d.get("as_of"))),
              line(ctx, N_("Format"), (d.get("fmt") or "").upper())]
    return lines


async def save_export(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    spec = _spec(d)
    members = (d["member_id"],) if d.get("member_id") else ()
    req = FormRequest(spec.name, d["scope"], date.fromisoformat(d["as_of"]), fmt=d["fmt"],
                      variant=None if d.get("variant") in (None, STANDARD) else d["variant"], member_ids=members)
    buffer = io.BytesIO()
    done = [0, None]

    def progress(n: int, total: int | None) -> None:   # called from the export's thread: just note it
        done[0], done[1] = n, total

    await screen.progress(ctx._("Filling in the form…"))
    task = asyncio.create_task(forms_svc.export_form(ctx.services, ctx.actor, req, buffer, progress))
    last = time.monotonic()
    while not task.done():
        await asyncio.wait({task}, timeout=0.5)
        if not task.done() and time.monotonic() - last >= PROGRESS_EVERY and done[0]:
            last = time.monotonic()
            await screen.progress(ctx._("Filling in the form… {done} of {total} rows", done=done[0],
                                        total=done[1] or "?"))
    result = task.result()
    caption = ctx._("{title} · {scope} · {date} · {rows} row(s)", title=esc(result.title), scope=esc(result.scope_name),
                    date=date_text(ctx, d["as_of"]), rows=result.rows)
    await screen.send_document(buffer.getvalue(), result.filename, caption=caption)
    return ctx._("Sent: {file}", file=esc(result.filename)), [menu_button(ctx)]


EXPORT_FLOW = Flow(
    code="ex", title=N_("Export a form"), home=OFFICER_HOME, command="export",
    command_help=N_("Fill an official form and get the file"), init=init_export,
    aliases={"org": "scope", "as_of": "as_of", "member": "member_id", "province": "scope"},
    steps=(
        Step("form", CHOICE, N_("Which form?"), options=form_options),
        Step("variant", CHOICE, N_("Which version of the form?"), options=variant_options,
             skip_if=lambda d: not d.get("form") or not forms_svc.form(d["form"]).variants,
             drop_when_skipped=True),
        Step("scope", PICK, N_("For which organization?"), items=scope_items, accept=accept_scope,
             skip_if=lambda d: bool(d.get("_one_scope"))),
        Step("member_id", PICK, N_("Which member? Type the name (or a part of it), or tap below."),
             items=member_items, accept=accept_member, drop_when_skipped=True,
             skip_if=lambda d: not d.get("form") or forms_svc.form(d["form"]).kind != PER_MEMBER),
        Step("as_of", DATE, N_("The date the form is filled in (填表日期): tap Today, or type a date.")),
        Step("fmt", CHOICE, N_("Which file format?"), options=format_options, per_row=2),
    ),
    summary=export_summary, save=save_export)


# ---- a transfer in, and the province ---------------------------------------------------------------------

def parse_province(text: str, ctx: HandlerCtx, d: Draft) -> str:
    return canonical(text)


async def save_transfer_in(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    sent = date.fromisoformat(d["receipt_sent"]) if d.get("receipt_sent") else None
    await transfers_in.record_transfer_in(ctx.services, ctx.actor, d["member_id"], date.fromisoformat(d["on"]),
                                          d["from_org"], d["province"], sent)
    return ctx._("Recorded: {name}'s relationship transferred in from {org} on {date}.", name=esc(d["member_name"]),
                 org=esc(d["from_org"]), date=date_text(ctx, d["on"])), [menu_button(ctx)]


TRANSFER_IN_FLOW = Flow(
    code="ti", title=N_("Transfer in"), home=OFFICER_HOME, start_with=preset_member,
    aliases={"member": "member_id", "date": "on", "receipt_sent_on": "receipt_sent"},
    steps=(member_step(),
           Step("on", DATE, N_("On which day did the relationship arrive? Tap Today, or type a date.")),
           Step("from_org", TEXT, N_("From which Party organization did it come?"), max_len=200),
           Step("province", TEXT, N_("In which province is that organization? e.g. 浙江"), max_len=20,
                parse=parse_province),
           Step("receipt_sent", DATE, N_("When was the 回执 sent back? Skip if not yet."), optional=True)),
    summary=lambda ctx, d: [line(ctx, N_("Member"), d.get("member_name")),
                            field(ctx, N_("Date"), date_text(ctx, d.get("on"))),
                            line(ctx, N_("From"), d.get("from_org")), line(ctx, N_("Province"), d.get("province")),
                            field(ctx, N_("回执 sent"), date_text(ctx, d.get("receipt_sent")))],
    save=save_transfer_in)


async def save_province(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    name = await transfers_in.set_province(ctx.services, ctx.actor, d["scope"], d["province"])
    return ctx._("{org} is in {province}.", org=esc(d["scope_name"]), province=esc(name)), [menu_button(ctx)]


PROVINCE_FLOW = Flow(
    code="pv", title=N_("Province of the organization"), home=OFFICER_HOME, init=init_export,
    aliases={"org": "scope"},
    steps=(Step("scope", PICK, N_("For which organization?"), items=scope_items, accept=accept_scope,
                skip_if=lambda d: bool(d.get("_one_scope"))),
           Step("province", TEXT, N_("In which province is it? e.g. 浙江"), max_len=20, parse=parse_province)),
    summary=lambda ctx, d: [line(ctx, N_("Organization"), d.get("scope_name")),
                            line(ctx, N_("Province"), d.get("province"))],
    save=save_province)

FLOWS = (EXPORT_FLOW, TRANSFER_IN_FLOW, PROVINCE_FLOW)
