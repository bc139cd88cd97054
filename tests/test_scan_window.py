"""The daily scan reads a window (the members whose last contact crossed a threshold since the last run,
plus those whose record changed), not the register: it must flag exactly what a full scan would.

A property test drives two copies of the same register through the same days — one scanned with its
window, one with the window state wiped before every run (a full scan) — over random registers,
per-branch thresholds, missed days, contacts entered with a past date, new members and moves.
The 创意园党支部 and the 科技园党支部 are fictional; so are 王XX and 赵XX.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FrozenClock
from bot.domain.codes import ContactKind, OrgCategory, OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.services.context import Services
from bot.services.scan.run import WINDOW_JOB, run_scan
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import scan_repo

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
KEY = b"test-audit-key-not-secret"
BRANCHES = ("创意园党支部", "科技园党支部", "老街社区党支部")


class Register:
    """One copy of the register; `full` wipes the scan's window state before each run."""

    def __init__(self, path: Path, clock: FrozenClock, full: bool):
        self.db = Database(path, KEY, clock)
        self.clock = clock
        self.full = full
        self.branches: list[int] = []
        self.members: list[int] = []

    async def open(self, n_branches: int) -> None:
        await self.db.open()
        async with self.db.write("test") as tx:
            top = await org_repo.add(tx, Organization(name="街道党工委", level=OrgLevel.PRIMARY_COMMITTEE,
                                                      category=OrgCategory.COMMUNITY))
            for name in BRANCHES[:n_branches]:
                self.branches.append(await org_repo.add(tx, Organization(
                    name=name, level=OrgLevel.BRANCH, category=OrgCategory.PRIVATE, parent_id=top)))

    async def add_member(self, branch: int, last: date | None) -> None:
        async with self.db.write("test") as tx:
            self.members.append(await member_repo.insert(
                tx, Member(branch_id=self.branches[branch], name=f"王{len(self.members):02d}"), last_contact_on=last))

    async def contact(self, member: int, on: date) -> None:
        async with self.db.write("test") as tx:
            await member_repo.record_contact(tx, self.members[member], ContactKind.BRANCH_CONTACT, on)

    async def move(self, member: int, branch: int) -> None:
        m = await member_repo.get(self.db, self.members[member])
        async with self.db.write("test") as tx:
            await member_repo.update(tx, m.model_copy(update={"branch_id": self.branches[branch]}), "move")

    async def thresholds(self, branch: int, out_months: int, lost_months: int) -> None:
        async with self.db.write("test") as tx:
            await org_repo.set_settings(tx, self.branches[branch],
                                        {"out_of_control_months": out_months, "lost_months": lost_months})

    async def scan(self) -> tuple[list[tuple], dict[int, tuple[int, str]]]:
        if self.full:
            async with self.db.write("test") as tx:
                await tx.execute("DELETE FROM job_runs WHERE job = ?", (WINDOW_JOB,))
        flags: list = []
        await run_scan(Services(self.db, self.clock), sink=flags.append, chunk=7)
        raised = sorted((f.kind, f.member_id) for f in flags if f.kind in ("lost", "out_of_control"))
        levels = {r[0]: (r[1], r[2]) for r in await self.db.fetchall("SELECT member_id, level, since FROM contact_levels")}
        return raised, levels


def member_dates(draw_days: st.SearchStrategy[int | None]) -> st.SearchStrategy:
    return st.tuples(st.integers(0, 2), draw_days)


days_back = st.one_of(st.none(), st.integers(0, 420))
event = st.one_of(
    st.tuples(st.just("contact"), st.integers(0, 40), st.integers(0, 300)),     # member, days before today
    st.tuples(st.just("add"), st.integers(0, 2), days_back),                     # branch, last contact
    st.tuples(st.just("move"), st.integers(0, 40), st.integers(0, 2)),           # member, to branch
    st.tuples(st.just("thresholds"), st.integers(0, 2), st.integers(1, 3), st.integers(3, 12)),
)
day = st.tuples(st.integers(1, 45), st.lists(event, max_size=6))                 # days since the last run


async def compare(n_branches: int, register: list[tuple[int, int | None]], days: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(START)
        copies = [Register(Path(tmp) / "window.db", clock, full=False), Register(Path(tmp) / "full.db", clock, full=True)]
        try:
            for r in copies:
                await r.open(n_branches)
            today = START.date()
            for branch, back in register:
                for r in copies:
                    await r.add_member(branch % n_branches, None if back is None else today - timedelta(days=back))
            for gap, events in [(0, [])] + days:
                clock.advance(days=gap)
                today = clock.today()
                for ev in events:
                    for r in copies:
                        kind = ev[0]
                        if kind == "contact" and r.members:
                            await r.contact(ev[1] % len(r.members), today - timedelta(days=ev[2]))
                        elif kind == "add":
                            await r.add_member(ev[1] % n_branches, None if ev[2] is None else today - timedelta(days=ev[2]))
                        elif kind == "move" and r.members:
                            await r.move(ev[1] % len(r.members), ev[2] % n_branches)
                        elif kind == "thresholds" and ev[3] > ev[2]:
                            await r.thresholds(ev[1] % n_branches, ev[2], ev[3])
                windowed, full = [await r.scan() for r in copies]
                assert windowed == full, (today, windowed, full)
        finally:
            for r in copies:
                await r.db.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_branches=st.integers(1, 3), register=st.lists(member_dates(days_back), max_size=25),
       days=st.lists(day, min_size=1, max_size=6))
def test_windowed_scan_flags_exactly_what_a_full_scan_flags(n_branches, register, days):
    asyncio.run(compare(n_branches, register, days))


def test_a_backdated_contact_moves_back_and_the_crossing_is_told_again():
    """赵XX, not heard of since 2026-03-01, is 失联 on 11-23. On 11-24 his secretary records a phone call he
    made on 10-10 (entered late): the call is newer than 03-01, so he is back in contact — but 10-10 is
    already more than a month ago (the 1-month cutoff on 11-25 is 10-25, hand-computed: 10-25 + 1 month
    = 11-25, not yet past; 10-10 + 1 month = 11-10 < 11-25), outside the window of that run [10-23, 10-25)
    (from the 11-23 cutoff to the 11-25 one):
    the next run must still tell his 失控 crossing, as a full scan would."""
    asyncio.run(compare(1, [(0, (START.date() - date(2026, 3, 1)).days)],
                        [(1, [("contact", 0, (date(2026, 11, 24) - date(2026, 10, 10)).days)]), (1, [])]))

    async def by_hand() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FrozenClock(START)
            r = Register(Path(tmp) / "b.db", clock, full=False)
            await r.open(1)
            await r.add_member(0, date(2026, 3, 1))
            assert (await r.scan())[0] == [("lost", r.members[0])]
            clock.advance(days=1)
            await r.contact(0, date(2026, 10, 10))
            assert await r.db.fetchall("SELECT * FROM contact_levels") == []    # back in contact
            clock.advance(days=1)
            raised, levels = await r.scan()
            assert raised == [("out_of_control", r.members[0])]
            assert levels == {r.members[0]: (1, "2026-11-25")}
            # The audit trail says who raised the level when, and still verifies.
            changes = await scan_repo.level_changes(r.db, r.members[0])
            assert [(c[1], c[2], c[3]) for c in changes] == [("scheduler", "lost", 2), ("scheduler", "out_of_control", 1)]
            assert [c[0][:10] for c in changes] == ["2026-11-23", "2026-11-25"]
            assert await r.db.verify_audit() == []
            await r.db.close()

    asyncio.run(by_hand())


def test_missed_days_are_caught_up_in_one_window():
    """Down from 11-23 to 12-20: every member who crossed a threshold in between is flagged at the next run.
    Last contacts 10-24 … 11-19 (one a day): the 1-month cutoff on 12-20 is 11-20 (11-20 + 1 month = 12-20,
    not past), so all 27 of them are past it; on 11-23 (cutoff 10-23) none was."""
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FrozenClock(START)
            r = Register(Path(tmp) / "m.db", clock, full=False)
            await r.open(1)
            for i in range(27):
                await r.add_member(0, date(2026, 10, 24) + timedelta(days=i))
            await r.add_member(0, date(2026, 11, 20))
            assert (await r.scan())[0] == []
            clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=SH))
            raised, _ = await r.scan()
            assert raised == [("out_of_control", m) for m in r.members[:27]]
            await r.db.close()

    asyncio.run(run())


def test_fast_paths_write_what_the_plain_ones_write():
    """The scan's hand-built payloads and the handlers' cached keyboards equal what the plain code builds."""
    from bot.handlers.markup import _keyboard, keyboard
    from bot.services.scan.messages import check_in_payload, render_check_in
    from bot.storage.outbox import payload_json

    for locale in ("zh_CN", "en"):
        for name in ("王XX", '<b>赵"XX"</b> & co'):
            assert check_in_payload(locale, name, 42) == payload_json(*render_check_in(locale, name, 42))
    rows = [[("报平安", "r:ok:42")], [("Menu", "c:menu"), ("My record", "c:me")]]
    assert keyboard(rows).to_dict() == _keyboard(rows).to_dict()
    assert keyboard(rows) is keyboard([list(r) for r in rows])          # built once, shared (PTB objects are frozen)


def test_positional_formatter_formats_as_str_format_does():
    """messages.formatter: the %-format the backlog's lines use gives what str.format gives, whatever the
    order of the placeholders in a translation, a literal %, or a placeholder it cannot turn into %s.
    (Templates missing from the catalogue come back as their msgid: they stand for translations here.)"""
    from bot.services.scan.messages import LINE_LAST_CONTACT, formatter, template

    values = {"name": "王&lt;XX&gt;", "date": "2026-10-01", "days": 53}
    fields = ("name", "date", "days")
    cases = [LINE_LAST_CONTACT, "{days} 天 (100%) — {name}, {date}", "{name}: {days:>4} days", "{date} {date} {name}",
             "{name} {name!r} {days}", "no placeholders, 50%"]
    for locale in ("zh_CN", "en"):
        for msgid in cases:
            expected = template(locale, msgid).format(**values)
            assert formatter(locale, msgid, fields)(tuple(values[f] for f in fields)) == expected, msgid
    assert formatter("zh_CN", LINE_LAST_CONTACT, fields)(("王XX", "2026-10-01", 53)) == "王XX：最近一次联系 2026-10-01（53天前）"
