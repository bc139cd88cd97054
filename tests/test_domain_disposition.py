"""The approval chain of a lost-contact case (seed 004 附件4 失联党员查找处置全程纪实表) and the policy versions."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.codes import Outcome, PolicyVersion
from bot.domain.disposition import (
    APPROVED, CLOSED, DEPT_PRE_REVIEWED, PRE_REVIEWED, PROPOSED, REGAINED, REMOVALS, RESOLVED, SEARCHING, STATES,
    STEP_ACTOR, Step, advance, is_final, next_step, proposal_for_unreachable, removal_due_on,
)
from bot.domain.errors import DomainError
from bot.i18n import translator

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# The 纪实表's rows, top to bottom, and the state each one records.
FORM_ROWS = [
    ("支委会初步处置意见", PROPOSED, "branch"),
    ("基层党委预审意见", PRE_REVIEWED, "committee"),
    ("上一级党委组织部门对拟劝退、除名处置的预审意见", DEPT_PRE_REVIEWED, "department"),
    ("支部党员大会决议", RESOLVED, "branch"),
    ("基层党委审核（审批）意见", APPROVED, "committee"),
    ("上一级党委组织部门对劝退、除名处置的审批意见", CLOSED, "department"),
]


def walk(outcome: Outcome) -> list[Step]:
    """Every step from searching to the end, all approved."""
    steps, state = [], SEARCHING
    while (step := next_step(state, outcome)) is not None:
        steps.append(step)
        state = advance(state, outcome, step.actor_level, approve=True)
        assert state == step.to_state
    assert is_final(state, outcome)
    return steps


def test_the_chain_follows_the_form_rows_in_order():
    form = re.sub(r"\s+", "", (SEEDS / "004_f3b6ac696aa918a6.txt").read_text(encoding="utf-8"))
    positions = [form.index(row) for row, _, _ in FORM_ROWS]
    assert positions == sorted(positions)
    for _, state, actor in FORM_ROWS:
        assert STEP_ACTOR[state] == actor


def test_a_removal_passes_every_row_of_the_form():
    # 王XX, unreachable: the 支委会 proposes 自行脱党除名 (seed 000's worked example of a 支委会意见).
    steps = walk(Outcome.REMOVED_LAPSED)
    assert [(s.to_state, s.actor_level) for s in steps] == [(state, actor) for _, state, actor in FORM_ROWS]


def test_persuasion_to_leave_is_a_removal_too():
    assert [s.to_state for s in walk(Outcome.PERSUADED_TO_LEAVE)][-1] == CLOSED
    assert REMOVALS == {Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED}


@pytest.mark.parametrize("outcome", [Outcome.SUSPENDED_UNREACHABLE, Outcome.CORRECTION_DEADLINE,
                                     Outcome.PROBATION_CANCELLED, Outcome.MEMBERSHIP_NOT_RECOGNISED,
                                     Outcome.RELATIONSHIP_RETAINED])
def test_other_outcomes_skip_the_organization_department(outcome):
    steps = walk(outcome)
    assert [(s.to_state, s.actor_level) for s in steps] == [
        (PROPOSED, "branch"), (PRE_REVIEWED, "committee"), (RESOLVED, "branch"), (APPROVED, "committee")]
    assert is_final(APPROVED, outcome)
    assert next_step(APPROVED, outcome) is None


def test_an_approved_removal_is_not_final_until_the_department_approves():
    assert not is_final(APPROVED, Outcome.REMOVED_LAPSED)
    assert next_step(APPROVED, Outcome.REMOVED_LAPSED) == Step(CLOSED, "department")
    assert is_final(CLOSED, Outcome.REMOVED_LAPSED)


@pytest.mark.parametrize("state, actor", [(PROPOSED, "committee"), (PRE_REVIEWED, "department"),
                                          (DEPT_PRE_REVIEWED, "branch"), (RESOLVED, "committee"),
                                          (APPROVED, "department")])
def test_a_rejection_sends_the_case_back_to_searching(state, actor):
    assert advance(state, Outcome.REMOVED_LAPSED, actor, approve=False) == SEARCHING
    # … from where the 支委会 proposes again.
    assert next_step(SEARCHING, None) == Step(PROPOSED, "branch")


@pytest.mark.parametrize("state, wrong", [
    (SEARCHING, "committee"), (SEARCHING, "department"),
    (PROPOSED, "branch"), (PROPOSED, "department"),
    (PRE_REVIEWED, "branch"), (PRE_REVIEWED, "committee"),
    (DEPT_PRE_REVIEWED, "committee"), (DEPT_PRE_REVIEWED, "department"),
    (RESOLVED, "branch"), (RESOLVED, "department"),
    (APPROVED, "branch"), (APPROVED, "committee"),
])
def test_the_wrong_level_may_not_take_a_step(state, wrong):
    with pytest.raises(DomainError) as err:
        advance(state, Outcome.REMOVED_LAPSED, wrong, approve=True)
    assert err.value.field == "state"
    assert err.value.localized(translator("en")).strip() and err.value.localized(translator("zh_CN")).strip()


def test_a_branch_cannot_reject_its_way_past_a_committee():
    # A rejection is a decision too: the wrong level cannot make it either.
    with pytest.raises(DomainError):
        advance(PROPOSED, Outcome.REMOVED_LAPSED, "branch", approve=False)


def test_a_non_removal_never_reaches_the_department():
    with pytest.raises(DomainError):
        advance(PRE_REVIEWED, Outcome.SUSPENDED_UNREACHABLE, "department", approve=True)
    assert advance(PRE_REVIEWED, Outcome.SUSPENDED_UNREACHABLE, "branch", approve=True) == RESOLVED


def test_a_proposal_names_an_outcome():
    with pytest.raises(DomainError) as err:
        advance(SEARCHING, None, "branch", approve=True)
    assert err.value.field == "outcome"
    assert advance(SEARCHING, Outcome.REMOVED_LAPSED, "branch", approve=True) == PROPOSED


@pytest.mark.parametrize("state, outcome", [(REGAINED, None), (REGAINED, Outcome.REMOVED_LAPSED),
                                            (CLOSED, Outcome.REMOVED_LAPSED),
                                            (APPROVED, Outcome.SUSPENDED_UNREACHABLE)])
def test_finished_cases_take_no_further_step(state, outcome):
    assert is_final(state, outcome)
    assert next_step(state, outcome) is None
    for actor in ("branch", "committee", "department"):
        with pytest.raises(DomainError):
            advance(state, outcome, actor, approve=True)


def test_states_are_listed_in_chain_order():
    assert STATES.index(SEARCHING) < STATES.index(PROPOSED) < STATES.index(PRE_REVIEWED) \
        < STATES.index(DEPT_PRE_REVIEWED) < STATES.index(RESOLVED) < STATES.index(APPROVED) < STATES.index(CLOSED)


@settings(max_examples=200)
@given(st.sampled_from(list(Outcome)), st.lists(st.tuples(st.sampled_from(["branch", "committee", "department"]),
                                                          st.booleans()), max_size=30))
def test_any_sequence_of_decisions_stays_on_the_chain(outcome, decisions):
    """Whatever anyone clicks, a case is always in a state of its chain, and ends only when approved through."""
    state = SEARCHING
    for actor, approve in decisions:
        step = next_step(state, outcome)
        try:
            new = advance(state, outcome, actor, approve)
        except DomainError:
            assert step is None or step.actor_level != actor
            continue
        assert step is not None and step.actor_level == actor
        assert new in (step.to_state, SEARCHING)
        assert new == step.to_state or not approve
        if new == DEPT_PRE_REVIEWED or new == CLOSED:
            assert outcome in REMOVALS
        state = new
    assert state in STATES


# --- 2016 campaign vs the 2019 regulation ------------------------------------------------------------------

def test_2016_removes_the_unreachable_as_having_left_the_party():
    assert proposal_for_unreachable(PolicyVersion.CAMPAIGN_2016, None, date(2016, 5, 1)) is Outcome.REMOVED_LAPSED


def test_2019_suspends_first_and_removes_after_two_years():
    policy = PolicyVersion.REGULATION_2019
    assert proposal_for_unreachable(policy, None, date(2026, 11, 23)) is Outcome.SUSPENDED_UNREACHABLE
    since = date(2024, 11, 23)
    assert proposal_for_unreachable(policy, since, date(2026, 11, 22)) is Outcome.SUSPENDED_UNREACHABLE
    assert proposal_for_unreachable(policy, since, date(2026, 11, 23)) is Outcome.REMOVED_LAPSED
    assert proposal_for_unreachable(policy, since, date(2030, 1, 1)) is Outcome.REMOVED_LAPSED


def test_the_suspension_goes_through_the_shorter_chain_and_the_removal_through_the_full_one():
    first = proposal_for_unreachable(PolicyVersion.REGULATION_2019, None, date(2024, 11, 23))
    assert walk(first)[-1].to_state == APPROVED
    later = proposal_for_unreachable(PolicyVersion.REGULATION_2019, date(2024, 11, 23), date(2026, 11, 23))
    assert walk(later)[-1].to_state == CLOSED


@pytest.mark.parametrize("since, due", [
    (date(2024, 11, 23), date(2026, 11, 23)),
    (date(2024, 2, 29), date(2026, 2, 28)),   # no Feb 29 in 2026: the month's last day
    (date(2023, 12, 31), date(2025, 12, 31)),
])
def test_removal_due_on(since, due):
    assert removal_due_on(since) == due
    assert proposal_for_unreachable(PolicyVersion.REGULATION_2019, since, due) is Outcome.REMOVED_LAPSED


@settings(max_examples=200)
@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 2000))
def test_the_2019_proposal_changes_exactly_on_the_due_date(since, days):
    from datetime import timedelta

    today = since + timedelta(days=days)
    expected = Outcome.REMOVED_LAPSED if today >= removal_due_on(since) else Outcome.SUSPENDED_UNREACHABLE
    assert proposal_for_unreachable(PolicyVersion.REGULATION_2019, since, today) is expected
