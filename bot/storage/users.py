"""Telegram users, their roles over organization nodes, and one-time invites."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import utc_iso
from bot.domain.codes import Role
from bot.domain.errors import DomainError
from bot.i18n import N_
from bot.storage.db import Database, Tx

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass
class UserRecord:
    tg_id: int
    member_id: int | None
    locale: str | None
    blocked_at: str | None
    roles: list[tuple[Role, int]] = field(default_factory=list)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def get_user(db: Database | Tx, tg_id: int) -> UserRecord | None:
    row = await db.fetchone("SELECT tg_id, member_id, locale, blocked_at FROM users WHERE tg_id = ?", (tg_id,))
    if row is None:
        return None
    roles = await db.fetchall("SELECT role, org_id FROM roles WHERE tg_id = ? ORDER BY org_id", (tg_id,))
    return UserRecord(row[0], row[1], row[2], row[3], [(Role(r[0]), r[1]) for r in roles])


async def ensure_user(tx: Tx, tg_id: int) -> None:
    await tx.execute("INSERT OR IGNORE INTO users (tg_id, created_at) VALUES (?, ?)", (tg_id, tx.now_iso))


async def user_for_member(db: Database | Tx, member_id: int) -> int | None:
    row = await db.fetchone("SELECT tg_id FROM users WHERE member_id = ?", (member_id,))
    return row[0] if row else None


async def grant(tx: Tx, tg_id: int, role: Role, org_id: int) -> None:
    await ensure_user(tx, tg_id)
    await tx.execute("INSERT OR IGNORE INTO roles (tg_id, role, org_id) VALUES (?,?,?)", (tg_id, role.value, org_id))
    await tx.audit("role", f"{tg_id}:{role.value}:{org_id}", "grant", None,
                   {"tg_id": tg_id, "role": role.value, "org_id": org_id})


async def revoke(tx: Tx, tg_id: int, role: Role, org_id: int) -> None:
    await tx.execute("DELETE FROM roles WHERE tg_id = ? AND role = ? AND org_id = ?", (tg_id, role.value, org_id))
    await tx.audit("role", f"{tg_id}:{role.value}:{org_id}", "revoke",
                   {"tg_id": tg_id, "role": role.value, "org_id": org_id}, None)


async def set_locale(tx: Tx, tg_id: int, locale: str | None) -> None:
    await ensure_user(tx, tg_id)
    await tx.execute("UPDATE users SET locale = ? WHERE tg_id = ?", (locale, tg_id))


async def set_menu(tx: Tx, tg_id: int, menu: str | None) -> None:
    """Record the chat menu published for the user (session state for the bot: no audit row)."""
    await tx.execute("UPDATE users SET menu = ? WHERE tg_id = ?", (menu, tg_id))


async def set_blocked(tx: Tx, tg_id: int, blocked: bool) -> None:
    await tx.execute("UPDATE users SET blocked_at = ? WHERE tg_id = ?", (tx.now_iso if blocked else None, tg_id))
    await tx.audit("user", tg_id, "blocked" if blocked else "unblocked", None, None)


async def officers_of(db: Database | Tx, org_id: int, roles: tuple[Role, ...] = (Role.SECRETARY, Role.ORGANIZER)) -> list[int]:
    """Telegram ids holding one of `roles` on exactly this node."""
    marks = ",".join("?" * len(roles))
    rows = await db.fetchall(f"SELECT DISTINCT tg_id FROM roles WHERE org_id = ? AND role IN ({marks})",
                             (org_id, *[r.value for r in roles]))
    return [r[0] for r in rows]


async def create_invite(tx: Tx, expires_at: datetime, member_id: int | None = None, role: Role | None = None,
                        org_id: int | None = None) -> str:
    """A one-time code; only its hash is stored. Returns the code (print it once)."""
    if member_id is None and role is None:
        raise DomainError(N_("An invite is for a member or a role"))
    code = secrets.token_urlsafe(12)
    await tx.execute("INSERT INTO invites (code_hash, member_id, role, org_id, expires_at, created_at)"
                     " VALUES (?,?,?,?,?,?)", (hash_code(code), member_id, role.value if role else None, org_id,
                                               utc_iso(expires_at), tx.now_iso))
    await tx.audit("invite", hash_code(code)[:12], "create", None,
                   {"member_id": member_id, "role": role.value if role else None, "org_id": org_id,
                    "expires_at": utc_iso(expires_at)})
    return code


async def recent_failures(db: Database | Tx, tg_id: int, now: datetime) -> int:
    row = await db.fetchone("SELECT COUNT(*) FROM invite_failures WHERE tg_id = ? AND at > ?",
                            (tg_id, utc_iso(now - FAILURE_WINDOW)))
    return int(row[0])


async def redeem_invite(tx: Tx, tg_id: int, code: str) -> dict[str, Any]:
    """Bind the user (member invite) or grant the role (role invite). Throttles repeated wrong guesses."""
    if await recent_failures(tx, tg_id, tx.now) >= MAX_FAILURES:
        raise DomainError(N_("Too many wrong invite codes: please wait a quarter of an hour and try again"),
                          field="throttled")
    row = await tx.fetchone("SELECT member_id, role, org_id, expires_at, used_at, revoked_at FROM invites"
                            " WHERE code_hash = ?", (hash_code(code),))
    if row is None or row["used_at"] is not None or row["expires_at"] <= tx.now_iso or row["revoked_at"]:
        await tx.execute("INSERT INTO invite_failures (tg_id, at) VALUES (?, ?)", (tg_id, tx.now_iso))
        await tx.audit("invite", None, "failed", None, {"tg_id": tg_id})
        reason = N_("This invite has already been used") if row is not None and row["used_at"] else (
            N_("This invite was replaced by a newer one: ask your branch secretary for it") if row is not None
            and row["revoked_at"] else
            N_("This invite has expired: ask your branch secretary for a new one") if row is not None
            else N_("This invite code is not valid"))
        raise DomainError(reason, field="invite")
    await ensure_user(tx, tg_id)
    if row["member_id"] is not None:
        taken = await tx.fetchone("SELECT tg_id FROM users WHERE member_id = ?", (row["member_id"],))
        if taken is not None and taken[0] != tg_id:
            raise DomainError(N_("This member is already bound to another Telegram account"), field="invite")
        await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (row["member_id"], tg_id))
    if row["role"] is not None:
        await grant(tx, tg_id, Role(row["role"]), row["org_id"])
    await tx.execute("UPDATE invites SET used_at = ?, used_by = ? WHERE code_hash = ?",
                     (tx.now_iso, tg_id, hash_code(code)))
    await tx.audit("invite", hash_code(code)[:12], "redeem", None, {"tg_id": tg_id, "member_id": row["member_id"]})
    return {"member_id": row["member_id"], "role": row["role"], "org_id": row["org_id"]}


async def effective_locale(db: Database | Tx, tg_id: int, default: str = "zh_CN") -> str:
    """The /lang override, else the language Telegram last reported, else the deployment default."""
    row = await db.fetchone("SELECT locale, lang_code FROM users WHERE tg_id = ?", (tg_id,))
    return default if row is None else locale_from(row[0], row[1], default)


def locale_from(locale: str | None, lang_code: str | None, default: str = "zh_CN") -> str:
    """effective_locale of a users row already read (its locale and lang_code columns)."""
    from bot.i18n import normalize_locale

    if locale:
        return locale
    return normalize_locale(lang_code) if lang_code else default


async def seen(tx: Tx, tg_id: int, lang_code: str | None) -> None:
    """Remember the language Telegram reports, so reminders go out in it."""
    # One statement (one hop to SQLite's thread): a new user is inserted with it, a known one updated if it changed.
    await tx.execute("INSERT INTO users (tg_id, created_at, lang_code) VALUES (?, ?, ?) ON CONFLICT(tg_id) DO UPDATE"
                     " SET lang_code = excluded.lang_code"
                     " WHERE COALESCE(users.lang_code, '') != COALESCE(excluded.lang_code, '')",
                     (tg_id, tx.now_iso, lang_code))
