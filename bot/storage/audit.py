"""The audit trail: each row is chained to the one before by HMAC-SHA256 under a key kept outside the DB.

hash_n = HMAC(key, hash_{n-1} ‖ canonical(row_n)), where the canonical form includes the row id, so
an edited, deleted or reordered row breaks the chain at that row; the MAC'd head catches rows cut off
the end. Verification needs the key, so whoever can rewrite the file still cannot forge the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Iterable

GENESIS = "0" * 64


def canonical(row_id: int, at: str, actor: str, entity: str, entity_id: str | None, action: str,
              before: str | None, after: str | None) -> bytes:
    return json.dumps([row_id, at, actor, entity, entity_id, action, before, after],
                      ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(key: bytes, prev_hash: str, content: bytes) -> str:
    return hmac.new(key, prev_hash.encode() + content, hashlib.sha256).hexdigest()


def head_mac(key: bytes, last_id: int, last_hash: str) -> str:
    return hmac.new(key, f"head:{last_id}:{last_hash}".encode(), hashlib.sha256).hexdigest()


class RawJSON(str):
    """JSON text already in canonical form (compact: SQLite's JSON functions write it so), put into a
    payload as it is. The first scan's audit rows list hundreds of thousands of member ids that come
    from SQLite as JSON and are never parsed in Python."""


def to_json(value: Any) -> str | None:
    """Canonical JSON for before/after payloads (sorted keys, so equal records hash equal). A RawJSON
    value, or one at the top level of a dict payload, is included as it is."""
    if value is None:
        return None
    if isinstance(value, RawJSON):
        return str(value)
    if isinstance(value, dict) and any(isinstance(v, RawJSON) for v in value.values()):
        parts = (f"{_canonical(str(k))}:{v if isinstance(v, RawJSON) else _canonical(v)}"
                 for k, v in sorted(value.items()))
        return "{" + ",".join(parts) + "}"
    return _canonical(value)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class AuditProblem:
    row_id: int
    kind: str      # edited / deleted / reordered / truncated / head
    detail: str

    def __str__(self) -> str:
        return f"row {self.row_id}: {self.kind} ({self.detail})"


def verify_rows(key: bytes, rows: Iterable[tuple], head: tuple | None) -> list[AuditProblem]:
    """Walk the chain in id order; report the first break of each kind the walk meets.

    rows: (id, at, actor, entity, entity_id, action, before, after, prev_hash, hash) sorted by id.
    head: (last_id, last_hash, mac) or None.
    """
    rows = list(rows)
    by_hash = {r[9]: r[0] for r in rows}
    problems: list[AuditProblem] = []
    prev_hash, prev_id = GENESIS, 0
    for r in rows:
        row_id, stored_prev, stored_hash = r[0], r[8], r[9]
        if stored_prev != prev_hash:
            if stored_prev in by_hash and by_hash[stored_prev] != prev_id:
                problems.append(AuditProblem(row_id, "reordered",
                                             f"follows row {by_hash[stored_prev]}, not row {prev_id}"))
            elif row_id != prev_id + 1:
                problems.append(AuditProblem(prev_id + 1, "deleted",
                                             f"rows {prev_id + 1}–{row_id - 1} are missing"))
            else:
                problems.append(AuditProblem(row_id, "deleted" if stored_prev not in by_hash else "edited",
                                             "does not follow the row before it"))
            break
        if chain_hash(key, stored_prev, canonical(*r[:8])) != stored_hash:
            problems.append(AuditProblem(row_id, "edited", "content does not match its hash"))
            break
        prev_hash, prev_id = stored_hash, row_id
    if problems:
        return problems
    if head is None:
        # Database.open() seals the empty chain's head at creation, so even an empty log has one: a missing
        # head means it was deleted (possibly with every row).
        problems.append(AuditProblem(prev_id, "head", "the chain head is missing"))
        return problems
    last_id, last_hash, mac = head
    if not hmac.compare_digest(mac, head_mac(key, last_id, last_hash)):
        problems.append(AuditProblem(last_id, "head", "the chain head was altered"))
    elif last_id != prev_id or last_hash != prev_hash:
        problems.append(AuditProblem(prev_id + 1, "truncated",
                                     f"rows {prev_id + 1}–{last_id} were cut off the end"))
    return problems
