"""The disposition of a lost-contact case through its approval chain (seed 004 附件4).

States follow the 全程纪实表 rows: the branch searches and investigates, the 支委会 proposes an
outcome, the 基层党委 pre-reviews, the upper 组织部门 pre-reviews removals (劝退/除名), the
支部党员大会 resolves, the 基层党委 approves, and the 组织部门 approves removals. A rejection at
any review sends the case back to the 支委会. Contact regained ends the search at any point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.codes import Outcome, PolicyVersion
from bot.domain.dates import add_months
from bot.domain.errors import DomainError
from bot.i18n import N_

# Case states, in chain order.
SEARCHING = "searching"
REGAINED = "regained"
PROPOSED = "proposed"                      # 支委会初步处置意见
PRE_REVIEWED = "pre_reviewed"              # 基层党委预审意见
DEPT_PRE_REVIEWED = "dept_pre_reviewed"    # 上一级组织部门预审 (removals only)
RESOLVED = "resolved"                      # 支部党员大会决议
APPROVED = "approved"                      # 基层党委审核（审批）
CLOSED = "closed"                          # 组织部门审批 done, or no such step needed

STATES = (SEARCHING, REGAINED, PROPOSED, PRE_REVIEWED, DEPT_PRE_REVIEWED, RESOLVED, APPROVED, CLOSED)

# Which organization level acts at each step: "branch", "committee" (基层党委) or "department".
STEP_ACTOR = {
    PROPOSED: "branch",
    PRE_REVIEWED: "committee",
    DEPT_PRE_REVIEWED: "department",
    RESOLVED: "branch",
    APPROVED: "committee",
    CLOSED: "department",
}

REMOVALS = {Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED}


@dataclass(frozen=True)
class Step:
    to_state: str
    actor_level: str


def next_step(state: str, outcome: Outcome | None) -> Step | None:
    """The next approval in the chain for a proposed outcome (None when the case is finished)."""
    removal = outcome in REMOVALS
    chain = [PROPOSED, PRE_REVIEWED] + ([DEPT_PRE_REVIEWED] if removal else []) + [RESOLVED, APPROVED]
    chain += [CLOSED] if removal else []
    if state == SEARCHING:
        return Step(PROPOSED, STEP_ACTOR[PROPOSED])
    if state in (REGAINED, CLOSED):
        return None
    if state == APPROVED and not removal:
        return None
    idx = chain.index(state)
    return Step(chain[idx + 1], STEP_ACTOR[chain[idx + 1]]) if idx + 1 < len(chain) else None


def advance(state: str, outcome: Outcome | None, actor_level: str, approve: bool) -> str:
    """Apply one decision; a rejection returns the case to the searching state for a new proposal."""
    step = next_step(state, outcome)
    if step is None:
        raise DomainError(N_("This case has no further step"), field="state")
    if step.actor_level != actor_level:
        raise DomainError(N_("This step is for the {level} to take"), field="state", level=step.actor_level)
    if step.to_state == PROPOSED:
        if outcome is None:
            raise DomainError(N_("A proposal names an outcome"), field="outcome")
        return PROPOSED
    return step.to_state if approve else SEARCHING


def is_final(state: str, outcome: Outcome | None) -> bool:
    return state in (REGAINED, CLOSED) or (state == APPROVED and outcome not in REMOVALS)


def proposal_for_unreachable(policy: PolicyVersion, suspended_since: date | None, today: date) -> Outcome:
    """What the rules propose for a member still unreachable after six months of searching.

    2016 campaign: removal as 自行脱党. 2019 regulation (条例 art. 29): suspend membership first,
    and only after two years of suspension without contact remove as 自行脱党.
    """
    if policy is PolicyVersion.CAMPAIGN_2016:
        return Outcome.REMOVED_LAPSED
    if suspended_since is None:
        return Outcome.SUSPENDED_UNREACHABLE
    if today >= add_months(suspended_since, 24):
        return Outcome.REMOVED_LAPSED
    return Outcome.SUSPENDED_UNREACHABLE


def removal_due_on(suspended_since: date) -> date:
    """Under the 2019 rule, the date 自行脱党除名 becomes due for a suspended, unreachable member."""
    return add_months(suspended_since, 24)
