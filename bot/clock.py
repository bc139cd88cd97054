"""The one place that reads the wall clock; everything else takes a Clock so tests can move time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: str = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        """Now, in UTC."""
        return datetime.now(timezone.utc)

    def today(self) -> date:
        """Today in the branch's timezone (a date is what people mean by "today")."""
        return self.now().astimezone(self.tz).date()


class FrozenClock(Clock):
    """A clock that only moves when told to (tests, `scan --now`)."""

    def __init__(self, at: datetime, tz: str = "Asia/Shanghai"):
        super().__init__(tz)
        self._now = at if at.tzinfo else at.replace(tzinfo=self.tz)

    def now(self) -> datetime:
        return self._now.astimezone(timezone.utc)

    def set(self, at: datetime) -> None:
        self._now = at if at.tzinfo else at.replace(tzinfo=self.tz)

    def advance(self, **delta: float) -> None:
        self._now = self._now + timedelta(**delta)


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")
