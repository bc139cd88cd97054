"""The member record's rules (登记表 填表说明, seeds 000 and 002): 户籍所在地, 18th birthday, 转正, dates."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.domain.codes import MemberType
from bot.domain.errors import DomainError
from bot.domain.idcard import check_digit
from bot.domain.member import HOUSEHOLD_MAX_HAN, FlowInfo, Member, validation_errors
from bot.i18n import translator

TODAY = date(2026, 11, 23)


def make_id(born: str, seq: str = "123", region: str = "330106") -> str:
    first17 = region + born + seq
    return first17 + check_digit(first17)


def wang(**changes) -> Member:
    """王XX, who ran a shop in the 创意园 until he left Hangzhou (fictional)."""
    data = dict(branch_id=1, name="王XX", birth_date=date(1985, 3, 12), joined_on=date(2005, 7, 1),
                confirmed_on=date(2006, 7, 1), household_register="浙江省杭州市西湖区文三路100号")
    data.update(changes)
    return Member(**data)


def rejected(**changes) -> DomainError:
    """The one DomainError the record raises, with its field."""
    with pytest.raises((ValidationError, DomainError)) as exc:
        wang(**changes)
    errors = validation_errors(exc.value)
    assert len(errors) == 1, errors
    err = errors[0]
    # Every rule speaks both languages (the zh wording is another engineer's; only presence is checked).
    assert err.localized(translator("en")).strip()
    assert err.localized(translator("zh_CN")).strip()
    return err


def test_a_complete_record_is_accepted():
    m = wang(id_number=make_id("19850312"), mobile="+86 138-1234-5678")
    assert m.mobile == "13812345678"
    assert m.id_number == make_id("19850312")
    assert m.check(TODAY) is m


# --- 户籍所在地: no more than 32 Chinese characters (登记表 note 5, seed 002 note 9) -------------------------

def test_household_register_of_32_han_is_accepted_and_33_rejected():
    assert HOUSEHOLD_MAX_HAN == 32
    assert wang(household_register="汉" * 32).household_register == "汉" * 32
    err = rejected(household_register="汉" * 33)
    assert err.field == "household_register"
    assert err.params == {"max": 32, "n": 33}


def test_household_register_counts_only_chinese_characters():
    # Digits, Latin letters and punctuation are not 汉字: 32 of them plus house numbers still fit.
    address = "浙江省杭州市西湖区文三路" + "汉" * 20 + " No.100, Bldg 3-2-501 (A)，"
    han = sum(1 for ch in address if "\u4e00" <= ch <= "\u9fff")
    assert han == 32
    assert wang(household_register=address).household_register == address
    assert wang(household_register="A" * 90).household_register == "A" * 90


def test_household_register_counts_rare_characters_beyond_the_basic_block():
    # 𠮷 (U+20BB7) is a real character in place names; it counts like any other 汉字.
    assert wang(household_register="汉" * 31 + "𠮷")
    assert rejected(household_register="汉" * 32 + "𠮷").params["n"] == 33


# --- joining the Party: no earlier than the 18th birthday -----------------------------------------------

def test_joining_on_the_18th_birthday_is_accepted_the_day_before_rejected():
    assert wang(birth_date=date(1987, 6, 30), joined_on=date(2005, 6, 30), confirmed_on=date(2006, 6, 30))
    err = rejected(birth_date=date(1987, 6, 30), joined_on=date(2005, 6, 29), confirmed_on=date(2006, 6, 30))
    assert err.field == "joined_on" and err.params["joined"] == "2005-06-29"


def test_a_feb_29_birthday_is_18_on_feb_28_of_a_common_year():
    born = date(2000, 2, 29)
    assert wang(birth_date=born, joined_on=date(2018, 2, 28), confirmed_on=None)
    assert rejected(birth_date=born, joined_on=date(2018, 2, 27), confirmed_on=None).field == "joined_on"


def test_the_birth_date_from_the_id_number_is_checked_too():
    # No 出生日期 given: it is taken from the ID number, and the 18-year rule applies to it.
    m = wang(birth_date=None, id_number=make_id("19870630"), joined_on=date(2005, 6, 30),
             confirmed_on=date(2006, 6, 30))
    assert m.birth_date == date(1987, 6, 30)
    assert rejected(birth_date=None, id_number=make_id("19870630"), joined_on=date(2005, 6, 29)).field == "joined_on"


# --- 转正日期 -------------------------------------------------------------------------------------------

def test_confirmation_must_come_after_joining():
    assert wang(joined_on=date(2005, 7, 1), confirmed_on=date(2005, 7, 2))
    assert rejected(confirmed_on=date(2005, 7, 1)).field == "confirmed_on"
    assert rejected(confirmed_on=date(2004, 7, 1)).field == "confirmed_on"


def test_a_probationary_member_has_no_confirmation_date():
    m = wang(member_type=MemberType.PROBATIONARY, joined_on=date(2026, 6, 1), confirmed_on=None)
    assert m.member_type is MemberType.PROBATIONARY
    err = rejected(member_type=MemberType.PROBATIONARY, joined_on=date(2026, 6, 1), confirmed_on=date(2026, 11, 1))
    assert err.field == "confirmed_on"


# --- 出生日期 agrees with the ID number (登记表 note 3) -----------------------------------------------------

def test_birth_date_must_agree_with_the_id_number():
    assert wang(id_number=make_id("19850312")).birth_date == date(1985, 3, 12)
    err = rejected(id_number=make_id("19850313"))
    assert err.field == "birth_date"
    assert err.params == {"birth": "1985-03-12", "id_birth": "1985-03-13"}


def test_an_invalid_id_number_is_reported_on_its_field():
    good = make_id("19850312")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert rejected(id_number=bad).field == "id_number"


def test_an_old_15_digit_number_is_stored_as_18():
    assert wang(id_number="330106850312123").id_number == make_id("19850312")


def test_an_invalid_mobile_is_reported_on_its_field():
    assert rejected(mobile="12812345678").field == "phone"


def test_an_empty_name_is_rejected():
    assert rejected(name="   ").field == "name"
    assert wang(name="  王  XX ").name == "王 XX"


# --- nothing in the future: check(today) ---------------------------------------------------------------

@pytest.mark.parametrize("field", ["birth_date", "joined_on", "confirmed_on", "entered_branch_on",
                                   "work_started_on"])
def test_no_recorded_date_may_lie_in_the_future(field):
    tomorrow = date(2026, 11, 24)
    changes = {field: tomorrow}
    if field == "birth_date":
        changes.update(joined_on=None, confirmed_on=None)
    if field == "joined_on":
        changes.update(confirmed_on=None)
    m = wang(**changes)  # the record itself is consistent …
    with pytest.raises(DomainError) as err:
        m.check(TODAY)   # … but not on 2026-11-23
    assert err.value.field == field
    assert err.value.params["date"] == "2026-11-24"
    assert err.value.localized(translator("zh_CN")).strip()
    # Today itself is fine.
    assert wang(**{**changes, field: TODAY}).check(TODAY)


def test_a_future_departure_of_a_flow_member_is_refused():
    m = wang(flow=FlowInfo(left_on=date(2026, 12, 1), destination="广东省深圳市"))
    assert m.is_flow_member
    with pytest.raises(DomainError) as err:
        m.check(TODAY)
    assert err.value.field == "flow.left_on"
    assert wang(flow=FlowInfo(left_on=date(2026, 11, 20), destination="广东省深圳市")).check(TODAY)


def test_validation_errors_also_wrap_plain_pydantic_errors():
    with pytest.raises(ValidationError) as exc:
        Member(branch_id=1, name="王XX", monthly_dues=-1)
    errors = validation_errors(exc.value)
    assert [e.field for e in errors] == ["monthly_dues"]
    assert errors[0].localized(translator("en")).strip()
    assert validation_errors(DomainError("x")) and validation_errors(DomainError("x"))[0].message == "x"
