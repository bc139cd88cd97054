"""GB 11643 resident ID numbers: the MOD 11-2 check digit, normalisation, real birth dates, old numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import DomainError
from bot.domain.idcard import CHECK_CHARS, VALID_PROVINCES, WEIGHTS, check_digit, parse_id_number, upgrade_15
from bot.i18n import translator


def make_id(region: str = "110101", born: str = "19850312", seq: str = "123") -> str:
    """A valid fictional number: the check digit computed, never copied from a real card."""
    first17 = region + born + seq
    return first17 + check_digit(first17)


WANG = make_id("330106", "19850312", "123")  # 王XX, 杭州西湖区, fictional


# --- the check digit, by hand and by the standard's definition -----------------------------------------

def test_check_digit_of_the_standards_worked_example():
    # GB 11643-1999 annex example 11010519491231002X; recomputed here from the weights.
    assert check_digit("11010519491231002") == "X"
    assert parse_id_number("11010519491231002X").value == "11010519491231002X"


def test_weights_are_powers_of_two_mod_11():
    # ISO 7064 MOD 11-2: position i (1-based from the left of 18) weighs 2^(18-i) mod 11.
    assert WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))
    # The check character c makes sum(w_i * a_i) + c ≡ 1 (mod 11), with c = 10 written X.
    for first17 in ("11010119850312123", "44030019991231001", "81000019700101005"):
        c = check_digit(first17)
        value = 10 if c == "X" else int(c)
        assert (sum(int(a) * w for a, w in zip(first17, WEIGHTS)) + value) % 11 == 1


def test_no_single_substitution_can_keep_the_sum():
    """Why every single-digit change is caught: 11 is prime, no weight is 0 mod 11, and a digit moves by
    ±1…±9, never a multiple of 11, so w·δ ≢ 0 (mod 11). The same holds for adjacent transpositions,
    since neighbouring weights differ (w_i − w_{i+1} = w_{i+1} ≢ 0)."""
    for w in WEIGHTS:
        assert all((w * delta) % 11 for delta in range(-9, 10) if delta)
    for a, b in zip(WEIGHTS, WEIGHTS[1:]):
        assert (a - b) % 11


provinces = st.sampled_from(sorted(VALID_PROVINCES))
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 23))


@st.composite
def valid_ids(draw) -> tuple[str, date]:
    region = draw(provinces) + draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(births)
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    return make_id(region, born.strftime("%Y%m%d"), seq), born


@settings(max_examples=200)
@given(valid_ids())
def test_any_computed_number_is_valid_and_carries_its_birth_date(case):
    number, born = case
    parsed = parse_id_number(number, today=date(2026, 11, 23))
    assert parsed.value == number
    assert parsed.birth_date == born


@settings(max_examples=200)
@given(valid_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_of_the_first_17_is_rejected(case, pos, delta):
    number, _ = case
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert changed != number
    # Whatever breaks first (region, date, check digit), it is never accepted.
    with pytest.raises(DomainError):
        parse_id_number(changed)


@settings(max_examples=200)
@given(valid_ids(), st.sampled_from(CHECK_CHARS))
def test_any_other_check_character_is_rejected(case, other):
    number, _ = case
    if other == number[17]:
        return
    with pytest.raises(DomainError) as err:
        parse_id_number(number[:17] + other)
    assert "check digit" in err.value.message


@settings(max_examples=200)
@given(valid_ids(), st.integers(0, 15))
def test_any_swap_of_two_different_neighbours_is_rejected(case, pos):
    number, _ = case
    if number[pos] == number[pos + 1]:
        return
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2:]
    with pytest.raises(DomainError):
        parse_id_number(swapped)


# --- what people type -----------------------------------------------------------------------------------

def _with_x() -> str:
    for seq in range(1000):
        number = make_id("330106", "19850312", f"{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


def test_lowercase_x_is_accepted_and_stored_upper():
    number = _with_x()
    assert parse_id_number(number[:17] + "x").value == number


def test_full_width_digits_spaces_and_dashes_are_normalised():
    full_width = WANG.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    spaced = f" {full_width[:6]}\u3000{full_width[6:14]} {full_width[14:]}\n"
    assert parse_id_number(spaced).value == WANG
    assert parse_id_number(f"{WANG[:6]}-{WANG[6:14]}-{WANG[14:]}").value == WANG
    x = _with_x()
    assert parse_id_number(x[:17] + "ｘ").value == x


def test_other_scripts_digits_are_not_digits_here():
    # Arabic-Indic digits pass str.isdigit() and int(), but are not what is printed on the card.
    arabic = WANG[:2] + "".join(chr(0x660 + int(c)) for c in WANG[2:17]) + WANG[17]
    with pytest.raises(DomainError):
        parse_id_number(arabic)


@pytest.mark.parametrize("raw, n", [("", 0), ("3301061985031212", 16), (WANG + "0", 19)])
def test_wrong_length_says_how_long(raw, n):
    with pytest.raises(DomainError) as err:
        parse_id_number(raw)
    assert err.value.params["n"] == n


def test_letters_inside_are_rejected():
    with pytest.raises(DomainError):
        parse_id_number(WANG[:10] + "A" + WANG[11:])
    with pytest.raises(DomainError):
        parse_id_number(WANG[:17] + "Y")


# --- real dates, regions, old numbers -------------------------------------------------------------------

@pytest.mark.parametrize("born, ok", [
    ("19000229", False),   # 1900 is not a leap year (divisible by 100, not by 400)
    ("20000229", True),    # 2000 is (divisible by 400)
    ("19960229", True),
    ("19970229", False),
    ("19850431", False),
    ("19851301", False),
    ("19850001", False),
    ("18991231", False),   # before 1900: no living member was born then
])
def test_birth_date_must_be_a_real_day(born, ok):
    number = make_id("330106", born, "123")
    if ok:
        assert parse_id_number(number).birth_date == date(int(born[:4]), int(born[4:6]), int(born[6:]))
    else:
        with pytest.raises(DomainError):
            parse_id_number(number)


def test_birth_date_in_the_future_is_rejected_when_today_is_known():
    number = make_id("330106", "20261124", "123")
    assert parse_id_number(number).birth_date == date(2026, 11, 24)  # no today: no future check
    with pytest.raises(DomainError):
        parse_id_number(number, today=date(2026, 11, 23))
    assert parse_id_number(make_id("330106", "20261123", "123"), today=date(2026, 11, 23))


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_hong_kong_macao_taiwan_residence_permits_are_accepted(prefix):
    number = make_id(prefix + "0000", "19900515", "004")
    assert parse_id_number(number).value == number


@pytest.mark.parametrize("prefix", ["00", "10", "16", "29", "39", "66", "80", "84", "91", "99"])
def test_unknown_region_codes_are_rejected(prefix):
    with pytest.raises(DomainError) as err:
        parse_id_number(make_id(prefix + "0101", "19850312", "123"))
    assert err.value.params["code"] == prefix


def test_old_15_digit_number_becomes_19yy_with_the_right_check_digit():
    old = "330106850312123"               # 6 region + yymmdd + 3 sequence
    assert upgrade_15(old) == WANG
    parsed = parse_id_number(old)
    assert parsed.value == WANG and parsed.birth_date == date(1985, 3, 12)
    assert parse_id_number("330106 850312 123").value == WANG  # spaces too
    with pytest.raises(DomainError):
        parse_id_number("330106850230123")  # 1985-02-30


def test_masked_form_hides_the_birth_date_and_sequence():
    number = _with_x()
    parsed = parse_id_number(number)
    assert parsed.masked == number[:4] + "**********" + number[-4:]
    assert len(parsed.masked) == 18 and parsed.masked.endswith("X")
    assert "19850312" not in parsed.masked


def test_gender_from_the_17th_digit():
    assert parse_id_number(make_id("330106", "19850312", "123")).gender_code == 1  # odd: male
    assert parse_id_number(make_id("330106", "19850312", "124")).gender_code == 2  # even: female


def test_errors_read_in_both_languages():
    with pytest.raises(DomainError) as err:
        parse_id_number(WANG[:17] + ("0" if WANG[17] != "0" else "1"))
    for locale in ("en", "zh_CN"):
        assert err.value.localized(translator(locale)).strip()
    assert err.value.field == "id_number"
