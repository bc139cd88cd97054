"""disposition-summary: 与党组织失去联系党员管理及处置情况汇总表 (seed 002 附件7), over a subtree.

Seed 002 附件7 填表要求: note 2 "与党组织失去联系党员包括经查找与党组织取得联系党员和经查找仍然无法与党组织取得联系
党员" — every member whose latest lost-contact case was decided on or before the 填表日期, reached or not,
counted by the case's decided outcome; note 4 "纳入组织管理 … 不包括补转组织关系的党员" — a 纳入组织管理 with the
variant `late_transfer` (补转) is left out of that column (listed on the notes sheet). Cases not yet
decided, and deaths (统计表 X, no column here), are listed on the notes sheet, not counted.
"""

from __future__ import annotations

from bot.domain.codes import Outcome
from bot.domain.summary_rules import LATE_TRANSFER, SUSPENSIONS
from bot.forms.summary.sql import DECIDED, LATEST_CASE, MEMBERS_WITH_CASE, OCCUPATION, REGISTERED, SUBTREE, \
    Params, count_if
from bot.forms.summary.table import Column, Identity, SummaryForm

MANAGEMENT = ("管理情况", None)
ORGANIZATIONAL = ("处理情况", "组织处理")
DISCIPLINARY = ("处理情况", "纪律处分")

# (csv key = the seed's column, header group, outcomes counted)
_SPEC = (
    ("纳入组织管理", MANAGEMENT, (Outcome.BROUGHT_UNDER_MANAGEMENT,)),
    ("不予承认党员资格", MANAGEMENT, (Outcome.MEMBERSHIP_NOT_RECOGNISED,)),
    ("取消预备党员资格", MANAGEMENT, (Outcome.PROBATION_CANCELLED,)),
    ("保留组织关系", MANAGEMENT, (Outcome.RELATIONSHIP_RETAINED,)),
    ("停止党籍", MANAGEMENT, SUSPENSIONS),
    ("退党除名", MANAGEMENT, (Outcome.REMOVED_WITHDREW,)),
    ("限期改正", ORGANIZATIONAL, (Outcome.CORRECTION_DEADLINE,)),
    ("劝退或劝而不退除名", ORGANIZATIONAL, (Outcome.PERSUADED_TO_LEAVE,)),
    ("自行脱党除名", ORGANIZATIONAL, (Outcome.REMOVED_LAPSED,)),
    ("警告", DISCIPLINARY, (Outcome.WARNING,)),
    ("严重警告", DISCIPLINARY, (Outcome.SERIOUS_WARNING,)),
    ("撤销党内职务", DISCIPLINARY, (Outcome.POST_REVOKED,)),
    ("留党察看", DISCIPLINARY, (Outcome.PROBATION_WITHIN_PARTY,)),
    ("开除党籍", DISCIPLINARY, (Outcome.EXPELLED,)),
)

NOT_LATE = f"COALESCE(c.outcome_variant, '') <> '{LATE_TRANSFER}'"

HIDDEN_LABELS = {"_decided": "已作出处置决定", "_late_transfer": "补转组织关系", "_deceased": "确认已死亡",
                 "_status_only": "尚在调查核实或查找"}


def _columns(p: Params) -> tuple[Column, ...]:
    cols = []
    for key, group, outcomes in _SPEC:
        cond = f"c.outcome IN {p.in_list('o_' + outcomes[0].value, outcomes)}"
        if key == "纳入组织管理":
            cond += f" AND {NOT_LATE}"
        cols.append(Column(key, (*group, key), count_if(cond)))
    return tuple(cols)


def hidden(p: Params) -> dict[str, str]:
    """Decided cases counted in no column: 补转, death, and outcomes that only say the work goes on."""
    status = p.in_list("o_status", (Outcome.UNDER_INVESTIGATION, Outcome.STILL_SEARCHING))
    return {
        "_decided": "1 = 1",
        "_late_transfer": f"c.outcome = '{Outcome.BROUGHT_UNDER_MANAGEMENT.value}' AND NOT ({NOT_LATE})",
        "_deceased": f"c.outcome = '{Outcome.DECEASED.value}'",
        "_status_only": f"c.outcome IN {status}",
    }


def form() -> tuple[SummaryForm, Params]:
    p = Params()
    cols = _columns(p)
    ident = Identity("_decided", tuple(c.key for c in cols), ("_late_transfer", "_deceased", "_status_only"))
    f = SummaryForm(name="disposition-summary", title="与党组织失去联系党员管理及处置情况汇总表", seed="002 附件7",
                    corner=("方式", "群体"), row_key="职业", columns=cols, identities=(ident,),
                    cell_label=lambda k: HIDDEN_LABELS.get(k, k))
    return f, p


def query(f: SummaryForm, p: Params) -> str:
    """ONE statement over the subtree: decided cases grouped by (branch, 职业), a CASE per column."""
    sel = [f"{c.sql} AS q{i}" for i, c in enumerate(f.columns)]
    sel += [f"{count_if(cond)} AS {k}" for k, cond in hidden(p).items()]
    return (f"WITH RECURSIVE {SUBTREE}, {LATEST_CASE}"
            f" SELECT m.branch_id AS branch_id, {OCCUPATION} AS occ, {', '.join(sel)}"
            f" FROM {MEMBERS_WITH_CASE} WHERE {REGISTERED} AND l.case_id IS NOT NULL AND {DECIDED}"
            f" GROUP BY m.branch_id, {OCCUPATION}")


def notes_query() -> str:
    """Cases not yet decided on the 填表日期, 补转 and deaths: what the notes sheet lists."""
    return (f"WITH RECURSIVE {SUBTREE}, {LATEST_CASE}"
            " SELECT o.name AS branch, m.name AS member, c.state AS state, c.outcome AS outcome,"
            f" CASE WHEN {DECIDED} THEN 1 ELSE 0 END AS decided, c.outcome_variant AS variant"
            f" FROM {MEMBERS_WITH_CASE} JOIN orgs o ON o.id = m.branch_id"
            f" WHERE {REGISTERED} AND l.case_id IS NOT NULL AND (NOT {DECIDED}"
            f" OR c.outcome = '{Outcome.DECEASED.value}'"
            f" OR (c.outcome = '{Outcome.BROUGHT_UNDER_MANAGEMENT.value}' AND NOT ({NOT_LATE})))"
            " ORDER BY o.name, m.name, m.id")
