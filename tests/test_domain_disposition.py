"""The approval chain of a lost-contact case (seed 004 附件4 失联党员查找处置全程纪实表), its guards and the policy versions."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.codes import MemberType, Outcome, PolicyVersion, Role, SpecialStatus
from bot.domain.disposition import (
    APPROVED, BRANCH, CHAIN_STATES, COMMITTEE, DECIDED, DEPARTMENT, DEPT_PRE_REVIEWED, FORM_ROW, INVESTIGATED,
    PRE_REVIEWED, PROPOSABLE, PROPOSED, REACHED, REMOVALS, RESOLVED, ROLE_LEVEL, SEARCHING, STATES, UNREACHABLE,
    CaseFacts, Findings, Step, Votes, advance, chain_for, check_death, check_findings, check_meeting, check_opinion,
    check_proposal, check_restore, effect_of, expect_step, is_final, next_step, proposal_for_unreachable,
    removal_due_on,
)
from bot.domain.errors import DomainError
from bot.i18n import translator

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# The 纪实表's rows, top to bottom, the state each one leads to (for a removal) and who signs it.
FORM_ROWS = [
    ("支委会初步处置意见", PROPOSED, BRANCH),
    ("基层党委预审意见", PRE_REVIEWED, COMMITTEE),
    ("上一级党委组织部门对拟劝退、除名处置的预审意见", DEPT_PRE_REVIEWED, DEPARTMENT),
    ("支部党员大会决议", RESOLVED, BRANCH),
    ("基层党委审核（审批）意见", APPROVED, COMMITTEE),
    ("上一级党委组织部门对劝退、除名处置的审批意见", DECIDED, DEPARTMENT),
]


def walk(outcome: Outcome) -> list[Step]:
    """Every chain step from `investigated` to the decision, all approved."""
    steps, state = [], INVESTIGATED
    while (step := next_step(state, outcome)) is not None:
        steps.append(step)
        state = advance(state, outcome, step.level, approve=True)
        assert state == step.to_state
    assert is_final(state)
    return steps


def test_the_chain_follows_the_form_rows_in_order():
    form = re.sub(r"\s+", "", (SEEDS / "004_f3b6ac696aa918a6.txt").read_text(encoding="utf-8"))
    positions = [form.index(row) for row, _, _ in FORM_ROWS]
    assert positions == sorted(positions)
    # Each step's name maps to the row it fills, in the same order.
    assert [FORM_ROW[s.name] for s in chain_for(Outcome.REMOVED_LAPSED)] == [row for row, _, _ in FORM_ROWS]


def test_a_removal_passes_every_row_of_the_form():
    # 王XX, unreachable: the 支委会 proposes 自行脱党除名 (seed 000's worked example of a 支委会意见).
    steps = walk(Outcome.REMOVED_LAPSED)
    assert [(s.to_state, s.level) for s in steps] == [(state, actor) for _, state, actor in FORM_ROWS]


@pytest.mark.parametrize("outcome", [Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_WITHDREW])
def test_persuasion_and_withdrawal_are_removals_too(outcome):
    assert [s.name for s in walk(outcome)][-1] == "dept_approval"
    assert REMOVALS == {Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED, Outcome.REMOVED_WITHDREW}


@pytest.mark.parametrize("outcome", [Outcome.SUSPENDED_UNREACHABLE, Outcome.CORRECTION_DEADLINE,
                                     Outcome.PROBATION_CANCELLED, Outcome.MEMBERSHIP_NOT_RECOGNISED,
                                     Outcome.RELATIONSHIP_RETAINED, Outcome.PROBATION_WITHIN_PARTY,
                                     Outcome.EXPELLED, Outcome.SUSPENDED_SETTLED_ABROAD])
def test_other_outcomes_skip_the_organization_department(outcome):
    steps = walk(outcome)
    assert [(s.to_state, s.level) for s in steps] == [
        (PROPOSED, BRANCH), (PRE_REVIEWED, COMMITTEE), (RESOLVED, BRANCH), (DECIDED, COMMITTEE)]


def test_bringing_under_management_is_approved_by_the_committee_without_a_meeting():
    assert [(s.name, s.level) for s in walk(Outcome.BROUGHT_UNDER_MANAGEMENT)] == [
        ("branch_proposal", BRANCH), ("committee_approval", COMMITTEE)]


def test_an_approved_removal_is_not_final_until_the_department_approves():
    assert not is_final(APPROVED)
    assert next_step(APPROVED, Outcome.REMOVED_LAPSED) == Step("dept_approval", APPROVED, DECIDED, DEPARTMENT)


def test_before_the_chain_the_branch_searches_declares_and_investigates():
    assert next_step(SEARCHING, None).name == "unreachable"
    assert next_step(REACHED, None) == Step("findings", REACHED, INVESTIGATED, BRANCH)
    assert next_step(UNREACHABLE, None) == Step("findings", UNREACHABLE, INVESTIGATED, BRANCH)
    assert next_step(INVESTIGATED, None).name == "branch_proposal"
    assert next_step(DECIDED, Outcome.REMOVED_LAPSED) is None


@pytest.mark.parametrize("state, level", [(PROPOSED, COMMITTEE), (PRE_REVIEWED, DEPARTMENT),
                                          (DEPT_PRE_REVIEWED, BRANCH), (RESOLVED, COMMITTEE),
                                          (APPROVED, DEPARTMENT)])
def test_a_rejection_sends_the_case_back_to_the_branch(state, level):
    assert advance(state, Outcome.REMOVED_LAPSED, level, approve=False) == INVESTIGATED
    # … from where the 支委会 proposes again, and the chain starts over.
    assert next_step(INVESTIGATED, Outcome.REMOVED_LAPSED).name == "branch_proposal"


@pytest.mark.parametrize("state, wrong", [
    (PROPOSED, BRANCH), (PROPOSED, DEPARTMENT),
    (PRE_REVIEWED, BRANCH), (PRE_REVIEWED, COMMITTEE),
    (DEPT_PRE_REVIEWED, COMMITTEE), (DEPT_PRE_REVIEWED, DEPARTMENT),
    (RESOLVED, BRANCH), (RESOLVED, DEPARTMENT),
    (APPROVED, BRANCH), (APPROVED, COMMITTEE),
    (INVESTIGATED, COMMITTEE), (INVESTIGATED, DEPARTMENT),
])
def test_the_wrong_level_may_not_take_a_step(state, wrong):
    with pytest.raises(DomainError) as err:
        advance(state, Outcome.REMOVED_LAPSED, wrong, approve=True)
    assert err.value.field == "state"
    assert err.value.localized(translator("en")).strip() and err.value.localized(translator("zh_CN")).strip()


def test_a_branch_cannot_reject_its_way_past_a_committee():
    with pytest.raises(DomainError):
        advance(PROPOSED, Outcome.REMOVED_LAPSED, BRANCH, approve=False)


def test_a_non_removal_never_reaches_the_department():
    with pytest.raises(DomainError):
        advance(PRE_REVIEWED, Outcome.SUSPENDED_UNREACHABLE, DEPARTMENT, approve=True)
    assert advance(PRE_REVIEWED, Outcome.SUSPENDED_UNREACHABLE, BRANCH, approve=True) == RESOLVED


def test_a_proposal_names_an_outcome():
    with pytest.raises(DomainError) as err:
        advance(INVESTIGATED, None, BRANCH, approve=True)
    assert err.value.field == "outcome"


@pytest.mark.parametrize("state", [SEARCHING, REACHED, UNREACHABLE, DECIDED])
def test_outside_the_chain_advance_refuses(state):
    for level in (BRANCH, COMMITTEE, DEPARTMENT):
        with pytest.raises(DomainError):
            advance(state, Outcome.REMOVED_LAPSED, level, approve=True)


def test_expect_step_refuses_a_skipped_repeated_or_forged_step():
    # The 支委会 proposed; the committee's pre-review is awaited.
    assert expect_step(PROPOSED, Outcome.REMOVED_LAPSED, "committee_prereview", COMMITTEE).to_state == PRE_REVIEWED
    with pytest.raises(DomainError):   # skipping to the department
        expect_step(PROPOSED, Outcome.REMOVED_LAPSED, "dept_prereview", DEPARTMENT)
    with pytest.raises(DomainError):   # the proposal again (a replayed button)
        expect_step(PROPOSED, Outcome.REMOVED_LAPSED, "branch_proposal", BRANCH)
    with pytest.raises(DomainError):   # the right step at the wrong level
        expect_step(PROPOSED, Outcome.REMOVED_LAPSED, "committee_prereview", BRANCH)
    with pytest.raises(DomainError):
        expect_step(DECIDED, Outcome.REMOVED_LAPSED, "dept_approval", DEPARTMENT)


def test_states_are_listed_in_chain_order():
    order = [SEARCHING, UNREACHABLE, INVESTIGATED, PROPOSED, PRE_REVIEWED, DEPT_PRE_REVIEWED, RESOLVED, APPROVED,
             DECIDED]
    assert [STATES.index(s) for s in order] == sorted(STATES.index(s) for s in order)
    assert set(CHAIN_STATES) < set(STATES)


def test_roles_map_to_levels():
    assert ROLE_LEVEL[Role.SECRETARY] == ROLE_LEVEL[Role.ORGANIZER] == BRANCH
    assert ROLE_LEVEL[Role.COMMITTEE] == COMMITTEE and ROLE_LEVEL[Role.ORG_DEPT] == DEPARTMENT


@settings(max_examples=200)
@given(st.sampled_from(PROPOSABLE), st.lists(st.tuples(st.sampled_from([BRANCH, COMMITTEE, DEPARTMENT]),
                                                       st.booleans()), max_size=30))
def test_any_sequence_of_decisions_stays_on_the_chain(outcome, decisions):
    """Whatever anyone clicks, a case is always in a state of its chain, and is decided only when approved through."""
    state, approvals = INVESTIGATED, 0
    for level, approve in decisions:
        if state == DECIDED:
            break
        step = next_step(state, outcome)
        try:
            new = advance(state, outcome, level, approve)
        except DomainError:
            assert step.level != level
            continue
        assert step.level == level
        assert new in (step.to_state, INVESTIGATED)
        assert new == step.to_state or not approve
        approvals = approvals + 1 if new == step.to_state else 0
        if new in (DEPT_PRE_REVIEWED, APPROVED):
            assert outcome in REMOVALS
        state = new
    assert state in STATES
    if state == DECIDED:
        assert approvals == len(chain_for(outcome))


# --- guards -------------------------------------------------------------------------------------------------

TODAY = date(2026, 11, 23)


def facts(**kw) -> CaseFacts:
    base = dict(reached=False, findings=Findings.NONE, member_type=MemberType.FULL, lost_since=date(2026, 1, 10),
                signed_attempts=3, min_attempts=3, abroad_purpose=None, suspended_since=None,
                policy=PolicyVersion.CAMPAIGN_2016, today=TODAY)
    base.update(kw)
    return CaseFacts(**base)


def refused(outcome, **kw) -> str:
    variant = kw.pop("variant", None)
    with pytest.raises(DomainError) as err:
        check_proposal(outcome, facts(**kw), variant)
    return err.value.message


def test_removal_as_lapsed_under_2016_after_six_months_and_three_signed_attempts():
    check_proposal(Outcome.REMOVED_LAPSED, facts())
    # Six months from 2026-05-24 is 2026-11-24, one day after today: not yet.
    assert "six months" in refused(Outcome.REMOVED_LAPSED, lost_since=date(2026, 5, 24))
    check_proposal(Outcome.REMOVED_LAPSED, facts(lost_since=date(2026, 5, 23)))   # exactly six months
    assert "search attempts" in refused(Outcome.REMOVED_LAPSED, signed_attempts=2)
    check_proposal(Outcome.REMOVED_LAPSED, facts(signed_attempts=4, min_attempts=4))
    assert "search attempts" in refused(Outcome.REMOVED_LAPSED, signed_attempts=3, min_attempts=4)
    assert "six months" in refused(Outcome.REMOVED_LAPSED, reached=True)


def test_removal_as_lapsed_under_2019_needs_two_years_of_suspension():
    p = PolicyVersion.REGULATION_2019
    assert "suspended first" in refused(Outcome.REMOVED_LAPSED, policy=p)
    # Suspended 2024-11-24: due 2026-11-24 (24 months on), tomorrow.
    with pytest.raises(DomainError) as err:
        check_proposal(Outcome.REMOVED_LAPSED, facts(policy=p, suspended_since=date(2024, 11, 24)))
    assert err.value.params["date"] == "2026-11-24"
    check_proposal(Outcome.REMOVED_LAPSED, facts(policy=p, suspended_since=date(2024, 11, 23)))
    # While suspended, the only proposal is the removal.
    assert "restored" in refused(Outcome.EXPELLED, policy=p, suspended_since=date(2024, 11, 23), findings=Findings.VIOLATION)


def test_probation_cancelled_only_for_a_probationary_member():
    assert "probationary" in refused(Outcome.PROBATION_CANCELLED)
    check_proposal(Outcome.PROBATION_CANCELLED, facts(member_type=MemberType.PROBATIONARY))


def test_abroad_outcomes_need_an_abroad_report():
    assert "study or labour" in refused(Outcome.RELATIONSHIP_RETAINED, reached=True)
    assert "study or labour" in refused(Outcome.RELATIONSHIP_RETAINED, reached=True, abroad_purpose="other")
    check_proposal(Outcome.RELATIONSHIP_RETAINED, facts(reached=True, abroad_purpose="study"))
    check_proposal(Outcome.RELATIONSHIP_RETAINED, facts(reached=True, abroad_purpose="labour"))
    assert "abroad report" in refused(Outcome.SUSPENDED_SETTLED_ABROAD, reached=True)
    check_proposal(Outcome.SUSPENDED_SETTLED_ABROAD, facts(reached=True, abroad_purpose="other"))


def test_findings_decide_what_a_reached_member_can_get():
    check_proposal(Outcome.BROUGHT_UNDER_MANAGEMENT, facts(reached=True))
    assert "disposition first" in refused(Outcome.BROUGHT_UNDER_MANAGEMENT, reached=True,
                                          findings=Findings.VIOLATION)
    assert "disposition first" in refused(Outcome.BROUGHT_UNDER_MANAGEMENT, reached=True,
                                          findings=Findings.UNQUALIFIED)
    check_proposal(Outcome.PROBATION_WITHIN_PARTY, facts(reached=True, findings=Findings.VIOLATION))
    assert "violation" in refused(Outcome.PROBATION_WITHIN_PARTY, reached=True, findings=Findings.UNQUALIFIED)
    check_proposal(Outcome.CORRECTION_DEADLINE, facts(reached=True, findings=Findings.UNQUALIFIED))
    assert "unqualified" in refused(Outcome.CORRECTION_DEADLINE, reached=True)
    assert "investigation" in refused(Outcome.BROUGHT_UNDER_MANAGEMENT, reached=True, findings=None)
    assert "reached member" in refused(Outcome.BROUGHT_UNDER_MANAGEMENT)
    assert "reached" in refused(Outcome.SUSPENDED_UNREACHABLE, reached=True)


def test_variants_only_qualify_bringing_under_management():
    check_proposal(Outcome.BROUGHT_UNDER_MANAGEMENT, facts(reached=True), "transfer_out")
    check_proposal(Outcome.BROUGHT_UNDER_MANAGEMENT, facts(reached=True), "late_transfer")
    assert "late transfer" in refused(Outcome.REMOVED_LAPSED, variant="transfer_out")
    assert "late transfer" in refused(Outcome.BROUGHT_UNDER_MANAGEMENT, reached=True, variant="sideways")


@pytest.mark.parametrize("outcome", [Outcome.DECEASED, Outcome.STILL_SEARCHING, Outcome.UNDER_INVESTIGATION,
                                     Outcome.MEMBERSHIP_SUSPENDED])
def test_statistics_buckets_are_not_proposed(outcome):
    assert "not a decision" in refused(outcome)


def test_opinions_are_typed_and_bounded():
    assert check_opinion("  同意支部意见  ") == "同意支部意见"
    with pytest.raises(DomainError):
        check_opinion("   ")
    assert check_opinion("x" * 2000) == "x" * 2000
    with pytest.raises(DomainError):
        check_opinion("x" * 2001)
    assert check_findings(Findings.NONE, "") is None
    with pytest.raises(DomainError):
        check_findings(Findings.VIOLATION, "")


# --- the 党员大会 ------------------------------------------------------------------------------------------

def test_a_quorate_meeting_with_a_majority_of_those_entitled_adopts():
    # 应到 9: more than half is 5 or more. 实到 5, 赞成 5 → adopted.
    check_meeting(Votes(9, 5, 5), adopted=True, voters_on_roll=9)
    # 应到 10: 5 present is exactly half, not more: no quorum.
    with pytest.raises(DomainError, match="No quorum"):
        check_meeting(Votes(10, 5, 5), adopted=True, voters_on_roll=10)
    # 应到 10, 实到 8, 赞成 5: a majority of those present (5 of 8) but not of those entitled (5 of 10).
    with pytest.raises(DomainError, match="Not adopted"):
        check_meeting(Votes(10, 8, 5), adopted=True, voters_on_roll=10)
    check_meeting(Votes(10, 8, 6), adopted=True, voters_on_roll=10)
    # The same meeting may be recorded as not adopting.
    check_meeting(Votes(10, 8, 5), adopted=False, voters_on_roll=10)
    with pytest.raises(DomainError):
        check_meeting(Votes(10, 8, 6), adopted=False, voters_on_roll=10)


def test_meeting_numbers_must_hang_together():
    with pytest.raises(DomainError):
        check_meeting(Votes(12, 8, 7), adopted=True, voters_on_roll=10)   # more entitled than on the register
    with pytest.raises(DomainError):
        check_meeting(Votes(5, 6, 4), adopted=True, voters_on_roll=10)
    with pytest.raises(DomainError):
        check_meeting(Votes(5, 4, 5), adopted=True, voters_on_roll=10)
    with pytest.raises(DomainError):
        check_meeting(Votes(0, 0, 0), adopted=True, voters_on_roll=10)


@given(st.integers(1, 60), st.data())
def test_the_meeting_rule_is_more_than_half_of_those_entitled(entitled, data):
    present = data.draw(st.integers(0, entitled))
    votes_for = data.draw(st.integers(0, present))
    ok = present * 2 > entitled and votes_for * 2 > entitled
    try:
        check_meeting(Votes(entitled, present, votes_for), adopted=True, voters_on_roll=entitled)
        assert ok
    except DomainError:
        assert not ok


# --- restore, death, effects --------------------------------------------------------------------------------

def test_restore_within_two_years_of_the_suspension():
    since = date(2025, 3, 1)
    check_restore(DECIDED, Outcome.SUSPENDED_UNREACHABLE, since, date(2026, 11, 20), TODAY)
    with pytest.raises(DomainError):   # 2027-03-01 is two years on: too late (and in the future here)
        check_restore(DECIDED, Outcome.SUSPENDED_UNREACHABLE, since, date(2027, 3, 1), date(2027, 3, 2))
    check_restore(DECIDED, Outcome.SUSPENDED_UNREACHABLE, since, date(2027, 2, 28), date(2027, 3, 2))
    with pytest.raises(DomainError):
        check_restore(DECIDED, Outcome.REMOVED_LAPSED, since, date(2026, 11, 20), TODAY)
    with pytest.raises(DomainError):
        check_restore(PROPOSED, Outcome.SUSPENDED_UNREACHABLE, since, date(2026, 11, 20), TODAY)
    with pytest.raises(DomainError):
        check_restore(DECIDED, Outcome.SUSPENDED_UNREACHABLE, since, date(2024, 1, 1), TODAY)


def test_death_at_any_point_while_on_the_register():
    for state in (SEARCHING, UNREACHABLE, INVESTIGATED, PROPOSED, RESOLVED):
        check_death(state, Outcome.REMOVED_LAPSED, date(2026, 10, 1), date(2026, 1, 1), TODAY)
    check_death(DECIDED, Outcome.SUSPENDED_UNREACHABLE, date(2026, 10, 1), date(2026, 1, 1), TODAY)
    with pytest.raises(DomainError):
        check_death(DECIDED, Outcome.REMOVED_LAPSED, date(2026, 10, 1), date(2026, 1, 1), TODAY)
    with pytest.raises(DomainError):
        check_death(SEARCHING, None, TODAY + timedelta(days=1), date(2026, 1, 1), TODAY)


def test_effects_on_the_member():
    assert effect_of(Outcome.REMOVED_LAPSED).removed and effect_of(Outcome.EXPELLED).removed
    assert effect_of(Outcome.PROBATION_CANCELLED).removed
    assert effect_of(Outcome.DECEASED).removed and effect_of(Outcome.DECEASED).special_status is SpecialStatus.DECEASED
    assert effect_of(Outcome.SUSPENDED_UNREACHABLE).special_status is SpecialStatus.MEMBERSHIP_SUSPENDED
    assert effect_of(Outcome.SUSPENDED_SETTLED_ABROAD).special_status is SpecialStatus.MEMBERSHIP_SUSPENDED
    assert effect_of(Outcome.RELATIONSHIP_RETAINED).special_status is SpecialStatus.RELATIONSHIP_RETAINED
    assert not effect_of(Outcome.PROBATION_WITHIN_PARTY).removed
    assert not effect_of(Outcome.BROUGHT_UNDER_MANAGEMENT).removed
    assert effect_of(Outcome.BROUGHT_UNDER_MANAGEMENT).special_status is None


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
    assert len(walk(first)) == 4
    later = proposal_for_unreachable(PolicyVersion.REGULATION_2019, date(2024, 11, 23), date(2026, 11, 23))
    assert walk(later)[-1].name == "dept_approval"


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
    today = since + timedelta(days=days)
    expected = Outcome.REMOVED_LAPSED if today >= removal_due_on(since) else Outcome.SUSPENDED_UNREACHABLE
    assert proposal_for_unreachable(PolicyVersion.REGULATION_2019, since, today) is expected
