"""Organization tree repository."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.org import Organization, check_parent
from bot.domain.errors import NotFound
from bot.i18n import N_
from bot.storage.db import Database, Tx


def _org(row: Any) -> Organization:
    return Organization(id=row["id"], name=row["name"], level=OrgLevel(row["level"]),
                        category=OrgCategory(row["category"]), parent_id=row["parent_id"], card_note=row["card_note"])


async def add(tx: Tx, org: Organization) -> int:
    parent = None
    if org.parent_id is not None:
        row = await tx.fetchone("SELECT * FROM orgs WHERE id = ?", (org.parent_id,))
        if row is None:
            raise NotFound(N_("No organization with id {id}"), field="parent_id", id=org.parent_id)
        parent = _org(row)
    check_parent(org, parent)
    new_id = await tx.insert("INSERT INTO orgs (name, level, category, parent_id, card_note) VALUES (?,?,?,?,?)",
                             (org.name, org.level.value, org.category.value, org.parent_id, org.card_note))
    await tx.audit("org", new_id, "create", None, org.model_dump(mode="json", exclude={"id"}))
    return new_id


async def get(db: Database | Tx, org_id: int) -> Organization | None:
    row = await db.fetchone("SELECT * FROM orgs WHERE id = ?", (org_id,))
    return _org(row) if row else None


async def all_orgs(db: Database) -> list[Organization]:
    return [_org(r) for r in await db.fetchall("SELECT * FROM orgs ORDER BY id")]


async def descendants(db: Database | Tx, org_id: int) -> list[int]:
    """The node and every node below it."""
    rows = await db.fetchall(
        "WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT o.id FROM orgs o JOIN sub ON o.parent_id = sub.id)"
        " SELECT id FROM sub", (org_id,))
    return [r[0] for r in rows]


async def ancestors(db: Database | Tx, org_id: int) -> list[int]:
    """The node and every node above it, bottom up."""
    rows = await db.fetchall(
        "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM orgs WHERE id = ?"
        " UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM orgs o JOIN up ON o.id = up.parent_id)"
        " SELECT id FROM up ORDER BY depth", (org_id,))
    return [r[0] for r in rows]


async def get_settings(db: Database | Tx, org_id: int) -> dict[str, Any]:
    row = await db.fetchone("SELECT settings FROM orgs WHERE id = ?", (org_id,))
    return json.loads(row[0]) if row else {}


async def set_settings(tx: Tx, org_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    before = await get_settings(tx, org_id)
    after = {**before, **changes}
    await tx.execute("UPDATE orgs SET settings = ? WHERE id = ?", (json.dumps(after, sort_keys=True), org_id))
    await tx.audit("org_settings", org_id, "update", before, after)
    return after
