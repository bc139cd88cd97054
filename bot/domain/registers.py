"""Who belongs on the lost-contact registers (seeds 000, 001, 002), as pure rules over a member's contacts.

One boundary everywhere: a member is 失联 on a day exactly when `rules.contact_level` says LOST for their
last contact (the daily scan's rule): more than six months, i.e. from the day after the same calendar day
six months later. The registers use the seed's six months, whatever a branch set for its reminders.

Seed 002 附件3 note 2 says "与党组织失去联系6个月以上", seed 002 (二)2 and 三(二)2 say
"超过6个月未与党组织联系". Reading: the two phrases name the same members, and the scan (which opens the
case and starts the search) already decides on "超过" — so a member whose last contact was 2026-06-01 is
not yet on the registers on 2026-12-01 (exactly six months) and is on them from 2026-12-02. Using one
rule means the 失联 count the bot shows and the count on the forms never disagree.

No contact on record at all: as the scan does, the day the member was entered is the baseline (a fresh
import is not "lost" on its first day; six months later it is).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.codes import ContactLevel
from bot.domain.dates import add_months
from bot.domain.rules import LostTime, Thresholds, contact_level

SEED_THRESHOLDS = Thresholds()          # 失控 after one month, 失联 after six (seed 004 measure 二; seed 002)


@dataclass(frozen=True)
class ContactHistory:
    """What the register knows of a member's contact: every dated contact of any kind (组织生活, 党费, a
    report of their own, a check-in, a contact the branch made, contact regained), the subset that were
    组织生活 or 党费 (which the official 失去联系时间 runs from), and the day the member was entered."""

    contacts: tuple[date, ...]
    official: tuple[date, ...] = ()
    entered_on: date | None = None

    @staticmethod
    def of(contacts: list[date], official: list[date], entered_on: date | None = None) -> "ContactHistory":
        return ContactHistory(tuple(sorted(set(contacts) | set(official))), tuple(sorted(set(official))), entered_on)

    def last_contact(self, on: date) -> date | None:
        """The latest contact on or before `on`."""
        i = bisect_right(self.contacts, on)
        return self.contacts[i - 1] if i else None

    def last_official(self, on: date) -> date | None:
        """The latest 组织生活 or 党费 on or before `on`."""
        i = bisect_right(self.official, on)
        return self.official[i - 1] if i else None

    def baseline(self, on: date) -> date | None:
        """What the 失联 clock runs from on `on`: the last contact, else the day of entry."""
        last = self.last_contact(on)
        if last is not None:
            return last
        return self.entered_on if self.entered_on and self.entered_on <= on else None


def lost_on(history: ContactHistory, on: date) -> bool:
    """失联 on the day `on`: no contact of any kind for more than six months (the scan's boundary).

    A member entered after `on` is not on that day's registers at all (False).
    """
    base = history.baseline(on)
    if base is None:
        return history.entered_on is None      # nothing known at all: nobody can vouch for them
    return contact_level(base, on, SEED_THRESHOLDS) is ContactLevel.LOST


def lost_cutoff(on: date) -> date:
    """For SQL: a baseline date `b` is 失联 on `on` exactly when b < lost_cutoff(on) (same rule as lost_on)."""
    d = add_months(on, -SEED_THRESHOLDS.lost_months) - timedelta(days=4)
    while contact_level(d, on, SEED_THRESHOLDS) is ContactLevel.LOST:
        d += timedelta(days=1)
    return d


def unreachable_on(history: ContactHistory, on: date) -> bool:
    """经查找仍然无法取得联系党员 on the 填表日期 — the members 附件6 counts (seed 002 附件5 note 2, 附件6 note 1).

    Seed: "党员组织关系排查工作结束时，与党组织失去联系6个月以上，经多方努力确实无法取得联系的党员".
    Reading: on the 填表日期, no contact of any kind for six months or more (this module's boundary) and so
    not reached since, whatever stage their case has reached; a member with no search logged yet is listed
    too (the register's 备注 says so). Whether the member is still on the active register is the caller's
    question (the register keeps members whose case removed them: their outcome is what 附件7 counts).
    """
    return lost_on(history, on)


@dataclass(frozen=True)
class Regain:
    """A gap of 失联 ended by a contact: the last contact before it, and the day contact came back."""

    lost_since: date
    regained_on: date


def regain_between(history: ContactHistory, since: date, on: date) -> Regain | None:
    """经查找取得联系 (seed 000/001/002 note 2): "排查前与党组织失去联系6个月以上，经联系查找后重新与党组织
    取得联系的党员".

    Reading: the latest contact in [since, on] that came when the member had been 失联 — more than six
    months since the contact before it (or since entry), the scan's boundary — provided the member is not
    失联 again on `on` (then they belong on the unreachable register). `since` is the start of the
    campaign period the register covers. A member reached after only five months was never 失联: None.
    """
    if lost_on(history, on):
        return None
    found: Regain | None = None
    previous = history.entered_on if history.entered_on and (not history.contacts
                                                             or history.entered_on < history.contacts[0]) else None
    for d in history.contacts:
        if d > on:
            break
        if previous is not None and since <= d and contact_level(previous, d, SEED_THRESHOLDS) is ContactLevel.LOST:
            found = Regain(previous, d)
        previous = d
    return found


def official_lost_time(history: ContactHistory, search_end: date) -> LostTime | None:
    """与党组织失去联系时间 (seed 002 附件3 note 3): from the last 组织生活 or 党费 to the end of the search.

    For the unreachable the search has not ended: it runs to the 填表日期 (issue 11's reading). With no
    组织生活 or 党费 on record the clock falls back to the last contact of any kind (or entry), so the
    member still gets a time; the register's 备注 says which.
    """
    start = history.last_official(search_end)
    if start is None:
        start = history.baseline(search_end)
    return LostTime(start, search_end) if start else None
