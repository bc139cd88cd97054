"""A fictional 某镇党委 with three branches, for the summary-table golden tests (all data fictional).

填表日期 2026-11-23 (the test clock's day). The boundary is the scan's and the registers' (bot.domain.
registers): a last contact on 2026-05-23, exactly six months back, is not yet 失联; 2026-05-22 is. Every
member was entered on 2016-01-01 (the baseline of one with no contact at all). Every member below is one
line; the golden test works each number out by hand from these lines.

Cases are written straight into the `cases` table with the columns the disposition issue (issue 10)
CONTRACT names; `ensure_case_columns` adds the ones its migration 0004 brings (decided_on,
outcome_variant, findings) when they are not there yet — the one place to drop once issue 10 is merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.codes import OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo

AS_OF = date(2026, 11, 23)
ENTERED = "2016-01-01T00:00:00Z"


async def ensure_case_columns(db) -> None:
    """Add the CONTRACT columns of issue 10's migration 0004 if this branch does not have it yet."""
    cols = {r[1] for r in await db.fetchall("PRAGMA table_info(cases)")}
    async with db.write("test") as tx:
        for name in ("decided_on", "outcome_variant", "findings"):
            if name not in cols:
                await tx.execute(f"ALTER TABLE cases ADD COLUMN {name} TEXT")


@dataclass
class Person:
    """One member of the world: the record fields the tables read, contact dates, and the case."""

    key: str
    branch: str
    name: str
    birth: date
    occupation: str | None = None
    member_type: str = "full"
    confirmed: date | None = None
    joined: date | None = None
    gender: str = "male"
    ethnicity: str = "汉族"
    education: str | None = "bachelor"
    post: str | None = None
    since: date | None = None            # last 组织生活 (the official lost time starts here)
    last_contact: date | None = None     # last contact of any kind (defaults to `since`)
    active: bool = True
    pocket: bool = False
    flow_left: date | None = None
    outflow_report: date | None = None
    case: dict | None = None             # reason, state, outcome, decided_on, regained_on, outcome_variant
    extra: dict = field(default_factory=dict)


D = date
IN_TOUCH = D(2026, 11, 1)

PEOPLE = [
    # --- 经查找仍然无法取得联系 on 2026-11-23 (M1–M9): every bucket edge --------------------------------
    Person("M1", "A", "王一", D(1991, 11, 23), "private_left", "probationary", joined=D(2025, 12, 1),
           since=D(2026, 5, 22), education="bachelor", active=False,
           case=dict(reason="migrant_work", state="decided", outcome="probation_cancelled", decided_on="2026-11-20")),
    Person("M2", "A", "王二", D(1990, 11, 23), "rural_migrant", confirmed=D(2025, 11, 23), joined=D(2024, 11, 23),
           gender="female", ethnicity="回族", education="junior", since=D(2026, 5, 22),
           case=dict(reason="migrant_work", state="decided", outcome="suspended_unreachable",
                     decided_on="2026-11-01")),
    Person("M3", "A", "王三", D(1981, 11, 23), None, confirmed=D(2021, 11, 23), joined=D(2020, 11, 23),
           education="senior", post="secretary", since=D(2025, 11, 23), active=False,
           case=dict(reason=None, state="decided", outcome="removed_lapsed", decided_on="2026-10-15")),
    Person("M4", "B", "王四", D(1980, 11, 23), "soe_laid_off", confirmed=D(2020, 11, 23), joined=D(2019, 11, 23),
           education="vocational", since=D(2020, 12, 23)),                      # no case yet
    Person("M5", "B", "王五", D(1966, 11, 23), "retired_public", confirmed=D(2016, 11, 23), joined=D(2015, 11, 23),
           education="primary", post="deputy_secretary", since=D(2020, 11, 23), active=False,
           case=dict(reason="unit_restructured", state="decided", outcome="expelled", decided_on="2026-09-01")),
    Person("M6", "B", "王六", D(1965, 11, 23), "talent_centre", confirmed=D(2015, 11, 23), joined=D(2014, 11, 23),
           gender="female", education="college", since=D(2015, 11, 23),
           case=dict(reason="abroad", state="decided", outcome="suspended_settled_abroad", decided_on="2026-08-01")),
    Person("M7", "C", "王七", D(1982, 6, 1), "separated_household", confirmed=D(2006, 11, 23), joined=D(2005, 11, 23),
           ethnicity="蒙古族", education="postgraduate", since=D(2015, 12, 23),
           case=dict(reason="residence_changed", state="proposed", outcome="removed_lapsed")),
    Person("M8", "C", "王八", D(1956, 3, 15), "rural_migrant", confirmed=D(2005, 11, 23), joined=D(2004, 11, 23),
           education="junior", post="committee", since=D(2025, 11, 23),
           case=dict(reason="work_unit_changed", state="searching")),
    Person("M9", "C", "王九", D(1990, 11, 24), "graduate", confirmed=D(2024, 6, 1), education=None, since=None,
           case=dict(reason="graduate_unknown", state="searching")),
    # --- reached after search (R1–R6), one deceased (D1) ----------------------------------------------
    Person("R1", "A", "李一", D(1985, 1, 1), "private_left", confirmed=D(2010, 1, 1), since=D(2025, 1, 1),
           last_contact=D(2026, 10, 1), case=dict(reason="migrant_work", state="decided",
                                                  outcome="brought_under_management", decided_on="2026-11-10",
                                                  regained_on="2026-10-01")),
    Person("R2", "B", "李二", D(1986, 1, 1), "talent_centre", confirmed=D(2011, 1, 1), since=D(2025, 1, 1),
           last_contact=D(2026, 10, 1), case=dict(reason="work_unit_changed", state="decided",
                                                  outcome="brought_under_management", outcome_variant="late_transfer",
                                                  decided_on="2026-11-10", regained_on="2026-10-01")),
    Person("R3", "C", "李三", D(1975, 1, 1), "rural_migrant", confirmed=D(2000, 1, 1), since=D(2025, 1, 1),
           last_contact=D(2026, 9, 1), case=dict(reason="migrant_work", state="decided",
                                                 outcome="probation_within_party", decided_on="2026-11-05",
                                                 regained_on="2026-09-01")),
    Person("R4", "C", "李四", D(1995, 1, 1), "graduate", confirmed=D(2018, 1, 1), since=D(2025, 1, 1),
           last_contact=D(2026, 9, 1), case=dict(reason="abroad", state="decided", outcome="relationship_retained",
                                                 decided_on="2026-11-05", regained_on="2026-09-01")),
    # R5: reached, but the contact lives only on the case (regained_on), not in last_contact_on.
    Person("R5", "B", "李五", D(1970, 1, 1), "soe_laid_off", confirmed=D(1995, 1, 1), since=D(2025, 1, 1),
           case=dict(reason="unit_restructured", state="investigated", regained_on="2026-09-15")),
    Person("R6", "B", "李六", D(1972, 1, 1), "separated_household", confirmed=D(1998, 1, 1), since=D(2025, 1, 1),
           last_contact=D(2026, 8, 1), active=False,
           case=dict(reason="residence_changed", state="decided", outcome="removed_withdrew",
                     decided_on="2026-10-20", regained_on="2026-08-01")),
    Person("D1", "C", "赵一", D(1940, 1, 1), None, confirmed=D(1965, 1, 1), since=D(2024, 1, 1), active=False,
           case=dict(reason="other", state="decided", outcome="deceased", decided_on="2026-06-01")),
    # --- in contact ------------------------------------------------------------------------------------
    # N1: last contact 2026-05-23, exactly six months: not yet 失联 (the scan's day), not counted.
    Person("N1", "A", "张一", D(1988, 1, 1), None, confirmed=D(2012, 1, 1), since=D(2026, 5, 23)),
    # N2: no 组织生活 for two years, but an 外出流动 report of their own on 2026-02-01 ... and a check-in since.
    Person("N2", "B", "张二", D(1989, 1, 1), "soe_laid_off", confirmed=D(2013, 1, 1), since=D(2024, 11, 1),
           last_contact=D(2026, 10, 30), outflow_report=D(2026, 2, 1)),
    Person("P1", "A", "张三", D(1990, 1, 1), "private_left", confirmed=D(2014, 1, 1), since=IN_TOUCH, pocket=True),
    Person("G1", "A", "张四", D(1998, 1, 1), "rural_migrant", "probationary", joined=D(2026, 3, 1), since=IN_TOUCH,
           flow_left=D(2026, 3, 1)),
    Person("G2", "C", "张五", D(1978, 1, 1), "other", confirmed=D(2003, 1, 1), since=IN_TOUCH),
    # T1: transferred out and landed before the check, no case: not on the register.
    Person("T1", "C", "张六", D(1979, 1, 1), "other", confirmed=D(2004, 1, 1), since=D(2024, 1, 1), active=False),
]

BRANCHES = {"A": "创意园党支部", "B": "工业园党支部", "C": "农村党支部"}


@dataclass
class World:
    committee: int
    branches: dict[str, int]
    members: dict[str, int]


def _member(p: Person, branch_id: int) -> Member:
    data = dict(branch_id=branch_id, name=p.name, birth_date=p.birth, gender=p.gender, ethnicity=p.ethnicity,
                education=p.education, occupation=p.occupation, member_type=p.member_type, confirmed_on=p.confirmed,
                joined_on=p.joined, party_post=p.post, special_statuses=["pocket"] if p.pocket else [])
    if p.flow_left:
        data["flow"] = dict(left_on=p.flow_left, destination="广东省深圳市")
    return Member.model_validate(data)


async def build_world(db, people: list[Person] = PEOPLE) -> World:
    """Write the committee, its three branches, the members and their cases."""
    await ensure_case_columns(db)
    async with db.write("test") as tx:
        committee = await org_repo.add(tx, Organization(name="某镇党委", level=OrgLevel.PRIMARY_COMMITTEE))
        branches = {k: await org_repo.add(tx, Organization(name=v, level=OrgLevel.BRANCH, parent_id=committee))
                    for k, v in BRANCHES.items()}
        ids: dict[str, int] = {}
        for p in people:
            mid = await member_repo.insert(tx, _member(p, branches[p.branch]))
            ids[p.key] = mid
            last = p.last_contact or p.since
            await tx.execute(
                "UPDATE members SET last_meeting_on = ?, last_contact_on = ?, active = ?, created_at = ? WHERE id = ?",
                (p.since.isoformat() if p.since else None, last.isoformat() if last else None, int(p.active),
                 ENTERED, mid))
            if p.outflow_report:
                await tx.execute("INSERT INTO status_reports (member_id, kind, on_date, details, created_at)"
                                 " VALUES (?, 'outflow', ?, '{}', ?)", (mid, p.outflow_report.isoformat(), tx.now_iso))
            if p.case:
                c = p.case
                await tx.execute(
                    "INSERT INTO cases (member_id, opened_on, reason, state, outcome, regained_on, decided_on,"
                    " outcome_variant, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (mid, "2026-06-01", c.get("reason"), c["state"], c.get("outcome"), c.get("regained_on"),
                     c.get("decided_on"), c.get("outcome_variant"), tx.now_iso))
    return World(committee, branches, ids)


def table_of(db, name: str, org_id: int, as_of: date = AS_OF):
    """The named summary table, built on the engine's read-only Reader as an export builds it."""
    from bot.forms.queries import Reader
    from bot.forms.summary.build import build

    with Reader(db.path) as reader:
        return build(reader, name, org_id, as_of)


def cli_env(tmp_path, monkeypatch):
    """A fresh folder for `branchbot`: its key file there, English output; returns the database path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRANCHBOT_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "en")
    for name in ("BRANCHBOT_AUDIT_KEY", "BRANCHBOT_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "branch.db"


def seed_world(path, people=PEOPLE, then=None) -> World:
    """Write the world into the database `branchbot init` made at `path` (and `then(db, world)` if given)."""
    import asyncio

    from bot.clock import Clock
    from bot.config import Settings
    from bot.storage import Database

    async def go() -> World:
        db = Database(path, Settings().audit_key_bytes(create=False), Clock("Asia/Shanghai"))
        await db.open()
        try:
            w = await build_world(db, people)
            if then is not None:
                await then(db, w)
            return w
        finally:
            await db.close()
    return asyncio.run(go())
