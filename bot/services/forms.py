"""Exporting an official form: who may, the work off the event loop, the audit row.

An officer exports for their own node or any node below it (a committee user for any branch of its
subtree, a secretary for their branch); the CLI operator for any node. Members and strangers may not:
the forms carry ID numbers. The build and the write run in a worker thread on a read-only connection
(one snapshot for the whole file), so a long export never stalls the bot. The audit row records who
exported which form for which node, in which format, and how many rows — no personal values.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable

from bot.domain.errors import DomainError, PermissionDenied
from bot.forms import queries
from bot.forms import registry
from bot.forms.output import filename, write_form
from bot.forms.registry import FormRequest, FormSpec
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class ExportResult:
    form: str
    title: str
    fmt: str
    scope_name: str
    rows: int
    filename: str


@dataclass(frozen=True)
class ScopeChoice:
    org_id: int
    name: str
    level: str          # OrgLevel key
    depth: int          # 0 for a node the actor holds a role on, 1 below it …


async def export_scopes(svc: Services, actor: Actor) -> list[ScopeChoice]:
    """The nodes the actor may export for: each node they hold a role on and every node below it, in tree
    order (one recursive query per role node; a user holds one or two). Members and strangers: none."""
    if not actor.roles and not actor.operator:
        raise PermissionDenied(N_("You are not allowed to do that"))
    roots = sorted({org_id for _role, org_id in actor.roles}) if not actor.operator else [
        r[0] for r in await svc.db.fetchall("SELECT id FROM orgs WHERE parent_id IS NULL ORDER BY id")]
    out: list[ScopeChoice] = []
    seen: set[int] = set()
    for root in roots:
        rows = await svc.db.fetchall(
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
            " SELECT o.id, o.parent_id, o.name, o.level FROM sub JOIN orgs o ON o.id = sub.id", (root,))
        children: dict[int | None, list[Any]] = {}
        for r in rows:
            children.setdefault(r["parent_id"], []).append(r)
        stack = [(r, 0) for r in rows if r["id"] == root]
        while stack:                      # depth first, children by name: the tree as it is drawn
            r, depth = stack.pop()
            if r["id"] not in seen:
                seen.add(r["id"])
                out.append(ScopeChoice(r["id"], r["name"], r["level"], depth))
            kids = sorted(children.get(r["id"], []), key=lambda k: (k["name"], k["id"]), reverse=True)
            stack.extend((k, depth + 1) for k in kids)
    return out


async def scope_members(svc: Services, actor: Actor, org_id: int, name: str | None = None,
                        limit: int = 500) -> list[tuple[int, str, str]]:
    """Active members of the node's subtree whose name contains `name`, as (id, name, branch name), by name:
    the member picker of the per-member forms (refused outside the actor's scope)."""
    await require_export(svc, actor, org_id)
    like = "%" + (name or "").strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await svc.db.fetchall(
        "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
        " SELECT m.id, m.name, o.name AS branch FROM members m JOIN sub ON sub.id = m.branch_id"
        " JOIN orgs o ON o.id = m.branch_id WHERE m.active = 1 AND m.name LIKE ? ESCAPE '\\'"
        " ORDER BY m.name, m.id LIMIT ?", (org_id, like, limit))
    return [(r["id"], r["name"], r["branch"]) for r in rows]


def form(name: str) -> FormSpec:
    """The form called `name` (DomainError if there is none)."""
    return registry.get(name)


def forms_list() -> list[FormSpec]:
    """Every form the bot and the CLI can fill, by number."""
    return registry.catalog()


async def require_export(svc: Services, actor: Actor, org_id: int) -> None:
    """An officer of the node or of a node above it (or the operator); everyone else is refused."""
    if actor.operator:
        return
    if not actor.roles:
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, org_id)


def _check_members(db: queries.Reader, scope: registry.Scope, member_ids: tuple[int, ...]) -> None:
    if not member_ids:
        return
    marks = ",".join("?" * len(member_ids))
    rows = db.all(f"SELECT id, branch_id FROM members WHERE id IN ({marks})", member_ids)
    inside = set(scope.org_ids)
    if len(rows) != len(set(member_ids)) or any(r["branch_id"] not in inside for r in rows):
        # The same refusal whether the member does not exist or is outside the scope.
        raise PermissionDenied(N_("You are not allowed to do that"))


async def export_form(svc: Services, actor: Actor, req: FormRequest, target: str | Path | IO[bytes],
                      progress: Progress | None = None) -> ExportResult:
    """Fill the form for the request and write it to `target` (a path or a binary stream)."""
    spec = registry.get(req.form)
    registry.check_request(spec, req)
    if req.as_of > svc.clock.today():
        raise DomainError(N_("{date} is in the future"), field="as_of", date=req.as_of.isoformat())
    await require_export(svc, actor, req.org_id)

    def work() -> tuple[Any, registry.Scope, int]:
        with queries.Reader(svc.db.path) as reader:
            scope = queries.scope(reader, req.org_id)
            _check_members(reader, scope, req.member_ids)
            doc = spec.build(reader, req, scope)
            try:
                rows = write_form(doc, req.fmt, target, progress)
            except BaseException:
                if isinstance(target, (str, Path)) and os.path.exists(target):
                    os.unlink(target)      # never leave half a form behind
                raise
            # a summary's "rows" are what it counted (its lines are groups, not members)
            return doc, scope, doc.row_count if spec.kind == registry.SUMMARY else rows

    doc, scope, rows = await asyncio.to_thread(work)
    async with svc.db.write(actor.label) as tx:
        await tx.audit("export", spec.name, "export", None,
                       {"form": spec.name, "org_id": req.org_id, "format": req.fmt, "variant": req.variant,
                        "as_of": req.as_of.isoformat(), "members": len(req.member_ids), "rows": rows})
    first = None
    if len(req.member_ids) == 1 and doc.records is not None and doc.records.records:
        first = getattr(doc.records.records[0], "name", None)
    return ExportResult(spec.name, spec.title, req.fmt, scope.name, rows,
                        filename(doc.title, first or scope.name, req.as_of, req.fmt))
