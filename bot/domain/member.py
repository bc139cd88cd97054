"""The member as the 党员基本情况登记表 (seeds 000 and 002) records them."""

from __future__ import annotations

from datetime import date
from typing import Any
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.codes import (
    Education, FlowEmployment, FlowIdentity, Gender, MaritalStatus, MemberType, Occupation,
    OutflowReason, OutflowType, PartyPost, SpecialStatus, UnitCategory,
)
from bot.domain.dates import add_months
from bot.domain.errors import DomainError
from bot.domain.idcard import parse_id_number
from bot.domain.phone import normalise_mobile
from bot.i18n import N_

HOUSEHOLD_MAX_HAN = 32


def _count_han(text: str) -> int:
    """Chinese characters (汉字) in text: the 32-character limit counts these only, not digits or Latin.

    Includes the supplementary-plane extensions (U+20000…): rare characters (生僻字) do occur in place names.
    """
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"
               or "\U00020000" <= ch <= "\U0003134f")


class FlowInfo(BaseModel):
    """The flow block (党员流动信息) of the 登记表 and 附件2 流动党员基本信息登记表."""

    model_config = ConfigDict(extra="forbid")

    left_on: date                                  # 流出日期
    destination: str = Field(max_length=200)       # 外出流向 (省/市/县 or unit)
    outflow_type: OutflowType | None = None        # 外出类型
    outflow_reason: OutflowReason | None = None    # 外出原因
    expected_return: date | None = None
    certificate_no: str | None = Field(default=None, max_length=40)   # 流动党员活动证号码
    inflow_place: str | None = Field(default=None, max_length=200)    # 流入地（单位）
    inflow_contact: str | None = Field(default=None, max_length=200)  # 流入党支部联系人及联系方式
    employment: FlowEmployment | None = None       # 从业状况
    identity: FlowIdentity | None = None           # 党员身份
    officer_member_id: int | None = None           # 指定专人 responsible for keeping contact


class Member(BaseModel):
    """A Party member's record. Dates are calendar dates; `check(today)` applies the date rules."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    id: int | None = None
    branch_id: int
    name: str = Field(min_length=1, max_length=40)
    gender: Gender | None = None
    ethnicity: str | None = Field(default=None, max_length=20)        # 民族
    native_place: str | None = Field(default=None, max_length=60)     # 籍贯
    birth_date: date | None = None
    id_number: str | None = None
    mobile: str | None = None
    other_contacts: str | None = Field(default=None, max_length=200)  # 其他联系方式 (微信/QQ/电话)
    household_register: str | None = Field(default=None, max_length=100)  # 户籍所在地
    residence: str | None = Field(default=None, max_length=200)       # 实际居住地址
    marital_status: MaritalStatus | None = None
    graduated_from: str | None = Field(default=None, max_length=100)
    education: Education | None = None
    degree: str | None = Field(default=None, max_length=40)
    work_started_on: date | None = None
    work_unit: str | None = Field(default=None, max_length=200)       # 工作单位及职务（职称）
    unit_category: UnitCategory | None = None
    occupation: Occupation | None = None
    joined_on: date | None = None                                     # 入党日期 (became probationary)
    joined_at_org: str | None = Field(default=None, max_length=100)   # 入党时所在党组织
    confirmed_on: date | None = None                                  # 转正日期
    entered_branch_on: date | None = None                             # 进入支部日期
    party_post: PartyPost | None = None
    monthly_dues: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    member_type: MemberType = MemberType.FULL
    hardship: bool = False
    retired: bool = False
    reported_community: str | None = Field(default=None, max_length=100)  # 在职党员报到社区
    special_statuses: list[SpecialStatus] = Field(default_factory=list)
    flow: FlowInfo | None = None
    remarks: str | None = Field(default=None, max_length=500)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise DomainError(N_("The name is empty"), field="name")
        return v

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, v: str | None) -> str | None:
        return parse_id_number(v).value if v else None

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, v: str | None) -> str | None:
        return normalise_mobile(v) if v else None

    @field_validator("household_register")
    @classmethod
    def _household(cls, v: str | None) -> str | None:
        if v and _count_han(v) > HOUSEHOLD_MAX_HAN:
            raise DomainError(N_("户籍所在地 is at most {max} Chinese characters; this has {n}"),
                              field="household_register", max=HOUSEHOLD_MAX_HAN, n=_count_han(v))
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "Member":
        if self.id_number:
            born = parse_id_number(self.id_number).birth_date
            if self.birth_date is None:
                self.birth_date = born
            elif self.birth_date != born:
                raise DomainError(N_("出生日期 {birth} does not agree with the ID number ({id_birth})"),
                                  field="birth_date", birth=self.birth_date.isoformat(), id_birth=born.isoformat())
        if self.birth_date and self.joined_on and self.joined_on < add_months(self.birth_date, 18 * 12):
            raise DomainError(N_("Joining the Party ({joined}) must be on or after the 18th birthday"),
                              field="joined_on", joined=self.joined_on.isoformat())
        if self.member_type is MemberType.PROBATIONARY and self.confirmed_on:
            raise DomainError(N_("A probationary member has no 转正日期"), field="confirmed_on")
        if self.confirmed_on and self.joined_on and self.confirmed_on <= self.joined_on:
            raise DomainError(N_("转正日期 must come after 入党日期"), field="confirmed_on")
        return self

    def check(self, today: date) -> "Member":
        """Date rules that depend on today: nothing recorded may lie in the future."""
        for field in ("birth_date", "joined_on", "confirmed_on", "entered_branch_on", "work_started_on"):
            value = getattr(self, field)
            if value and value > today:
                raise DomainError(N_("{date} is in the future"), field=field, date=value.isoformat())
        if self.flow and self.flow.left_on > today:
            raise DomainError(N_("{date} is in the future"), field="flow.left_on", date=self.flow.left_on.isoformat())
        return self

    @property
    def is_flow_member(self) -> bool:
        return self.flow is not None


def validation_errors(exc: Exception) -> list[DomainError]:
    """Turn a pydantic ValidationError (or a DomainError) into DomainErrors with fields."""
    if isinstance(exc, DomainError):
        return [exc]
    out: list[DomainError] = []
    for err in getattr(exc, "errors", lambda: [])():
        original = (err.get("ctx") or {}).get("error")
        field = ".".join(str(p) for p in err.get("loc", ())) or None
        if isinstance(original, DomainError):
            original.field = original.field or field
            out.append(original)
        else:
            out.append(DomainError(N_("Invalid value: {reason}"), field=field, reason=err.get("msg", "")))
    return out or [DomainError(N_("Invalid value: {reason}"), reason=str(exc))]


def build_model(cls: Any, data: Any) -> Any:
    """`cls` from a draft dict (or an instance as is), pydantic's errors turned into the first DomainError."""
    if isinstance(data, cls):
        return data
    try:
        return cls.model_validate(data)
    except Exception as exc:
        errors = validation_errors(exc)
        raise errors[0] from None
