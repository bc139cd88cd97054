"""Reminder settings of an organization node: thresholds, scan time, timezone, policy — with their bounds.

Stored in `orgs.settings` (JSON). A node inherits what it does not set from the nodes above it (a
committee can set the policy or the scan time for every branch under it), and anything nobody set
takes the default below, which is what the seeds prescribe (one month → 失控, six months → 失联).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import time
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.codes import PolicyVersion, Role
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.rules import Thresholds
from bot.i18n import N_
from bot.services.context import Actor, Services
from bot.storage import orgs as org_repo

DEFAULT_TIMEZONE = "Asia/Shanghai"

# key: (lowest, highest) — what a secretary may choose from the bot.
BOUNDS: dict[str, tuple[int, int]] = {
    "out_of_control_months": (1, 3),
    "lost_months": (3, 12),
    "receipt_days": (7, 180),
    "case_idle_days": (3, 60),
    "flow_reminder_day": (1, 28),
    "removal_lead_days": (7, 90),
    "digest_weekday": (0, 6),
}
SCAN_TIME_BOUNDS = (time(6, 0), time(22, 0))   # nobody is woken up by the bot
DEADLINE_LEAD_MAX = 60
EDITABLE = ("scan_time", "out_of_control_months", "lost_months", "receipt_days", "case_idle_days",
            "flow_reminder_day", "removal_lead_days", "digest_weekday", "deadline_lead_days")
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:：.](\d{2})$")


@dataclass(frozen=True)
class ReminderSettings:
    """The effective reminder settings of one organization node."""

    scan_time: str = "09:00"                  # local time of the daily scan (and of the weekly digest)
    timezone: str = DEFAULT_TIMEZONE
    out_of_control_months: int = 1            # seed 004 measure 二
    lost_months: int = 6                      # seed 002: 失联 = no contact for over six months
    receipt_days: int = 30                    # transfer out without 回执 (seed 000 step 10)
    case_idle_days: int = 14                  # open case without a search attempt
    flow_reminder_day: int = 20               # day of the month to remind officers of flow members
    removal_lead_days: int = 30               # 2019 rule: warn this long before 自行脱党除名 is due
    deadline_lead_days: tuple[int, ...] = (7, 1)
    digest_weekday: int = 0                   # Monday
    policy: str = PolicyVersion.REGULATION_2019.value

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.out_of_control_months, self.lost_months)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def scan_at(self) -> time:
        return parse_scan_time(self.scan_time)

    @property
    def policy_version(self) -> PolicyVersion:
        return PolicyVersion(self.policy)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["deadline_lead_days"] = list(self.deadline_lead_days)
        return data


def parse_scan_time(text: str) -> time:
    m = _HHMM.match(str(text).strip())
    if not m or int(m.group(2)) > 59:
        raise DomainError(N_("Not a time of day I can read: try 09:00"), field="scan_time")
    return time(int(m.group(1)), int(m.group(2)))


def validate(key: str, value: Any) -> Any:
    """Check one setting against its bounds; returns the normalised value or raises DomainError."""
    if key == "scan_time":
        at = parse_scan_time(value)
        low, high = SCAN_TIME_BOUNDS
        if not low <= at <= high:
            raise DomainError(N_("The scan time must be between {low} and {high}"), field=key,
                              low=low.strftime("%H:%M"), high=high.strftime("%H:%M"))
        return at.strftime("%H:%M")
    if key == "timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError(N_("Unknown time zone {value}"), field=key, value=str(value)[:40]) from None
        return str(value)
    if key == "policy":
        return PolicyVersion.parse(value).value
    if key == "deadline_lead_days":
        items = value if isinstance(value, (list, tuple)) else re.split(r"[,，\s]+", str(value).strip())
        try:
            leads = sorted({int(v) for v in items if str(v).strip() != ""}, reverse=True)
        except ValueError:
            raise DomainError(N_("Not a number: {value}"), field=key, value=str(value)[:20]) from None
        if not leads or not all(0 <= d <= DEADLINE_LEAD_MAX for d in leads) or len(leads) > 5:
            raise DomainError(N_("Reminder days before a deadline: up to five numbers from 0 to {max}"),
                              field=key, max=DEADLINE_LEAD_MAX)
        return leads
    if key in BOUNDS:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise DomainError(N_("Not a number: {value}"), field=key, value=str(value)[:20]) from None
        low, high = BOUNDS[key]
        if not low <= number <= high:
            raise DomainError(N_("Choose a value from {low} to {high}"), field=key, low=low, high=high)
        return number
    raise DomainError(N_("Unknown setting {setting}"), field=key, setting=str(key)[:40])


def _merge(base: ReminderSettings, raw: dict[str, Any]) -> ReminderSettings:
    """Apply the keys of one node's JSON that are valid; an invalid stored value is ignored, not fatal."""
    changes: dict[str, Any] = {}
    for key in ReminderSettings.__dataclass_fields__:
        if key in raw and raw[key] is not None:
            try:
                value = validate(key, raw[key])
            except DomainError:
                continue
            changes[key] = tuple(value) if key == "deadline_lead_days" else value
    merged = replace(base, **changes)
    if merged.lost_months <= merged.out_of_control_months:
        merged = replace(merged, lost_months=base.lost_months, out_of_control_months=base.out_of_control_months)
    return merged


def resolve(chain: Iterable[dict[str, Any]], timezone: str = DEFAULT_TIMEZONE) -> ReminderSettings:
    """Effective settings from the JSON of the nodes top-down (the node itself last)."""
    out = ReminderSettings(timezone=timezone)
    for raw in chain:
        out = _merge(out, raw or {})
    return out


async def effective_settings(db: Any, org_id: int, timezone: str = DEFAULT_TIMEZONE) -> ReminderSettings:
    chain = [await org_repo.get_settings(db, oid) for oid in reversed(await org_repo.ancestors(db, org_id))]
    return resolve(chain, timezone)


async def all_effective_settings(db: Any, timezone: str = DEFAULT_TIMEZONE) -> dict[int, ReminderSettings]:
    """Every node's effective settings in one query (the scheduler asks each minute)."""
    import json

    rows = await db.fetchall("SELECT id, parent_id, settings FROM orgs")
    raw = {r[0]: (r[1], r[2] or "{}") for r in rows}
    out: dict[int, ReminderSettings] = {}
    # Thousands of branches, a handful of distinct chains (most set nothing of their own): resolve each
    # distinct chain of settings texts once, and the nodes that share it share one (equal, hashable) value.
    resolved: dict[tuple[str, ...], ReminderSettings] = {}

    def chain(oid: int) -> tuple[str, ...]:
        seen, nodes = set(), []
        while oid is not None and oid in raw and oid not in seen:
            seen.add(oid)
            nodes.append(raw[oid][1])
            oid = raw[oid][0]
        return tuple(reversed(nodes))

    for oid in raw:
        texts = chain(oid)
        if texts not in resolved:
            resolved[texts] = resolve([json.loads(t) for t in texts], timezone)
        out[oid] = resolved[texts]
    return out


async def _require_secretary(services: Services, actor: Actor, org_id: int) -> None:
    """A secretary of this node, or a committee member above it (or the operator)."""
    if actor.operator:
        return
    above = await org_repo.ancestors(services.db, org_id)
    for role, role_org in actor.roles:
        if role is Role.SECRETARY and role_org == org_id:
            return
        if role is Role.COMMITTEE and role_org in above:
            return
    raise PermissionDenied(N_("You are not allowed to do that"))


async def reminder_settings(services: Services, actor: Actor, org_id: int,
                            timezone: str = DEFAULT_TIMEZONE) -> ReminderSettings:
    """The effective reminder settings of a branch, for its secretary."""
    await _require_secretary(services, actor, org_id)
    return await effective_settings(services.db, org_id, timezone)


async def change_reminder_setting(services: Services, actor: Actor, org_id: int, key: str, value: Any,
                                  timezone: str = DEFAULT_TIMEZONE) -> ReminderSettings:
    """Change one setting of a branch within its bounds (audited); returns the new effective settings."""
    await _require_secretary(services, actor, org_id)
    if key not in EDITABLE:
        raise DomainError(N_("Unknown setting {setting}"), field="key", setting=str(key)[:40])
    normalised = validate(key, value)
    current = await effective_settings(services.db, org_id, timezone)
    trial = replace(current, **{key: tuple(normalised) if key == "deadline_lead_days" else normalised})
    if trial.lost_months <= trial.out_of_control_months:
        raise DomainError(N_("The lost-contact threshold must be longer than the out-of-contact one"), field=key)
    async with services.db.write(actor.label) as tx:
        await org_repo.set_settings(tx, org_id, {key: normalised})
    return await effective_settings(services.db, org_id, timezone)


__all__ = ["ReminderSettings", "BOUNDS", "EDITABLE", "validate", "resolve", "effective_settings",
           "all_effective_settings", "reminder_settings", "change_reminder_setting", "parse_scan_time"]
