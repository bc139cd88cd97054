"""Fill the three summary forms for an organization node on a 填表日期: one query each, then the checks.

The query returns (branch, 职业) groups already counted by SQL; here they are only added into the
职业 rows, the per-branch rows and 合计 (at most branches × 8 small dicts), then every identity is
checked: a table that does not add up raises SummaryIdentityError before anything is written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.codes import Outcome
from bot.domain.errors import NotFound
from bot.domain.summary_rules import BucketEdges
from bot.forms.summary import disposition_stats, disposition_summary, lost_summary
from bot.forms.summary.table import TOTAL_LABEL, Note, SummaryForm, SummaryTable, add_into, occupation_rows
from bot.i18n import N_
from bot.forms.queries import Reader
from bot.forms.registers.lost_facts import STATE_ZH

FORMS = ("lost-summary", "disposition-summary", "disposition-stats")


def _org_names(db: Reader, org_id: int) -> tuple[str, dict[int, tuple[str, bool]]]:
    """The node's name and the names of the branches below it (the by-branch rows, in name order)."""
    rows = db.all(
        "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
        " SELECT o.id, o.name, o.level FROM orgs o JOIN sub ON sub.id = o.id", (org_id,))  # noqa: E501
    if not rows:
        raise NotFound(N_("No organization with id {id}"), field="org", id=org_id)
    name = next(r["name"] for r in rows if r["id"] == org_id)
    # Every branch gets a row, even with nothing to count (in name order); a node of another level shows
    # up only if members hang on it directly (`_rows_of`).
    ordered = sorted(rows, key=lambda r: (r["level"] != "branch", r["name"], r["id"]))
    return name, {r["id"]: (r["name"], r["level"] == "branch") for r in ordered}


def _rows_of(nodes: dict[int, tuple[str, bool]], present: set[int]) -> list[int]:
    return [n for n, (_, is_branch) in nodes.items() if is_branch or n in present]


def _grouped(form: SummaryForm, org_name: str, as_of: date, nodes: dict[int, tuple[str, bool]], groups: list[dict[str, Any]],
             extra_keys: list[str]) -> SummaryTable:
    """Add (branch, 职业) groups into the 职业 rows, the branch rows and 合计."""
    keys = form.keys + extra_keys
    by_occ: dict[str, dict[str, int]] = {k: {} for k, _ in occupation_rows()}
    by_branch: dict[int, dict[str, int]] = {b: {} for b in _rows_of(nodes, {g["branch_id"] for g in groups})}
    total: dict[str, int] = {}
    for g in groups:
        add_into(by_occ.setdefault(g["occ"] or "other", {}), g, keys)   # no 职业 on record: ⑧其他
        add_into(by_branch.setdefault(g["branch_id"], {}), g, keys)
        add_into(total, g, keys)
    rows = [(label, {k: by_occ[key].get(k, 0) for k in keys}) for key, label in occupation_rows()]
    branch_rows = [(nodes[b][0], {k: v.get(k, 0) for k in keys}) for b, v in by_branch.items()]
    return SummaryTable(form=form, org_name=org_name, as_of=as_of, rows=rows,
                        total={k: total.get(k, 0) for k in keys}, by_branch=branch_rows)


def _named(row: Any, names: list[str]) -> dict[str, Any]:
    return {n: row[i] for i, n in enumerate(names)}


def _prepare(db: Reader, module: Any, org_id: int, as_of: date) -> tuple[SummaryForm, dict, str, dict]:
    """The form, its SQL parameters (IN-lists, the bucket edges of `as_of`, the node), the node's name and
    the nodes below it."""
    form, params = module.form()
    org_name, nodes = _org_names(db, org_id)
    params.update(BucketEdges.on(as_of).params(), org=org_id)
    return form, params, org_name, nodes


def build_lost_summary(db: Reader, org_id: int, as_of: date) -> SummaryTable:
    """附件6 for the node's subtree on `as_of`, checked."""
    form, params, org_name, branches = _prepare(db, lost_summary, org_id, as_of)
    counted = [c.key for c in form.columns if c.sql]
    hidden = list(lost_summary.HIDDEN)
    names = ["branch_id", "occ", "排查前在册党员人数", "排查前在册预备党员", "_flow", *counted, *hidden]
    groups = [_named(r, names) for r in db.all(lost_summary.query(form), params)]
    table = _grouped(form, org_name, as_of, branches, groups, ["_flow", *hidden])
    table.supplement = f"补充资料：流动党员 {table.total['_flow']} 人。"
    notes = db.all(lost_summary.notes_query(), params)
    labels = {"_no_birth": "出生日期未记录", "_no_confirmed": "转正日期未记录", "_no_education": "学历未记录",
              "_no_lost_since": "失去联系时间无从计算",
              "_no_official": "最近一次参加组织生活或交纳党费日期未记录（失去联系时间按最近一次联系或录入日期计）",
              "_no_reason": "失去联系情形未记录（计入⑦其他）"}
    for r in notes:
        missing = "、".join(labels[k] for k in lost_summary.HIDDEN if r[k])
        table.notes.append(Note(r["branch"], r["member"], missing))
    table.check()
    return table


def build_disposition_summary(db: Reader, org_id: int, as_of: date) -> SummaryTable:
    """附件7 for the node's subtree on `as_of`, checked; undecided cases, 补转 and deaths on the notes."""
    form, params, org_name, branches = _prepare(db, disposition_summary, org_id, as_of)
    hidden = list(disposition_summary.hidden(params))
    names = ["branch_id", "occ", *form.keys, *hidden]
    groups = [_named(r, names) for r in db.all(disposition_summary.query(form, params), params)]
    table = _grouped(form, org_name, as_of, branches, groups, hidden)
    for r in db.all(disposition_summary.notes_query(), params):
        if not r["decided"]:
            text = f"处置尚未决定（{STATE_ZH.get(r['state'], r['state'])}）"
        elif r["outcome"] == Outcome.DECEASED.value:
            text = "确认已死亡（不列入本表）"
        else:
            text = "补转组织关系（不计入纳入组织管理）"
        table.notes.append(Note(r["branch"], r["member"], text))
    table.check()
    return table


def build_disposition_stats(db: Reader, org_id: int, as_of: date) -> SummaryTable:
    """统计表 A–X for the node's subtree on `as_of`: one row for the node, one per branch, checked."""
    form, params, org_name, branches = _prepare(db, disposition_stats, org_id, as_of)
    names = ["branch_id", *form.keys]
    groups = {r[0]: _named(r, names) for r in db.all(disposition_stats.query(form), params)}
    total: dict[str, int] = {}
    branch_rows = []
    for b in _rows_of(branches, set(groups)):
        name = branches[b][0]
        values = {k: int(groups.get(b, {}).get(k) or 0) for k in form.keys}
        add_into(total, values, form.keys)
        branch_rows.append((name, values))
    total = {k: total.get(k, 0) for k in form.keys}
    table = SummaryTable(form=form, org_name=org_name, as_of=as_of, rows=[(as_of.isoformat(), total)],
                         total=total, by_branch=branch_rows)
    table.check()
    return table


BUILDERS = {"lost-summary": build_lost_summary, "disposition-summary": build_disposition_summary,
            "disposition-stats": build_disposition_stats}


def build(db: Reader, name: str, org_id: int, as_of: date) -> SummaryTable:
    """The named summary form for the node's subtree on `as_of`, identities checked."""
    return BUILDERS[name](db, org_id, as_of)


__all__ = ["FORMS", "BUILDERS", "build", "TOTAL_LABEL"]
