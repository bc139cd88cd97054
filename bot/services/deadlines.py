"""The campaign timeline (seed 000: 学习部署 / 集中排查 / 规范处置 / 总结巩固) and reminders ahead of each deadline.

A node sets its deadlines (campaign_deadlines: stage, title, due date, responsible user). The scan
reminds the responsible user — or whoever answers for the node — `deadline_lead_days` ahead (default
7 and 1 days). After a downtime only the nearest lead still ahead is sent, not every one missed; a
deadline marked done, or past, is not reminded. Moving a due date re-arms its reminders.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from bot.domain.errors import DomainError
from bot.i18n import N_
from bot.services.context import Actor, Services, require_branch
from bot.services.scan.batch import Batch, Recipient, ScanRun, locale_of
from bot.services.scan.messages import LINE_DEADLINE, LINE_DEADLINE_TODAY, STAGES, line
from bot.services.scan.settings import ReminderSettings
from bot.storage import scan_repo


def lead_due(due: date, today: date, leads: Sequence[int]) -> int | None:
    """The reminder lead (days before `due`) that applies today: the smallest lead already reached."""
    days_left = (due - today).days
    if days_left < 0:
        return None
    reached = [lead for lead in leads if days_left <= lead]
    return min(reached) if reached else None


async def deadline_reminders(run: ScanRun, conf: ReminderSettings, today: date, org_ids: Sequence[int] | None) -> None:
    async with run.tx() as tx:
        todo: list[tuple[str, Any, int]] = []
        for r in await scan_repo.open_deadlines(tx, today, org_ids):
            lead = lead_due(date.fromisoformat(r["due_on"]), today, conf.deadline_lead_days)
            if lead is not None:
                todo.append((f"deadline:{r['id']}:{r['due_on']}:{lead}", r, lead))
        done = await scan_repo.existing_marks(tx, [key for key, _r, _l in todo])
        fresh = [item for item in todo if item[0] not in done]
        if not fresh:
            return
        await scan_repo.add_marks(tx, [key for key, _r, _l in fresh])
        batch, flags = Batch(today), []
        for _key, r, lead in fresh:
            if r["responsible"] is not None and not r["blocked_at"]:
                to = [Recipient(r["responsible"], locale_of(r["locale"], r["lang_code"], run.default_locale))]
            else:
                to = run.contacts.responsible(r["org_id"])
            days = (date.fromisoformat(r["due_on"]) - today).days
            stage = STAGES.get(r["stage"], r["stage"])
            item = (line(LINE_DEADLINE_TODAY, ("stage",), stage=stage, title=r["title"], date=r["due_on"]) if days == 0
                    else line(LINE_DEADLINE, ("stage",), stage=stage, title=r["title"], date=r["due_on"], days=days))
            flag = run.flag("deadline", r["org_id"], detail={"deadline_id": r["id"], "stage": r["stage"],
                                                         "due_on": r["due_on"], "lead_days": lead})
            batch.add("deadline", r["org_id"], to, {}, item, f"deadline:{r['id']}", flag)
            flags.append(flag)
        await run.finish(tx, batch, flags)


async def set_deadline(services: Services, actor: Actor, org_id: int, stage: str, title: str, due_on: date,
                       responsible: int | None = None) -> int:
    """Add one deadline of the campaign timeline to a node (the operator or a role holder of the node)."""
    await require_branch(services.db, actor, org_id)
    if stage not in STAGES:
        raise DomainError(N_("Unknown campaign stage {stage}"), field="stage", stage=str(stage)[:40])
    title = " ".join(str(title).split())[:200]
    if not title:
        raise DomainError(N_("A deadline needs a title"), field="title")
    async with services.db.write(actor.label) as tx:
        new_id = await tx.insert("INSERT INTO campaign_deadlines (org_id, stage, title, due_on, responsible)"
                                 " VALUES (?,?,?,?,?)", (org_id, stage, title, due_on.isoformat(), responsible))
        await tx.audit("campaign_deadline", new_id, "create", None,
                       {"org_id": org_id, "stage": stage, "title": title, "due_on": due_on.isoformat(),
                        "responsible": responsible})
    return new_id
