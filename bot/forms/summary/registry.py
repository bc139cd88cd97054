"""The summary forms as the forms engine's registry (and `branchbot export --list`) would list them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryFormInfo:
    name: str
    title: str
    seed: str
    formats: tuple[str, ...] = ("xlsx", "csv")
    kind: str = "summary"


SUMMARY_FORMS = {f.name: f for f in (
    SummaryFormInfo("lost-summary", "与党组织失去联系党员情况汇总表", "002 附件6"),
    SummaryFormInfo("disposition-summary", "与党组织失去联系党员管理及处置情况汇总表", "002 附件7"),
    SummaryFormInfo("disposition-stats", "与党组织失去联系党员规范管理和组织处置有关情况统计表", "004 附件5"),
)}
