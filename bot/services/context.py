"""What every use case receives: the storage, the clock, and who is acting with which roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.domain.codes import Role
from bot.domain.errors import PermissionDenied
from bot.i18n import N_
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo
from bot.storage.db import Database


@dataclass
class Actor:
    """The acting user. `label` goes into the audit trail (a Telegram id or an operator name, never a name)."""

    label: str
    tg_id: int | None = None
    member_id: int | None = None
    roles: list[tuple[Role, int]] = field(default_factory=list)
    operator: bool = False   # the CLI operator / scheduler: may do everything

    @property
    def is_officer(self) -> bool:
        return self.operator or bool(self.roles)


@dataclass
class Services:
    db: Database
    clock: Clock


OPERATOR = Actor(label="cli", operator=True)
SCHEDULER = Actor(label="scheduler", operator=True)


async def actor_for(db: Database, tg_id: int) -> Actor:
    user = await user_repo.get_user(db, tg_id)
    if user is None:
        return Actor(label=f"tg:{tg_id}", tg_id=tg_id)
    return Actor(label=f"tg:{tg_id}", tg_id=tg_id, member_id=user.member_id, roles=list(user.roles))


@dataclass
class UserPrefs:
    """What a handler needs of the users row besides the Actor (one query with it, see actor_with_prefs)."""

    known: bool
    locale: str | None = None
    lang_code: str | None = None
    blocked_at: str | None = None
    menu: str | None = None          # the chat menu last published for this user (see commands_menu)


async def actor_with_prefs(db: Database, tg_id: int) -> tuple[Actor, UserPrefs]:
    """The Actor and the user's language settings in one query (this runs for every update)."""
    row = await db.fetchone_now(  # users by primary key, roles by its (tg_id, …) key: a point lookup
        "SELECT u.member_id, u.locale, u.lang_code, u.blocked_at, u.menu,"
        " (SELECT group_concat(r.role || ':' || r.org_id, ',') FROM roles r WHERE r.tg_id = u.tg_id)"
        " FROM users u WHERE u.tg_id = ?", (tg_id,))
    label = f"tg:{tg_id}"
    if row is None:
        return Actor(label=label, tg_id=tg_id), UserPrefs(known=False)
    roles = []
    for item in (row[5] or "").split(","):
        if item:
            role, org_id = item.rsplit(":", 1)
            roles.append((Role(role), int(org_id)))
    roles.sort(key=lambda r: r[1])
    return (Actor(label=label, tg_id=tg_id, member_id=row[0], roles=roles),
            UserPrefs(known=True, locale=row[1], lang_code=row[2], blocked_at=row[3], menu=row[4]))


async def managed_branches(db: Database, actor: Actor) -> list[int]:
    """Organization ids whose members the actor may see and manage (roles cover their subtree)."""
    if actor.operator:
        return [r[0] for r in await db.fetchall("SELECT id FROM orgs")]
    out: set[int] = set()
    for _role, org_id in actor.roles:
        out.update(await org_repo.descendants(db, org_id))
    return sorted(out)


async def require_branch(db: Database, actor: Actor, branch_id: int) -> None:
    """Raise unless the actor holds a role on this branch or any node above it."""
    if actor.operator:
        return
    above = set(await org_repo.ancestors(db, branch_id))
    if not any(org_id in above for _role, org_id in actor.roles):
        raise PermissionDenied(N_("You are not allowed to do that"))
