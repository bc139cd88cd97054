"""The weekly digest: to each secretary for their branch, to committee users for every branch under them.

Counts by contact level, who crossed a threshold this week, and what is overdue (transfers without
回执, cases without a recent search attempt, removals due under the 2019 rule, deadlines this week).
One message per recipient, node and ISO week (outbox key "digest:<tg>:<org>:<YYYY-Www>").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Sequence

from bot.domain.codes import Role
from bot.domain.disposition import removal_due_on
from bot.i18n import DEFAULT_LOCALE, N_, translator
from bot.services.context import SCHEDULER, Actor, Services
from bot.services.scan.batch import Contacts, Recipient
from bot.services.scan.messages import esc
from bot.services.scan.settings import all_effective_settings
from bot.storage import invites as invite_repo
from bot.storage import outbox as outbox_repo
from bot.storage import scan_repo

DIGEST_JOB = "digest"
NAMES_PER_BRANCH = 20
BRANCH_LINES = 40

T_TITLE = N_("Weekly summary for {org}, week of {date}")
T_IN_CONTACT = N_("In contact: {n}")
T_OUT_OF_CONTROL = N_("No contact for more than a month: {n}")
T_LOST = N_("Lost contact (more than six months): {n}")
T_CROSSED = N_("Crossed a threshold this week: {n}")
T_CROSSED_OOC = N_("{name}: no contact for more than a month")
T_CROSSED_LOST = N_("{name}: lost contact")
T_MORE = N_("… and {n} more")
T_OVERDUE = N_("Overdue: {transfers} transfers without receipt, {cases} cases without a recent search attempt, "
               "{removals} removals due")
T_DEADLINES = N_("Campaign deadlines in the next seven days: {n}")
T_NOT_BOUND = N_("Not yet connected to the bot: {missing} of {total} members")
T_BRANCHES = N_("By branch:")
T_BRANCH_LINE = N_("{org}: {ok} in contact, {ooc} out of contact, {lost} lost, {crossed} crossed this week, "
                   "{overdue} overdue")


@dataclass
class BranchStats:
    levels: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0})
    crossed: int = 0
    crossed_names: list[tuple[str, int]] = field(default_factory=list)
    transfers: int = 0
    cases: int = 0
    removals: int = 0
    deadlines: int = 0
    members: int = 0          # active members, and how many of them are bound to a Telegram account (issue 15)
    bound: int = 0

    def add(self, other: "BranchStats") -> None:
        for level, n in other.levels.items():
            self.levels[level] = self.levels.get(level, 0) + n
        self.crossed += other.crossed
        self.transfers += other.transfers
        self.cases += other.cases
        self.removals += other.removals
        self.deadlines += other.deadlines
        self.members += other.members
        self.bound += other.bound

    @property
    def overdue(self) -> int:
        return self.transfers + self.cases + self.removals


async def branch_stats(db: Any, org_ids: Sequence[int], today: date, settings: dict[int, Any]) -> dict[int, BranchStats]:
    """The digest's numbers for each node (its own members only), from a few grouped queries."""
    ids = sorted(set(org_ids))
    stats = {oid: BranchStats() for oid in ids}
    scope, params = scan_repo.scope_sql("branch_id", ids)
    week_ago = (today - timedelta(days=7)).isoformat()
    for b, level, n in await db.fetchall(
            f"SELECT branch_id, contact_level, COUNT(*) FROM members WHERE active = 1{scope} GROUP BY 1, 2", params):
        stats[b].levels[level] = n
    for b, n in await db.fetchall(
            f"SELECT branch_id, COUNT(*) FROM members WHERE active = 1 AND contact_level > 0 AND level_since > ?{scope}"
            " GROUP BY 1", (week_ago, *params)):
        stats[b].crossed = n
    for b, name, level in await db.fetchall(
            "SELECT branch_id, name, contact_level FROM (SELECT branch_id, name, contact_level, ROW_NUMBER() OVER"
            " (PARTITION BY branch_id ORDER BY level_since DESC, name) AS n FROM members WHERE active = 1"
            f" AND contact_level > 0 AND level_since > ?{scope}) WHERE n <= ?", (week_ago, *params, NAMES_PER_BRANCH)):
        stats[b].crossed_names.append((name, level))
    mscope, mparams = scan_repo.scope_sql("m.branch_id", ids)
    for b, n in await db.fetchall(
            "SELECT m.branch_id, COUNT(*) FROM transfers t JOIN members m ON m.id = t.member_id"
            f" WHERE t.receipt_on IS NULL AND t.flagged_on IS NOT NULL AND m.active = 1{mscope} GROUP BY 1", mparams):
        stats[b].transfers = n
    for b, opened, last in await db.fetchall(
            "SELECT m.branch_id, c.opened_on, (SELECT MAX(s.on_date) FROM search_attempts s WHERE s.case_id = c.id)"
            " FROM cases c JOIN members m ON m.id = c.member_id WHERE c.state = 'searching' AND c.closed_on IS NULL"
            f" AND c.regained_on IS NULL AND m.active = 1{mscope}", mparams):
        base = max(opened, last or "")
        if (today - date.fromisoformat(base)).days >= settings[b].case_idle_days:
            stats[b].cases += 1
    async_rows = await db.fetchall(
        "SELECT m.branch_id, c.suspended_since FROM cases c JOIN members m ON m.id = c.member_id"
        " WHERE c.suspended_since IS NOT NULL AND c.regained_on IS NULL AND COALESCE(c.outcome, '') != 'removed_lapsed'"
        f" AND m.active = 1{mscope}", mparams)
    for b, since in async_rows:
        if settings[b].policy == "2019" and removal_due_on(date.fromisoformat(since)) <= today:
            stats[b].removals += 1
    dscope, dparams = scan_repo.scope_sql("org_id", ids)
    for o, n in await db.fetchall(
            f"SELECT org_id, COUNT(*) FROM campaign_deadlines WHERE done_on IS NULL AND due_on >= ? AND due_on <= ?"
            f"{dscope} GROUP BY 1", (today.isoformat(), (today + timedelta(days=7)).isoformat(), *dparams)):
        stats[o].deadlines = n
    for oid, (bound, total) in (await invite_repo.binding_counts(db, ids)).items():
        stats[oid].bound, stats[oid].members = bound, total
    return stats


def render_branch(locale: str, org_name: str, today: date, s: BranchStats) -> str:
    tr = translator(locale)
    out = [tr.gettext(T_TITLE, org=esc(org_name), date=today.isoformat()), "",
           tr.gettext(T_IN_CONTACT, n=s.levels.get(0, 0)), tr.gettext(T_OUT_OF_CONTROL, n=s.levels.get(1, 0)),
           tr.gettext(T_LOST, n=s.levels.get(2, 0)), tr.gettext(T_CROSSED, n=s.crossed)]
    for name, level in s.crossed_names:
        out.append("• " + tr.gettext(T_CROSSED_LOST if level == 2 else T_CROSSED_OOC, name=esc(name)))
    if s.crossed > len(s.crossed_names):
        out.append(tr.gettext(T_MORE, n=s.crossed - len(s.crossed_names)))
    out.append(tr.gettext(T_OVERDUE, transfers=s.transfers, cases=s.cases, removals=s.removals))
    out.append(tr.gettext(T_DEADLINES, n=s.deadlines))
    out.append(tr.gettext(T_NOT_BOUND, missing=s.members - s.bound, total=s.members))
    return "\n".join(out)


def render_committee(locale: str, org_name: str, today: date, branches: list[tuple[str, BranchStats]]) -> str:
    tr = translator(locale)
    total = BranchStats()
    for _name, s in branches:
        total.add(s)
    out = [tr.gettext(T_TITLE, org=esc(org_name), date=today.isoformat()), "",
           tr.gettext(T_IN_CONTACT, n=total.levels.get(0, 0)), tr.gettext(T_OUT_OF_CONTROL, n=total.levels.get(1, 0)),
           tr.gettext(T_LOST, n=total.levels.get(2, 0)), tr.gettext(T_CROSSED, n=total.crossed),
           tr.gettext(T_OVERDUE, transfers=total.transfers, cases=total.cases, removals=total.removals),
           tr.gettext(T_DEADLINES, n=total.deadlines),
           tr.gettext(T_NOT_BOUND, missing=total.members - total.bound, total=total.members)]
    ranked = sorted(branches, key=lambda b: (-(b[1].overdue + b[1].levels.get(2, 0) + b[1].crossed), b[0]))
    if ranked:
        out += ["", tr.gettext(T_BRANCHES)]
        for name, s in ranked[:BRANCH_LINES]:
            out.append("• " + tr.gettext(T_BRANCH_LINE, org=esc(name), ok=s.levels.get(0, 0), ooc=s.levels.get(1, 0),
                                         lost=s.levels.get(2, 0), crossed=s.crossed, overdue=s.overdue))
        if len(ranked) > BRANCH_LINES:
            out.append(tr.gettext(T_MORE, n=len(ranked) - BRANCH_LINES))
    return "\n".join(out)


async def run_digest(services: Services, actor: Actor = SCHEDULER, *, org_ids: Sequence[int] | None = None,
                     default_locale: str = DEFAULT_LOCALE, record_job: bool = True) -> int:
    """Queue this week's digest for the secretaries and committee users of the given nodes (default all).

    Returns the number of new messages; a second call in the same ISO week adds none.
    """
    db = services.db
    now = services.clock.now()
    settings = await all_effective_settings(db, services.clock.tz.key)
    orgs, roles = await scan_repo.contacts_rows(db)
    contacts = Contacts(orgs, roles, default_locale)
    scope = sorted(settings) if org_ids is None else sorted(o for o in set(org_ids) if o in settings)
    children: dict[int, list[int]] = {}
    for oid, parent in contacts.parent.items():
        if parent is not None:
            children.setdefault(parent, []).append(oid)

    def subtree(oid: int) -> list[int]:
        out, stack = [], [oid]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(children.get(node, []))
        return out

    wanted: list[tuple[int, Role, Recipient]] = []
    needed: set[int] = set()
    for oid in scope:
        for r in contacts.holding(oid, Role.SECRETARY):
            wanted.append((oid, Role.SECRETARY, r))
            needed.add(oid)
        for r in contacts.holding(oid, Role.COMMITTEE):
            wanted.append((oid, Role.COMMITTEE, r))
            needed.update(subtree(oid))
    today = now.astimezone(services.clock.tz).date()
    stats = await branch_stats(db, sorted(needed), today, settings) if wanted else {}
    rows = []
    for oid, role, r in wanted:
        local_today = now.astimezone(settings[oid].tz).date()
        year, week, _ = local_today.isocalendar()
        name = contacts.name.get(oid, str(oid))
        if role is Role.SECRETARY:
            text = render_branch(r.locale, name, local_today, stats[oid])
        else:
            branches = [(contacts.name.get(b, str(b)), stats[b]) for b in subtree(oid)
                        if b != oid and contacts.level.get(b) == "branch"]
            text = render_committee(r.locale, name, local_today, branches)
        rows.append((f"digest:{r.tg_id}:{oid}:{role.value}:{year}-W{week:02d}", r.tg_id, "digest",
                     outbox_repo.payload_json(text), f"org:{oid}"))
    async with db.write(actor.label) as tx:
        written = await outbox_repo.enqueue_many(tx, rows)
        if record_job:
            await scan_repo.record_runs(tx, DIGEST_JOB, [str(o) for o in scope], now)
    return written
