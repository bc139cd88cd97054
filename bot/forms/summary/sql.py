"""SQL pieces the three summary queries share: the subtree, each member's latest case, who is unreachable.

Portable SQL only (recursive CTE, CASE, COALESCE, correlated subqueries): every date is a parameter
computed by `bot.domain.summary_rules`, compared as ISO text. No SQLite date functions.
"""

from __future__ import annotations

from typing import Any, Iterable

# The node and every node below it: the one recursive query of each summary (never a loop of branches).
SUBTREE = ("sub(id) AS (SELECT CAST(:org AS INTEGER) UNION ALL"
           " SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)")

# Each member's latest case opened on or before the 填表日期 (a member lost twice has two cases).
LATEST_CASE = ("latest(member_id, case_id) AS (SELECT c.member_id, MAX(c.id) FROM cases c"
               " WHERE c.opened_on <= :at GROUP BY c.member_id)")

# The few members who may be unreachable on the 填表日期, read off the members_last_contact index (no
# contact since the cutoff, none at all, or a last contact after the 填表日期 that must be read back).
# Without it the planner walks every row in (branch, 职业) order to save a sort.
CANDIDATES = ("cand(id) AS MATERIALIZED (SELECT id FROM members WHERE last_contact_on IS NULL"
              " OR last_contact_on < :lost_cutoff OR last_contact_on > :at)")

# Members of the subtree with their latest case (c.* NULL when none).
MEMBERS_WITH_CASE = ("members m JOIN sub ON sub.id = m.branch_id"
                     " LEFT JOIN latest l ON l.member_id = m.id LEFT JOIN cases c ON c.id = l.case_id")
# The same, for the candidates only: CROSS JOIN keeps cand the outer loop (SQLite's planner would rather
# walk all members in GROUP BY order); the WHERE clause must add IS_CANDIDATE.
CANDIDATES_WITH_CASE = "cand CROSS JOIN " + MEMBERS_WITH_CASE
IS_CANDIDATE = "m.id = cand.id"

# 排查前在册 (seed 002 附件6 note 4): on the register now, or taken off it through a lost-contact case
# (removed, deceased, transferred after being found): they were on the register before the check.
# (An IN-list, not the join: it is built once, and the 95 % of active members never probe it.)
REGISTERED = "(m.active = 1 OR m.id IN (SELECT r.member_id FROM cases r WHERE r.opened_on <= :at))"

# The last contact of any kind on or before the 填表日期. The column is the latest ever; only when it lies
# after the 填表日期 (a past 填表日期) are the contact events read back.
_LAST_CONTACT = ("CASE WHEN m.last_contact_on <= :at THEN m.last_contact_on ELSE (SELECT MAX(e.on_date)"
                 " FROM contact_events e WHERE e.member_id = m.id AND e.on_date <= :at) END")

DECEASED = "(c.state = 'decided' AND c.outcome = 'deceased' AND c.decided_on <= :at)"
DECIDED = "(c.state = 'decided' AND c.decided_on <= :at)"
REACHED = "(c.regained_on IS NOT NULL AND c.regained_on <= :at)"

# What the 失联 clock runs from (bot.domain.registers.ContactHistory.baseline): the last contact on or
# before the 填表日期, else the day the member was entered.
BASELINE = f"COALESCE(({_LAST_CONTACT}), substr(m.created_at, 1, 10))"

# 经查找仍然无法取得联系 on the 填表日期 (bot.domain.summary_rules.unreachable_cutoff, the registers' rule):
# the baseline before the cutoff, no contact regained after search since, and not confirmed dead.
UNREACHABLE = (f"({BASELINE} < :lost_cutoff"
               " AND NOT (c.regained_on IS NOT NULL AND c.regained_on >= :lost_cutoff AND c.regained_on <= :at)"
               f" AND NOT COALESCE({DECEASED}, 0))")

# The official 失去联系时间 starts at the later of the last 组织生活 and the last 党费 (NULL: neither known).
OFFICIAL_SINCE = ("CASE WHEN COALESCE(m.last_meeting_on, '') >= COALESCE(m.last_dues_on, '')"
                  " THEN m.last_meeting_on ELSE m.last_dues_on END")
# With neither on record the clock falls back to the baseline (registers.official_lost_time does the same;
# the notes sheet says so).
LOST_SINCE = f"COALESCE(({OFFICIAL_SINCE}), {BASELINE})"

# No 职业 on record counts under ⑧其他. Queries group by the raw column (so the index gives the order)
# and the builder folds NULL into 'other'.
OCCUPATION = "m.rec_occupation"


class Params(dict):
    """Named parameters, with IN-lists bound one name per value (no values pasted into SQL)."""

    def in_list(self, name: str, values: Iterable[Any]) -> str:
        names = []
        for i, v in enumerate(values):
            key = f"{name}_{i}"
            self[key] = v.value if hasattr(v, "value") else v
            names.append(":" + key)
        return "(" + ",".join(names) + ")" if names else "(NULL)"


def count_if(condition: str) -> str:
    """SUM of a 0/1 CASE: the portable COUNT-with-a-condition."""
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def between_years(column: str, lower_years: int | None, upper_years: int | None) -> str:
    """`column` (a start date) is at least `lower_years` and fewer than `upper_years` full years back.

    :yN is the latest start date that is N full years back (BucketEdges.params), so "at least N" is
    `column <= :yN` and "fewer than M" is `column > :yM`.
    """
    parts = [f"{column} IS NOT NULL"]
    if lower_years:
        parts.append(f"{column} <= :y{lower_years}")
    if upper_years:
        parts.append(f"{column} > :y{upper_years}")
    return " AND ".join(parts)
