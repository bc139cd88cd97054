"""A fictional branch for the reminder tests: the 创意园党支部 under the 街道党工委, its secretary 李XX,
the officer 陈XX who keeps in touch with the flow members, a committee user 张XX, and a fake bot.

Shared by tests/test_scan.py, tests/test_outbox.py, tests/test_reminders_sim.py and the e2e test.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from bot.clock import FrozenClock
from bot.domain.codes import ContactKind, OrgCategory, OrgLevel, Role
from bot.domain.member import FlowInfo, Member
from bot.domain.org import Organization
from bot.services.context import Services
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo

SECRETARY_TG = 1001
OFFICER_TG = 1002
COMMITTEE_TG = 3001


@dataclass
class World:
    db: Database
    clock: FrozenClock
    committee: int = 0
    branch: int = 0
    secretary: int = 0        # member id of 李XX
    officer: int = 0          # member id of 陈XX
    members: dict[str, int] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        return Services(self.db, self.clock)

    async def add_member(self, name: str, last_contact: date | None = None, *, tg: int | None = None,
                         lang: str | None = None, flow_officer: int | None = None, branch: int | None = None) -> int:
        flow = FlowInfo(left_on=date(2025, 6, 1), destination="广东省深圳市南山区",
                        officer_member_id=flow_officer) if flow_officer else None
        async with self.db.write("test") as tx:
            mid = await member_repo.insert(tx, Member(branch_id=branch or self.branch, name=name, flow=flow),
                                           last_contact_on=last_contact)
            if tg is not None:
                await user_repo.ensure_user(tx, tg)
                await tx.execute("UPDATE users SET member_id = ?, lang_code = ? WHERE tg_id = ?", (mid, lang, tg))
        self.members[name] = mid
        return mid

    async def contact(self, member_id: int, on: date, kind: ContactKind = ContactKind.MEETING) -> None:
        async with self.db.write("test") as tx:
            await member_repo.record_contact(tx, member_id, kind, on)

    async def execute(self, sql: str, params: tuple = ()) -> int:
        async with self.db.write("test") as tx:
            cur = await tx.execute(sql, params)
            return cur.lastrowid

    async def outbox(self, where: str = "1", params: tuple = ()) -> list[Any]:
        return await self.db.fetchall(f"SELECT * FROM outbox WHERE {where} ORDER BY id", params)


async def build_world(db: Database, clock: FrozenClock) -> World:
    """The org tree and its officers; members are added by each test."""
    w = World(db, clock)
    async with db.write("test") as tx:
        w.committee = await org_repo.add(tx, Organization(name="街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                          category=OrgCategory.COMMUNITY))
        w.branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                       category=OrgCategory.PRIVATE, parent_id=w.committee))
        await user_repo.grant(tx, SECRETARY_TG, Role.SECRETARY, w.branch)
        await user_repo.grant(tx, COMMITTEE_TG, Role.COMMITTEE, w.committee)
        await user_repo.ensure_user(tx, OFFICER_TG)
    w.secretary = await w.add_member("李XX", clock.today())
    w.officer = await w.add_member("陈XX", clock.today())
    async with db.write("test") as tx:
        await tx.execute("UPDATE users SET member_id = ?, lang_code = 'zh-hans' WHERE tg_id = ?",
                         (w.secretary, SECRETARY_TG))
        await tx.execute("UPDATE users SET member_id = ?, lang_code = 'en' WHERE tg_id = ?", (w.officer, OFFICER_TG))
    return w


class FakeBot:
    """Stands in for telegram.Bot: records what was sent; `failures` are raised by the next calls."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.failures: list[BaseException] = []
        self.calls = 0

    async def send_message(self, chat_id: int, text: str, parse_mode: Any = None, reply_markup: Any = None) -> Any:
        self.calls += 1
        await asyncio.sleep(0)
        if self.failures:
            raise self.failures.pop(0)
        buttons = []
        if reply_markup is not None:
            buttons = [[b.callback_data for b in row] for row in reply_markup.inline_keyboard]
        self.sent.append({"chat_id": chat_id, "text": text, "buttons": buttons, "parse_mode": parse_mode})
        return SimpleNamespace(message_id=len(self.sent))

    def texts_to(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.sent if m["chat_id"] == chat_id]


class FakeTime:
    """Monotonic time that moves only when the sender sleeps (no real waiting in the tests)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def fast_sender_options(fake_time: FakeTime | None = None, **extra: Any) -> dict[str, Any]:
    t = fake_time or FakeTime()
    return {"sleep": t.sleep, "time_fn": t.time, "jitter": lambda: 1.0, **extra}


def local_date(utc_iso: str, tz: Any) -> date:
    return datetime.fromisoformat(utc_iso).astimezone(tz).date()


def payload(row: Any) -> dict[str, Any]:
    return json.loads(row["payload"])
