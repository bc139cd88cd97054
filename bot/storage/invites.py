"""Invites that can be printed again, the branch join link, and who of a branch is bound to Telegram.

A code is never stored: the invites / join_links rows keep its sha256 (to redeem it) and a random nonce from
which the code is derived again with HMAC under a key derived from the audit key, which lives outside the
database. So the bulk sheet can be printed twice without invalidating the links already handed out, and a
copy of the database alone still opens no account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any, Iterable

from bot.clock import utc_iso
from bot.storage.db import Database, Tx
from bot.storage.users import hash_code

CODE_CONTEXT = b"branchbot/invite-codes/v1"
CODE_LENGTH = 16             # base64url characters: 96 bits
# A deep-link payload that opens a join link (member invites are bare codes).
JOIN_PREFIX = "join_"


def code_key(db: Database | Tx) -> bytes:
    """The key codes are derived with: a sub-key of the audit key (never the audit key itself)."""
    database = db.db if isinstance(db, Tx) else db
    return hmac.new(database.audit_key, CODE_CONTEXT, hashlib.sha256).digest()


def derive_code(key: bytes, nonce: str) -> str:
    """The code printed for a nonce: 16 characters of A-Z a-z 0-9 - _ (fits a deep-link payload)."""
    digest = hmac.new(key, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:CODE_LENGTH]


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


# ---- member invites ----------------------------------------------------------------------------------

async def create_member_invite(tx: Tx, member_id: int, expires_at: datetime, key: bytes) -> str:
    """A one-time member invite that can be printed again; audited without any personal value."""
    nonce = secrets.token_urlsafe(12)
    code = derive_code(key, nonce)
    await tx.execute("INSERT INTO invites (code_hash, member_id, expires_at, created_at, nonce)"
                     " VALUES (?,?,?,?,?)", (hash_code(code), member_id, utc_iso(expires_at), tx.now_iso, nonce))
    await tx.audit("invite", hash_code(code)[:12], "create", None,
                   {"member_id": member_id, "expires_at": utc_iso(expires_at), "reprintable": True})
    return code


async def outstanding_member_invites(db: Database | Tx, member_ids: Iterable[int], now: datetime,
                                     key: bytes) -> dict[int, tuple[str, str]]:
    """member id → (code, expires_at) of the member's latest invite still usable and printable."""
    ids = sorted(set(member_ids))
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = await db.fetchall(
            "SELECT member_id, nonce, expires_at FROM invites WHERE member_id IN (" + _marks(chunk) + ")"
            " AND nonce IS NOT NULL AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?"
            " ORDER BY expires_at", (*chunk, utc_iso(now)))
        for r in rows:  # the latest expiry wins (ordered ascending)
            out[r[0]] = (derive_code(key, r[1]), r[2])
    return out


async def revoke_member_invites(tx: Tx, member_ids: Iterable[int], reason: str) -> int:
    """Stop every unused invite of these members (a renewed sheet, an unbind); one audit row per member."""
    ids = sorted(set(member_ids))
    revoked = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = await tx.fetchall("SELECT member_id, COUNT(*) FROM invites WHERE member_id IN (" + _marks(chunk) + ")"
                                 " AND used_at IS NULL AND revoked_at IS NULL GROUP BY member_id", chunk)
        if not rows:
            continue
        await tx.execute("UPDATE invites SET revoked_at = ? WHERE member_id IN (" + _marks(chunk) + ")"
                         " AND used_at IS NULL AND revoked_at IS NULL", (tx.now_iso, *chunk))
        await tx.audit_many([("member", r[0], "invites_revoked", None, {"count": r[1], "reason": reason})
                             for r in rows])
        revoked += sum(r[1] for r in rows)
    return revoked


# ---- who is bound ------------------------------------------------------------------------------------

_BOUND = "EXISTS (SELECT 1 FROM users u WHERE u.member_id = m.id)"


async def members_by_binding(db: Database | Tx, branch_ids: Iterable[int], *, bound: bool = False,
                             name_like: str | None = None, offset: int = 0,
                             limit: int | None = None) -> tuple[list[Any], int]:
    """Active members of these branches with (bound) or without a Telegram account, by name; and their count.
    Rows: (id, branch_id, name, id_number, mobile)."""
    ids = sorted(set(branch_ids))
    if not ids:
        return [], 0
    where = f"m.branch_id IN ({_marks(ids)}) AND m.active = 1 AND {'' if bound else 'NOT '}{_BOUND}"
    params: list[Any] = list(ids)
    if name_like:
        where += " AND m.name LIKE ? ESCAPE '\\'"
        params.append("%" + name_like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    total = (await db.fetchone(f"SELECT COUNT(*) FROM members m WHERE {where}", params))[0]
    page = "" if limit is None else " LIMIT ? OFFSET ?"
    rows = await db.fetchall(f"SELECT m.id, m.branch_id, m.name, m.id_number, m.mobile FROM members m WHERE {where}"
                             f" ORDER BY m.name, m.id{page}", (*params, *(() if limit is None else (limit, offset))))
    return rows, int(total)


async def unbound_members(db: Database | Tx, branch_ids: Iterable[int], name_like: str | None = None,
                          offset: int = 0, limit: int | None = None) -> tuple[list[Any], int]:
    """Active members of these branches with no Telegram account bound (see members_by_binding)."""
    return await members_by_binding(db, branch_ids, bound=False, name_like=name_like, offset=offset, limit=limit)


async def binding_counts(db: Database | Tx, branch_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """branch id → (members bound to a Telegram account, active members), in one grouped query."""
    ids = sorted(set(branch_ids))
    out = {b: (0, 0) for b in ids}
    if not ids:
        return out
    rows = await db.fetchall(
        "SELECT m.branch_id, COUNT(u.tg_id), COUNT(*) FROM members m LEFT JOIN users u ON u.member_id = m.id"
        f" WHERE m.active = 1 AND m.branch_id IN ({_marks(ids)}) GROUP BY m.branch_id", ids)
    for branch, bound, total in rows:
        out[branch] = (int(bound), int(total))
    return out


async def unbind(tx: Tx, member_id: int) -> int | None:
    """Detach the member's Telegram account (roles stay with the account); returns the tg id or None."""
    row = await tx.fetchone("SELECT tg_id FROM users WHERE member_id = ?", (member_id,))
    if row is None:
        return None
    await tx.execute("UPDATE users SET member_id = NULL WHERE tg_id = ?", (row[0],))
    await tx.audit("user", row[0], "unbind", {"member_id": member_id}, {"member_id": None})
    return int(row[0])


# ---- the branch join link ----------------------------------------------------------------------------

async def active_join_link(db: Database | Tx, branch_id: int, now: datetime, key: bytes) -> tuple[str, str] | None:
    """(code, expires_at) of the branch's join link still in force, or None."""
    row = await db.fetchone("SELECT nonce, expires_at FROM join_links WHERE branch_id = ? AND revoked_at IS NULL"
                            " AND expires_at > ? ORDER BY id DESC LIMIT 1", (branch_id, utc_iso(now)))
    return (derive_code(key, row[0]), row[1]) if row else None


async def revoke_join_links(tx: Tx, branch_id: int) -> int:
    """Revoke the branch's join links still in force (audited when there was one)."""
    cur = await tx.execute("UPDATE join_links SET revoked_at = ? WHERE branch_id = ? AND revoked_at IS NULL"
                           " AND expires_at > ?", (tx.now_iso, branch_id, tx.now_iso))
    if cur.rowcount:
        await tx.audit("join_link", branch_id, "revoke", None, {"count": cur.rowcount})
    return cur.rowcount


async def create_join_link(tx: Tx, branch_id: int, expires_at: datetime, key: bytes) -> str:
    """A new join link for the branch (the previous one stops working); returns its code."""
    await revoke_join_links(tx, branch_id)
    nonce = secrets.token_urlsafe(12)
    code = derive_code(key, nonce)
    await tx.execute("INSERT INTO join_links (branch_id, code_hash, nonce, expires_at, created_at)"
                     " VALUES (?,?,?,?,?)", (branch_id, hash_code(code), nonce, utc_iso(expires_at), tx.now_iso))
    await tx.audit("join_link", branch_id, "create", None,
                   {"link": hash_code(code)[:12], "expires_at": utc_iso(expires_at)})
    return code


async def join_link_of(db: Database | Tx, code: str) -> Any:
    """The join_links row of a code (any state), or None."""
    return await db.fetchone("SELECT id, branch_id, expires_at, revoked_at FROM join_links WHERE code_hash = ?",
                             (hash_code(code),))
