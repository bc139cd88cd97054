"""The organization tree: 党支部 → 党总支 → 基层党（工）委 → 组织部门."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.errors import DomainError
from bot.i18n import N_


class Organization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    name: str = Field(min_length=1, max_length=100)
    level: OrgLevel
    category: OrgCategory = OrgCategory.OTHER
    parent_id: int | None = None
    # What the 联心卡 (seed 004 measure 六) prints besides the officers' contacts.
    card_note: str | None = Field(default=None, max_length=500)


def check_parent(child: Organization, parent: Organization | None) -> None:
    """A node hangs under a node of a higher level (a branch may sit directly under a committee)."""
    if parent is None:
        return
    if parent.level.code <= child.level.code:
        raise DomainError(N_("A {child} cannot sit under a {parent}"), field="parent_id",
                          child=child.level.en, parent=parent.level.en)
