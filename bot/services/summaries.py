"""Use cases: fill a summary table (附件6, 附件7, 统计表 A–X) for a node, and export it to a file.

Who may: the operator, and any officer holding a role on the node or a node above it (a committee user
for any node of its subtree, a secretary for their branch). Members and strangers are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from bot.domain.errors import DomainError, NotFound
from bot.forms.summary.build import FORMS, build
from bot.forms.summary.table import SummaryTable
from bot.forms.summary.writers import write_csv, write_xlsx
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.storage import orgs as org_repo

FORMATS = ("xlsx", "csv")


@dataclass
class SummaryExport:
    form: str
    org_id: int
    org_name: str
    as_of: date
    rows: int
    format: str


async def require_node(svc: Services, actor: Actor, org_id: int) -> None:
    """Raise NotFound for an unknown node, PermissionDenied unless the actor's roles cover it."""
    if await org_repo.get(svc.db, org_id) is None:
        raise NotFound(N_("No organization with id {id}"), field="org", id=org_id)
    await require_branch(svc.db, actor, org_id)


async def summary_table(svc: Services, actor: Actor, form: str, org_id: int, as_of: date | None = None) -> SummaryTable:
    """The named summary table over the node's subtree on `as_of` (today by default), identities checked."""
    if form not in FORMS:
        raise DomainError(N_("Unknown form “{name}”"), field="form", name=form)
    await require_node(svc, actor, org_id)
    return await build(svc.db, form, org_id, as_of or svc.clock.today())


async def export_summary(svc: Services, actor: Actor, form: str, org_id: int, out: Path | BinaryIO,
                         as_of: date | None = None, fmt: str = "xlsx", by_branch: bool = False) -> SummaryExport:
    """Build, check, write (xlsx: node, per-branch and notes sheets; csv: the node's rows or --by-branch),
    then audit who exported which form for which node (no personal values in the audit row)."""
    if fmt not in FORMATS:
        raise DomainError(N_("Unknown format “{name}”"), field="format", name=fmt)
    table = await summary_table(svc, actor, form, org_id, as_of)
    if fmt == "csv":
        rows = write_csv(table, out, by_branch=by_branch)
    else:
        write_xlsx(table, out)
        rows = len(table.rows)
    async with svc.db.write(actor.label) as tx:
        await tx.audit("export", org_id, "summary", None, {"form": form, "format": fmt, "by_branch": by_branch,
                                                            "as_of": table.as_of.isoformat(), "rows": rows})
    return SummaryExport(form, org_id, table.org_name, table.as_of, rows, fmt)
