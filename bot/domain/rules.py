"""Pure rules: contact level, the official lost-contact time, age, 党龄, and the summary buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.codes import ContactLevel, MemberType
from bot.domain.dates import add_months, full_months, full_years
from bot.i18n import N_


@dataclass(frozen=True)
class Thresholds:
    """Months without contact before a member is 失控 (seed 004 measure 二) and 失联 (seed 002)."""

    out_of_control_months: int = 1
    lost_months: int = 6


def contact_level(last_contact: date | None, at: date, thresholds: Thresholds = Thresholds()) -> ContactLevel:
    """The member's level on `at`, from the last contact of any kind.

    "Over one month" means strictly after the same calendar day one month later
    (last contact 2026-01-31: still in contact on 2026-02-28, 失控 from 2026-03-01).
    A member with no contact on record at all is treated as lost: nobody can vouch for them.
    """
    if last_contact is None:
        return ContactLevel.LOST
    if at > add_months(last_contact, thresholds.lost_months):
        return ContactLevel.LOST
    if at > add_months(last_contact, thresholds.out_of_control_months):
        return ContactLevel.OUT_OF_CONTROL
    return ContactLevel.IN_CONTACT


def level_crossing_date(last_contact: date, level: ContactLevel, thresholds: Thresholds = Thresholds()) -> date | None:
    """The first day on which `level` is reached, or None for IN_CONTACT."""
    from datetime import timedelta

    if level is ContactLevel.OUT_OF_CONTROL:
        return add_months(last_contact, thresholds.out_of_control_months) + timedelta(days=1)
    if level is ContactLevel.LOST:
        return add_months(last_contact, thresholds.lost_months) + timedelta(days=1)
    return None


@dataclass(frozen=True)
class LostTime:
    """与党组织失去联系时间: from the last 组织生活 or 党费 date to the end of the search."""

    since: date
    until: date

    @property
    def months(self) -> int:
        return full_months(self.since, self.until)

    @property
    def years(self) -> int:
        return full_years(self.since, self.until)

    def describe(self, tr) -> str:
        years, months = divmod(self.months, 12)
        if years and months:
            return tr.gettext(N_("{years} years {months} months"), years=years, months=months)
        if years:
            return tr.gettext(N_("{years} years"), years=years)
        return tr.gettext(N_("{months} months"), months=months)


def lost_contact_time(last_meeting: date | None, last_dues: date | None, search_end: date) -> LostTime | None:
    """The official lost-contact time (seed 002 附件3 note 3); None if neither date is known."""
    known = [d for d in (last_meeting, last_dues) if d]
    if not known:
        return None
    return LostTime(max(known), search_end)


def age(birth_date: date, on: date) -> int:
    """Age in full years on the 填表日期."""
    return full_years(birth_date, on)


def party_age(confirmed_on: date | None, member_type: MemberType, on: date) -> int | None:
    """党龄 in full years from 转正日期 (Party Constitution art. 7); a 预备党员 has none."""
    if member_type is MemberType.PROBATIONARY or confirmed_on is None:
        return None
    return max(0, full_years(confirmed_on, on))


AGE_BUCKETS = ("≤35", "36–45", "46–60", "≥61")
PARTY_AGE_BUCKETS = ("<1", "1–5", "6–10", "11–20", "≥21")
LOST_TIME_BUCKETS = ("6m–1y", "1–5y", "6–10y", "≥11y")


def age_bucket(years: int) -> str:
    """汇总表 (seed 002 附件6) columns: 35岁及以下 / 36岁至45岁 / 46岁至60岁 / 61岁及以上.

    The columns leave gaps (35 → 36) that only whole numbers close: pass full years (`age`), so 35 years
    and 11 months is still "35岁及以下".
    """
    if years <= 35:
        return AGE_BUCKETS[0]
    if years <= 45:
        return AGE_BUCKETS[1]
    if years <= 60:
        return AGE_BUCKETS[2]
    return AGE_BUCKETS[3]


def party_age_bucket(years: int | None) -> str | None:
    """汇总表 (seed 002 附件6) columns: 1年以下 / 1年至5年 / 6年至10年 / 11年至20年 / 21年及以上 (None: probationary).

    Decided by full years (`party_age`): 5 years 6 months is "1年至5年", the 6th year starts at 6 full years.
    """
    if years is None:
        return None
    if years < 1:
        return PARTY_AGE_BUCKETS[0]
    if years <= 5:
        return PARTY_AGE_BUCKETS[1]
    if years <= 10:
        return PARTY_AGE_BUCKETS[2]
    if years <= 20:
        return PARTY_AGE_BUCKETS[3]
    return PARTY_AGE_BUCKETS[4]


def lost_time_bucket(lost: LostTime) -> str | None:
    """汇总表 (seed 002 附件6) columns: 6个月以上不满1年 / 1年至5年 / 6年至10年 / 11年及以上 (None under six months).

    The columns leave gaps ("5 years 6 months" falls between 1年至5年 and 6年至10年); they are decided by
    full years, as the form's whole-year labels read: 5 years 11 months is "1年至5年", 6 full years is
    "6年至10年", 10 years 11 months is still "6年至10年". "6个月以上" counts six full months in (以上 includes
    the number), so exactly 6 months is the first column.
    """
    if lost.months < 6:
        return None
    years = lost.years
    if years < 1:
        return LOST_TIME_BUCKETS[0]
    if years <= 5:
        return LOST_TIME_BUCKETS[1]
    if years <= 10:
        return LOST_TIME_BUCKETS[2]
    return LOST_TIME_BUCKETS[3]
