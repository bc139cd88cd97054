"""Outbox notices of a case: to whoever the next step waits for, and to the branch on a decision or rejection.

Written in the same transaction as the step, rendered in each recipient's language, with a button that opens
the case (callback `k:open:<case id>`: the handler re-checks who may see it). The idempotency key names the
step row, so a retried transaction never tells anyone twice.
"""

from __future__ import annotations

from typing import Any

from bot.domain import disposition
from bot.domain.codes import Outcome, Role
from bot.i18n import N_, normalize_locale, translator
from bot.storage import cases as case_repo
from bot.storage import orgs as org_repo
from bot.storage import outbox
from bot.storage.db import Tx

CALLBACK_OPEN = "k:open:{case_id}"
T_WAITS = N_("Lost-contact case {case} ({name}): “{step}” waits for you.")
T_DECIDED = N_("Lost-contact case {case} ({name}) is decided: {outcome}.")
T_REJECTED = N_("Lost-contact case {case} ({name}) was sent back to the branch at “{step}”: {reason}")
T_OPEN = N_("📂 Open the case")

LEVEL_ROLES = {disposition.BRANCH: (Role.SECRETARY, Role.ORGANIZER), disposition.COMMITTEE: (Role.COMMITTEE,),
               disposition.DEPARTMENT: (Role.ORG_DEPT,)}
_MAX_REASON = 300   # a notice quotes the start of a rejection's reason; the card shows all of it


async def recipients(tx: Tx, branch_id: int, level: str) -> list[Any]:
    """The holders of the level's roles on the nearest node above (or at) the branch that has any."""
    roles = LEVEL_ROLES[level]
    for org_id in await org_repo.ancestors(tx, branch_id):
        holders = await case_repo.role_holders(tx, org_id, roles)
        if holders:
            return holders
    return []


async def _send(tx: Tx, holders: list[Any], key: str, kind: str, case_id: int, actor_tg: int | None,
                msgid: str, **params: Any) -> int:
    sent = 0
    for h in holders:
        if h["tg_id"] == actor_tg:
            continue   # the one who just acted needs no message about it
        tr = translator(normalize_locale(h["locale"]))
        values = {k: (tr.gettext(v) if k in ("step", "outcome") else v) for k, v in params.items()}
        buttons = [[{"text": tr.gettext(T_OPEN), "callback_data": CALLBACK_OPEN.format(case_id=case_id)}]]
        if await outbox.enqueue(tx, f"{key}:{h['tg_id']}", h["tg_id"], kind, tr.gettext(msgid, **values), buttons):
            sent += 1
    return sent


async def after_step(tx: Tx, case: case_repo.Case, branch_id: int, member_name: str, step_id: int,
                     actor_tg: int | None) -> int:
    """Tell whoever the case now waits for (beyond the branch's own search work), or the branch if decided."""
    key = f"case:{case.id}:step:{step_id}"
    if case.state == disposition.DECIDED:
        holders = await recipients(tx, branch_id, disposition.BRANCH)
        outcome = case.outcome.en if case.outcome else Outcome.STILL_SEARCHING.en
        return await _send(tx, holders, key, "case_decided", case.id, actor_tg, T_DECIDED, case=case.id,
                           name=member_name, outcome=outcome)
    nxt = disposition.next_step(case.state, case.outcome)
    if nxt is None or case.state not in (disposition.INVESTIGATED, *disposition.CHAIN_STATES):
        return 0
    holders = await recipients(tx, branch_id, nxt.level)
    return await _send(tx, holders, key, "case_step", case.id, actor_tg, T_WAITS, case=case.id, name=member_name,
                       step=disposition.STEP_LABEL[nxt.name])


async def after_rejection(tx: Tx, case: case_repo.Case, branch_id: int, member_name: str, step_id: int,
                          step_name: str, reason: str, actor_tg: int | None) -> int:
    holders = await recipients(tx, branch_id, disposition.BRANCH)
    short = reason if len(reason) <= _MAX_REASON else reason[:_MAX_REASON] + "…"
    return await _send(tx, holders, f"case:{case.id}:step:{step_id}", "case_rejected", case.id, actor_tg, T_REJECTED,
                       case=case.id, name=member_name, step=disposition.STEP_LABEL[step_name], reason=short)
