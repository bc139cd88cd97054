"""disposition-stats: 与党组织失去联系党员规范管理和组织处置有关情况统计表 (seed 004 附件5), columns A–X.

Who is counted: A 超过六个月未与党组织联系的党员 = every member of the subtree with a lost-contact case
opened on or before the 填表日期 (the scan opens one on crossing six months), plus the unreachable members
(summary_rules.unreachable_cutoff) that have no case yet — those are W, 尚在查找联系. Then, on the 填表日期:
X a decided 确认已死亡; B reached (the case's regained_on); O the rest. Each lettered column is counted on
its own predicate (not as a difference), so the 备注 1 identities really check the data:
- 备注 2: "在经查找取得联系的党员中，给予开除党籍以外的其他党纪处分的数量，统计在“纳入组织管理人数”（C）项中" —
  C holds 纳入组织管理 (补转 and 转出 included: they are under management), 保留组织关系, 停止党籍, 限期改正 and
  警告 / 严重警告 / 撤销党内职务 / 留党察看.
- 备注 3: V "应为依据《中国共产党员纪律处分条例》第三十六条规定，党组织作出开除党籍决定的" — a decided 开除党籍
  of an unreachable member; the register keeps no article number, so every such expulsion counts.
- N / W: reached (unreached) and not yet decided on the 填表日期.
- T 停止党籍 because unreachable (the 2019 rule, or a plain 停止党籍 of an unreachable member), U settled abroad.
An outcome that fits no column of its side (say 保留组织关系 for an unreachable member) leaves an identity
unbalanced and the table is refused, naming the cells.
"""

from __future__ import annotations

from bot.domain.codes import Outcome
from bot.domain.summary_rules import LEAVING_NOT_EXPELLED, PENALTIES_KEPT, SUSPENSIONS
from bot.forms.summary.sql import (
    CANDIDATES, CANDIDATES_WITH_CASE, IS_CANDIDATE, DECEASED, DECIDED, LATEST_CASE, REACHED, REGISTERED, SUBTREE, UNREACHABLE, Params, count_if,
)
from bot.forms.summary.table import Column, Identity, SummaryForm

FOUND, NOT_FOUND = "经查找取得联系的党员", "目前仍未取得联系的党员"

# letter → (header path below the top group, condition). {R}: reached, {O}: not reached, {D}: decided.
_SPEC = (
    ("A", ("超过六个月未与党组织联系的党员总数", None, None), "1 = 1"),
    ("B", (FOUND, "总数", None), "{B}"),
    ("C", (FOUND, "纳入组织管理人数", ""), "{B} AND {D} AND c.outcome IN {kept}"),
    ("D", (FOUND, "纳入组织管理人数", "保留组织关系人数"), "{B} AND {D} AND c.outcome = 'relationship_retained'"),
    ("E", (FOUND, "纳入组织管理人数", "停止党籍人数"), "{B} AND {D} AND c.outcome IN {susp}"),
    ("F", (FOUND, "纳入组织管理人数", "限期改正人数"), "{B} AND {D} AND c.outcome = 'correction_deadline'"),
    ("G", (FOUND, "给予组织处置出党人数", ""), "{B} AND {D} AND c.outcome IN {leave}"),
    ("H", (FOUND, "给予组织处置出党人数", "劝退或劝而不退除名人数"), "{B} AND {D} AND c.outcome = 'persuaded_to_leave'"),
    ("I", (FOUND, "给予组织处置出党人数", "自行脱党除名人数"), "{B} AND {D} AND c.outcome = 'removed_lapsed'"),
    ("J", (FOUND, "给予组织处置出党人数", "退党除名人数"), "{B} AND {D} AND c.outcome = 'removed_withdrew'"),
    ("K", (FOUND, "给予组织处置出党人数", "不予承认党员资格人数"),
     "{B} AND {D} AND c.outcome = 'membership_not_recognised'"),
    ("L", (FOUND, "给予组织处置出党人数", "取消预备党员资格人数"), "{B} AND {D} AND c.outcome = 'probation_cancelled'"),
    ("M", (FOUND, "开除党籍人数", None), "{B} AND {D} AND c.outcome = 'expelled'"),
    ("N", (FOUND, "目前尚在调查核实人数", None), "{B} AND (NOT {D} OR c.outcome = 'under_investigation')"),
    ("O", (NOT_FOUND, "总数", None), "{O}"),
    ("P", (NOT_FOUND, "给予组织处置出党人数", ""), "{O} AND {D} AND c.outcome IN {leave}"),
    ("Q", (NOT_FOUND, "给予组织处置出党人数", "自行脱党除名人数"), "{O} AND {D} AND c.outcome = 'removed_lapsed'"),
    ("R", (NOT_FOUND, "给予组织处置出党人数", "取消预备党员资格人数"), "{O} AND {D} AND c.outcome = 'probation_cancelled'"),
    ("S", (NOT_FOUND, "停止党籍人数", ""), "{O} AND {D} AND c.outcome IN {susp}"),
    ("T", (NOT_FOUND, "停止党籍人数", "确定无法取得联系而停止党籍人数"),
     "{O} AND {D} AND c.outcome IN ('suspended_unreachable', 'membership_suspended')"),
    ("U", (NOT_FOUND, "停止党籍人数", "因出国（境）定居而停止党籍人数"),
     "{O} AND {D} AND c.outcome = 'suspended_settled_abroad'"),
    ("V", (NOT_FOUND, "开除党籍人数", None), "{O} AND {D} AND c.outcome = 'expelled'"),
    ("W", (NOT_FOUND, "尚在查找联系人数", None),
     "{O} AND (l.case_id IS NULL OR NOT {D} OR c.outcome = 'still_searching')"),
    ("X", ("确认已死亡的人数", None, None), "{X}"),
)

IDENTITIES = (
    Identity("A", ("B", "O", "X")), Identity("B", ("C", "G", "M", "N")), Identity("G", ("H", "I", "J", "K", "L")),
    Identity("O", ("P", "S", "V", "W")), Identity("P", ("Q", "R")), Identity("S", ("T", "U")),
)

# The seed's lettered outcome values are written into the SQL as literals: they are the domain's own keys.
assert {o.value for o in Outcome} >= {"relationship_retained", "correction_deadline", "persuaded_to_leave",
                                      "removed_lapsed", "removed_withdrew", "membership_not_recognised",
                                      "probation_cancelled", "expelled", "under_investigation", "still_searching",
                                      "suspended_unreachable", "membership_suspended", "suspended_settled_abroad"}


def _columns(p: Params) -> tuple[Column, ...]:
    kept = (Outcome.BROUGHT_UNDER_MANAGEMENT, Outcome.RELATIONSHIP_RETAINED, *SUSPENSIONS,
            Outcome.CORRECTION_DEADLINE, *PENALTIES_KEPT)
    x = f"COALESCE({DECEASED}, 0)"
    words = {"B": f"(NOT {x} AND COALESCE({REACHED}, 0))", "O": f"(NOT {x} AND NOT COALESCE({REACHED}, 0))",
             "X": x, "D": f"COALESCE({DECIDED}, 0)", "kept": p.in_list("kept", kept),
             "susp": p.in_list("susp", SUSPENSIONS), "leave": p.in_list("leave", LEAVING_NOT_EXPELLED)}
    cols = [Column(letter, (*path, letter), count_if(cond.format(**words))) for letter, path, cond in _SPEC]
    return tuple(cols)


def form() -> tuple[SummaryForm, Params]:
    p = Params()
    f = SummaryForm(name="disposition-stats", title="与党组织失去联系党员规范管理和组织处置有关情况统计表",
                    seed="004 附件5", corner=("统计时间",), row_key="统计时间", columns=_columns(p), identities=IDENTITIES,
                    footer="填表人：　　　　　　联系电话：　　　　　　负责领导（签字）：")
    return f, p


def query(f: SummaryForm) -> str:
    """ONE statement over the subtree, one row per branch: the cases, and the unreachable with no case."""
    sel = ", ".join(f"{c.sql} AS {c.key}" for c in f.columns)
    return (f"WITH RECURSIVE {SUBTREE}, {LATEST_CASE}, {CANDIDATES},"
            " pop(id) AS (SELECT id FROM cand UNION SELECT member_id FROM latest)"
            f" SELECT m.branch_id AS branch_id, {sel} FROM {CANDIDATES_WITH_CASE.replace('cand', 'pop')}"
            f" WHERE m.id = pop.id AND {REGISTERED} AND (l.case_id IS NOT NULL OR {UNREACHABLE})"
            " GROUP BY m.branch_id")
