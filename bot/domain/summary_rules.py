"""Who the summary tables count and the bucket edges they use, as dates an SQL query can compare.

Every bucket of the 汇总表 (seed 002 附件6) is a whole-number range of full years or months on the
填表日期 (`bot.domain.rules`: age, 党龄, lost time). "full_months(start, at) >= n" is the same as
"start <= latest_start(at, n)", so a query over a million members compares ISO date strings with a
handful of dates computed here, and the answer is the domain's answer by construction (the tests
check the equivalence day by day, month ends and Feb 29 included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.codes import Education, EducationBucket, Outcome, PartyPost, PartyPostBucket
from bot.domain.dates import add_months
from bot.domain.registers import lost_cutoff
from bot.domain.rules import Thresholds

LOST_MONTHS = 6

# 民族 values that are not a minority (汉族). Anything else recorded is a 少数民族; nothing recorded is not.
HAN = ("汉族", "汉")


def latest_start(at: date, months: int) -> date:
    """The latest date d with full_months(d, at) >= months (i.e. add_months(d, months) <= at).

    add_months clamps to the month's end, so the answer can lie after add_months(at, -months): on
    2026-02-28, 2025-08-31 is already six full months back (add_months(2025-08-31, 6) = 2026-02-28).
    """
    d = add_months(at, -months)
    while add_months(d + timedelta(days=1), months) <= at:
        d += timedelta(days=1)
    return d


def unreachable_cutoff(at: date) -> date:
    """经查找仍然无法取得联系党员 on the 填表日期 `at`: a member whose baseline (last contact of any kind on
    or before `at`, else the day they were entered) lies BEFORE this date.

    The rule is `bot.domain.registers.unreachable_on` (the forms' one boundary, the daily scan's): "6个月以上"
    read as the scan's "超过6个月" — a last contact exactly six months before the 填表日期 is not yet counted,
    from the next day it is. 附件6 counts exactly the members of the 经查找仍然无法取得联系党员登记表
    (seed 002 附件6 note 1), so it uses the same cutoff. A contact regained after search counts as contact.
    """
    return lost_cutoff(at)


@dataclass(frozen=True)
class BucketEdges:
    """The dates that split members into the 附件6 columns on the 填表日期 `at` (all inclusive bounds).

    A start date (birth, 转正, last 组织生活/党费) is at least n full years back iff it is on or before
    `years_back[n]`; the lost time is at least six full months iff it starts on or before `six_months`.
    Who is unreachable at all: a baseline before `lost_cutoff` (`unreachable_cutoff`).
    """

    at: date
    years_back: dict[int, date]
    six_months: date
    lost_cutoff: date

    @classmethod
    def on(cls, at: date) -> "BucketEdges":
        """Age 36/46/61, 党龄 1/6/11/21, lost 1/6/11 years: the lower bound of each column after the first."""
        years = {1, 6, 11, 21, 36, 46, 61}
        return cls(at=at, years_back={n: latest_start(at, 12 * n) for n in sorted(years)},
                   six_months=latest_start(at, LOST_MONTHS), lost_cutoff=unreachable_cutoff(at))

    def params(self) -> dict[str, str]:
        """Named SQL parameters: y36 = latest birth date of someone aged 36 or more, and so on."""
        out = {f"y{n}": d.isoformat() for n, d in self.years_back.items()}
        out["six_months"] = self.six_months.isoformat()
        out["lost_cutoff"] = self.lost_cutoff.isoformat()
        out["at"] = self.at.isoformat()
        return out


def education_keys(bucket: EducationBucket) -> tuple[str, ...]:
    """The stored 学历 values that fall in one 汇总表 学历 column (the domain's `Education.bucket`)."""
    return tuple(e.value for e in Education if e.bucket is bucket)


def post_keys(bucket: PartyPostBucket) -> tuple[str, ...]:
    """The stored 党内职务 values of one 汇总表 党内职务 column (候补委员 sits with 副书记、委员, as PartyPost.bucket)."""
    return tuple(p.value for p in PartyPost if p.bucket is bucket)


SUSPENSIONS = (Outcome.MEMBERSHIP_SUSPENDED, Outcome.SUSPENDED_UNREACHABLE, Outcome.SUSPENDED_SETTLED_ABROAD)
PENALTIES_KEPT = (Outcome.WARNING, Outcome.SERIOUS_WARNING, Outcome.POST_REVOKED, Outcome.PROBATION_WITHIN_PARTY)
LEAVING_NOT_EXPELLED = tuple(o for o in Outcome if o.leaves_party and o is not Outcome.EXPELLED)

# outcome_variant of a 纳入组织管理 decided by 补转组织关系: 附件7 note 4 leaves it out of 纳入组织管理.
LATE_TRANSFER = "late_transfer"


def earliest_not_beyond(at: date, months: int) -> date:
    """The earliest date d with add_months(d, months) >= at: a last contact before it is beyond `months`."""
    d = add_months(at, -months)
    while add_months(d, months) < at:        # clamped short of `at` (at = Aug 31, d = Feb 28)
        d += timedelta(days=1)
    while add_months(d - timedelta(days=1), months) >= at:
        d -= timedelta(days=1)
    return d


def level_bounds(at: date, thresholds: Thresholds = Thresholds()) -> tuple[date, date]:
    """(lost_before, out_of_control_before) on `at`, as `rules.contact_level` decides levels.

    contact_level says 失联 when at > add_months(last, lost_months): exactly when last < lost_before. The
    /stats counts use the scan's rule (strictly over six months); 附件6 counts "six months or more"
    (`unreachable_cutoff`), so on the one boundary day a member is in 附件6 and still 失控 in /stats.
    """
    return (earliest_not_beyond(at, thresholds.lost_months),
            earliest_not_beyond(at, thresholds.out_of_control_months))
