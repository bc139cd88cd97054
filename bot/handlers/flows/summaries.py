"""/summary: an officer exports one of the summary tables (附件6, 附件7, 统计表 A–X) for a node they hold a
role on, or any node below it: pick the table, the node, the 填表日期, confirm; the xlsx arrives as a
document. The export itself is bot.services.forms.export_form (permission re-checked for the node picked,
built off the event loop, audited); a table that does not add up is refused with its cells named.
"""

from __future__ import annotations

import io
from datetime import date

from bot.domain.errors import PermissionDenied
from bot.forms import registry
from bot.forms.registry import FormRequest
from bot.forms.summary.build import FORMS
from bot.handlers.common import HandlerCtx
from bot.handlers.flows.common import OFFICER_HOME
from bot.handlers.labels import date_text, field, line
from bot.handlers.markup import esc
from bot.handlers.secretary_members import menu_button
from bot.handlers.wizard import CHOICE, DATE, PICK, Draft, Flow, Listing, Result, Step
from bot.handlers.wizard.screen import Screen
from bot.i18n import N_
from bot.services import forms as forms_svc
from bot.services import stats as stats_svc


def form_options(ctx: HandlerCtx, draft: Draft) -> list[tuple[str, str]]:
    """The three summary tables by their official titles (the forms' own wording)."""
    return [(name, registry.get(name).title) for name in FORMS]


async def node_items(ctx: HandlerCtx, draft: Draft, query: str | None, page: int) -> Listing:
    nodes = await stats_svc.visible_nodes(ctx.services, ctx.actor)
    items = [(nid, name) for nid, name in nodes if not query or query in name]
    return Listing(ctx._("For which organization? (its whole subtree is summed)"), items)


async def accept_node(ctx: HandlerCtx, draft: Draft, org_id: int) -> None:
    nodes = dict(await stats_svc.visible_nodes(ctx.services, ctx.actor))
    if org_id not in nodes:            # a forged id: the same words as for a node that does not exist
        raise PermissionDenied(N_("You are not allowed to do that"))
    draft["org_name"] = nodes[org_id]


async def save(ctx: HandlerCtx, d: Draft, screen: Screen) -> Result:
    spec = registry.get(d["form"])
    req = FormRequest(form=spec.name, org_id=int(d["org"]), as_of=date.fromisoformat(d["on"]), fmt="xlsx")
    await screen.progress(ctx._("Filling {title} for {org}…", title=esc(spec.title), org=esc(d["org_name"])))
    buf = io.BytesIO()
    result = await forms_svc.export_form(ctx.services, ctx.actor, req, buf)
    await screen.send_document(buf.getvalue(), result.filename,
                               caption=ctx._("{title} · {org} · {date} · {rows} counted", title=esc(spec.title),
                                             org=esc(result.scope_name), date=req.as_of.isoformat(),
                                             rows=result.rows))
    return ctx._("Sent {file}.", file=esc(result.filename)), [menu_button(ctx)]


SUMMARY_FLOW = Flow(
    code="sx", title=N_("Summary table"), home=OFFICER_HOME, command="summary",
    command_help=N_("Export a summary table (附件6, 附件7, 统计表 A–X)"),
    aliases={"org": "org", "as_of": "on"},
    steps=(Step("form", CHOICE, N_("Which table?"), options=form_options),
           Step("org", PICK, N_("For which organization? Type a part of its name, or tap below."), items=node_items,
                accept=accept_node),
           Step("on", DATE, N_("The 填表日期? Tap Today, or type a date."))),
    summary=lambda ctx, d: [line(ctx, N_("Table"), registry.get(d["form"]).title if d.get("form") else None),
                            line(ctx, N_("Organization"), d.get("org_name")),
                            field(ctx, N_("Date"), date_text(ctx, d.get("on")))],
    save=save)

FLOWS = (SUMMARY_FLOW,)
