"""What several registers share: reading a member row, the 填报单位 line, the 所在党支部 column of a
subtree export, and the request's Meta."""

from __future__ import annotations

from typing import Any

from bot.domain.member import Member
from bot.forms.model import Column, Meta, col
from bot.forms.registry import FormRequest, Scope

BRANCH_COLUMN = col("所在党支部", width=16)


def member_of(row: Any) -> Member:
    """The Member stored in a members row (validated: the record is the register's source of truth)."""
    member = Member.model_validate_json(row["record"])
    member.id = row["id"]
    return member


def unit_name(scope: Scope) -> str:
    """填报单位: the node itself (a branch is written under its committee, as the 名册's heading reads)."""
    return scope.name


def meta_for(req: FormRequest, scope: Scope, date_text: str | None = None) -> Meta:
    return Meta(unit=unit_name(scope), filled_on=req.as_of, preparer=req.preparer, phone=req.phone,
                date_text=date_text)


def with_branch(columns: tuple[Column, ...], scope: Scope, before_last: bool = True) -> tuple[Column, ...]:
    """A subtree's register names each member's branch: a 所在党支部 column before 备注 (or at the end)."""
    if not scope.is_subtree:
        return columns
    if before_last:
        return (*columns[:-1], BRANCH_COLUMN, columns[-1])
    return (*columns, BRANCH_COLUMN)


def insert_branch(values: list[Any], scope: Scope, branch_id: int, before_last: bool = True) -> list[Any]:
    if not scope.is_subtree:
        return values
    name = scope.names.get(branch_id, "")
    return [*values[:-1], name, values[-1]] if before_last else [*values, name]


def join_remarks(*parts: str | None) -> str:
    return "；".join(p for p in parts if p)
