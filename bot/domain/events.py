"""Contact events, status reports, transfers (四个清楚) and search attempts."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.codes import ContactKind, ReportKind, SearchMethod, SearchResult, TransferKind
from bot.domain.errors import DomainError
from bot.domain.phone import normalise_mobile
from bot.i18n import N_

FREE_TEXT_MAX = 2000


class ContactEvent(BaseModel):
    """Anything that shows the member is within the organization's reach on a date."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    member_id: int
    kind: ContactKind
    on: date
    note: str | None = Field(default=None, max_length=FREE_TEXT_MAX)
    amount: str | None = None   # 党费 paid, as a decimal string


class StatusReport(BaseModel):
    """A member's own report from their phone; stored with its details as JSON."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    member_id: int
    kind: ReportKind
    on: date
    details: dict = Field(default_factory=dict)


class Transfer(BaseModel):
    """A transfer out of the organizational relationship, with the 四个清楚 (seed 004 measure 四)."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    member_id: int
    kind: TransferKind                                      # 性质清楚: permanent or temporary
    to_org: str = Field(min_length=1, max_length=200)        # receiving Party organization
    destination: str = Field(min_length=1, max_length=200)   # 去向清楚: where they work/study/live
    phone: str                                               # 联系方式清楚: mobile …
    wechat: str | None = Field(default=None, max_length=60)  # … and WeChat
    backup_name: str = Field(min_length=1, max_length=40)    # 备用联系人清楚
    backup_phone: str
    sent_on: date
    receipt_on: date | None = None                           # 回执 received
    receipt_note: str | None = Field(default=None, max_length=FREE_TEXT_MAX)

    @field_validator("phone", "backup_phone")
    @classmethod
    def _phones(cls, v: str) -> str:
        return normalise_mobile(v)


class SearchAttempt(BaseModel):
    """One entry of the 联系查找情况记录表: 查找过程, 查找方式, 查找对象, 联系电话, signed by ≥2 full members."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    case_id: int | None = None
    member_id: int
    on: date
    method: SearchMethod
    contacted: str = Field(min_length=1, max_length=200)     # 查找对象, e.g. 办事员陈XX
    contact_phone: str | None = Field(default=None, max_length=40)  # any phone: a 派出所 landline too
    narrative: str = Field(min_length=1, max_length=FREE_TEXT_MAX)
    result: SearchResult
    signer_ids: list[int] = Field(default_factory=list)

    @field_validator("signer_ids")
    @classmethod
    def _two_signers(cls, v: list[int]) -> list[int]:
        unique = list(dict.fromkeys(v))
        if len(unique) < 2:
            raise DomainError(N_("A search record needs at least two signing full members"), field="signer_ids")
        return unique


class AuditedAt(BaseModel):
    at: datetime
