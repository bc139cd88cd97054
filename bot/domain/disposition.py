"""The disposition of a lost-contact case, from the search to the decision (seed 004 附件4, seeds 000 and 003).

States, in order::

    searching ─┬─> reached (经查找取得联系) ─────┐
               └─> unreachable (经多方努力确实无法取得联系) ─┴─> investigated (表现调查核实情况)
    investigated ─> proposed (支委会初步处置意见) ─> the approvals the outcome needs ─> decided

The approvals follow the rows of the 全程纪实表: 基层党委预审意见 → for 劝退 and 除名 上一级党委组织部门预审意见 →
支部党员大会决议 → 基层党委审核（审批）意见 → for 劝退 and 除名 上一级党委组织部门审批意见. Bringing a reached
member back under management (纳入组织管理) is the branch's proposal approved by the 基层党委 (no 党籍 matter is
decided, so no 党员大会). A rejection at any review sends the case back to `investigated`, where the 支委会
proposes again and the chain starts over. Contact regained moves any undecided case to `reached`; death
(确认已死亡, 附件5 column X) can be recorded at any point and decides the case.

Who acts: "branch" (支部书记 / 组织委员), "committee" (上级党组织: 基层党委 or 党总支 users) and "department"
(上一级党委组织部门, the `org_dept` role). Pure: no I/O, no clock ("today" is a parameter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.codes import CodedEnum, MemberType, Outcome, PolicyVersion, Role, SpecialStatus
from bot.domain.dates import add_months
from bot.domain.errors import DomainError
from bot.i18n import N_

# --- states -------------------------------------------------------------------------------------------------
SEARCHING = "searching"
REACHED = "reached"                        # 经查找取得联系
UNREACHABLE = "unreachable"                # 经多方努力确实无法取得联系
INVESTIGATED = "investigated"              # 失联党员表现调查核实情况 recorded
PROPOSED = "proposed"                      # 支委会初步处置意见
PRE_REVIEWED = "pre_reviewed"              # 基层党委预审意见
DEPT_PRE_REVIEWED = "dept_pre_reviewed"    # 上一级组织部门预审 (劝退 / 除名 only)
RESOLVED = "resolved"                      # 支部党员大会决议
APPROVED = "approved"                      # 基层党委审核（审批）, waiting for the 组织部门 (劝退 / 除名)
DECIDED = "decided"                        # the decision is final: the member's status has changed

STATES = (SEARCHING, REACHED, UNREACHABLE, INVESTIGATED, PROPOSED, PRE_REVIEWED, DEPT_PRE_REVIEWED, RESOLVED,
          APPROVED, DECIDED)
CHAIN_STATES = (PROPOSED, PRE_REVIEWED, DEPT_PRE_REVIEWED, RESOLVED, APPROVED)
STATE_LABEL = {SEARCHING: N_("Searching"), REACHED: N_("Reached"), UNREACHABLE: N_("Cannot be reached"),
               INVESTIGATED: N_("Investigated, awaiting the proposal"), PROPOSED: N_("Proposed, awaiting pre-review"),
               PRE_REVIEWED: N_("Pre-reviewed"), DEPT_PRE_REVIEWED: N_("Pre-reviewed by the department"),
               RESOLVED: N_("Resolved by the general meeting"), APPROVED: N_("Approved, awaiting the department"),
               DECIDED: N_("Decided")}

# --- who acts -----------------------------------------------------------------------------------------------
BRANCH, COMMITTEE, DEPARTMENT = "branch", "committee", "department"
LEVELS = (BRANCH, COMMITTEE, DEPARTMENT)
ROLE_LEVEL = {Role.SECRETARY: BRANCH, Role.ORGANIZER: BRANCH, Role.COMMITTEE: COMMITTEE,
              Role.ORG_DEPT: DEPARTMENT}
LEVEL_LABEL = {BRANCH: N_("the branch (secretary or organizer)"), COMMITTEE: N_("the higher Party committee"),
               DEPARTMENT: N_("the organization department above")}

# --- outcomes -----------------------------------------------------------------------------------------------
# 劝退 and 除名: the two 组织部门 rows of the 纪实表 apply to them (退党除名 is a 除名 too).
REMOVALS = frozenset({Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED, Outcome.REMOVED_WITHDREW})
# Statistics buckets, not decisions: nobody proposes them. 停止党籍 is proposed as one of its two kinds.
NOT_PROPOSABLE = frozenset({Outcome.DECEASED, Outcome.UNDER_INVESTIGATION, Outcome.STILL_SEARCHING,
                            Outcome.MEMBERSHIP_SUSPENDED})
PROPOSABLE = tuple(o for o in Outcome if o not in NOT_PROPOSABLE)
DISCIPLINARY = frozenset({Outcome.WARNING, Outcome.SERIOUS_WARNING, Outcome.POST_REVOKED,
                          Outcome.PROBATION_WITHIN_PARTY, Outcome.EXPELLED})
# The 处置 of 不合格党员 (中组发〔2014〕21号): they answer findings of 不合格表现 (or worse).
FOR_UNQUALIFIED = frozenset({Outcome.CORRECTION_DEADLINE, Outcome.PERSUADED_TO_LEAVE})
SUSPENSIONS = frozenset({Outcome.SUSPENDED_UNREACHABLE, Outcome.SUSPENDED_SETTLED_ABROAD})
# After these the person is still on the register, under a 特殊状态 (death may still be recorded).
SPECIAL_STATUS_OF = {Outcome.SUSPENDED_UNREACHABLE: SpecialStatus.MEMBERSHIP_SUSPENDED,
                     Outcome.SUSPENDED_SETTLED_ABROAD: SpecialStatus.MEMBERSHIP_SUSPENDED,
                     Outcome.RELATIONSHIP_RETAINED: SpecialStatus.RELATIONSHIP_RETAINED}

# 纳入组织管理 variants kept apart on the summary tables.
VARIANT_TRANSFER_OUT = "transfer_out"      # 转出组织关系
VARIANT_LATE_TRANSFER = "late_transfer"    # 补转
VARIANTS = (VARIANT_TRANSFER_OUT, VARIANT_LATE_TRANSFER)

OPINION_MAX = 2000
DEFAULT_MIN_ATTEMPTS = 3                   # the seeds' 记录表 has four slots; three signed attempts by default
LOST_MONTHS = 6                            # 超过6个月未与党组织联系
SUSPENSION_YEARS = 2                       # 2019 条例: 停止党籍2年后确实无法取得联系的，按照自行脱党予以除名


class Findings(CodedEnum):
    """失联党员表现调查核实情况: what the branch found about the member's conduct while out of contact."""

    NONE = ("none", 1, "未发现不合格表现或违纪违法行为", N_("No unqualified conduct or violation found"))
    UNQUALIFIED = ("unqualified", 2, "有不合格表现", N_("Unqualified conduct found"))
    VIOLATION = ("violation", 3, "有违纪违法行为", N_("Violation of discipline or law found"))


# --- steps --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One step of a case: its name (stored in case_steps.step), the states it moves between, who takes it."""

    name: str
    from_state: str
    to_state: str
    level: str

    @property
    def actor_level(self) -> str:      # the sketch's name, kept for callers
        return self.level


# Step names: the forms (纪实表) read them from case_steps.step.
S_REACHED, S_UNREACHABLE, S_FINDINGS = "reached", "unreachable", "findings"
S_PROPOSAL = "branch_proposal"
S_COMMITTEE_PREREVIEW, S_DEPT_PREREVIEW = "committee_prereview", "dept_prereview"
S_MEETING = "general_meeting"
S_COMMITTEE_APPROVAL, S_DEPT_APPROVAL = "committee_approval", "dept_approval"
S_RESTORE, S_DEATH = "restore", "death"
CHAIN_STEP_NAMES = (S_PROPOSAL, S_COMMITTEE_PREREVIEW, S_DEPT_PREREVIEW, S_MEETING, S_COMMITTEE_APPROVAL,
                    S_DEPT_APPROVAL)
# The 纪实表 row each chain step fills.
FORM_ROW = {S_PROPOSAL: "支委会初步处置意见", S_COMMITTEE_PREREVIEW: "基层党委预审意见",
            S_DEPT_PREREVIEW: "上一级党委组织部门对拟劝退、除名处置的预审意见", S_MEETING: "支部党员大会决议",
            S_COMMITTEE_APPROVAL: "基层党委审核（审批）意见", S_DEPT_APPROVAL: "上一级党委组织部门对劝退、除名处置的审批意见"}
STEP_LABEL = {S_REACHED: N_("Contact regained"), S_UNREACHABLE: N_("Declared unreachable"),
              S_FINDINGS: N_("Conduct investigated"), S_PROPOSAL: N_("Branch committee's proposal"),
              S_COMMITTEE_PREREVIEW: N_("Committee pre-review"), S_DEPT_PREREVIEW: N_("Organization department pre-review"),
              S_MEETING: N_("General meeting resolution"), S_COMMITTEE_APPROVAL: N_("Committee approval"),
              S_DEPT_APPROVAL: N_("Organization department approval"), S_RESTORE: N_("Membership restored"),
              S_DEATH: N_("Death recorded")}


def chain_for(outcome: Outcome) -> tuple[Step, ...]:
    """The approval chain an outcome needs, from the 支委会's proposal to the decision."""
    if outcome is Outcome.BROUGHT_UNDER_MANAGEMENT:
        return (Step(S_PROPOSAL, INVESTIGATED, PROPOSED, BRANCH),
                Step(S_COMMITTEE_APPROVAL, PROPOSED, DECIDED, COMMITTEE))
    if outcome in REMOVALS:
        return (Step(S_PROPOSAL, INVESTIGATED, PROPOSED, BRANCH),
                Step(S_COMMITTEE_PREREVIEW, PROPOSED, PRE_REVIEWED, COMMITTEE),
                Step(S_DEPT_PREREVIEW, PRE_REVIEWED, DEPT_PRE_REVIEWED, DEPARTMENT),
                Step(S_MEETING, DEPT_PRE_REVIEWED, RESOLVED, BRANCH),
                Step(S_COMMITTEE_APPROVAL, RESOLVED, APPROVED, COMMITTEE),
                Step(S_DEPT_APPROVAL, APPROVED, DECIDED, DEPARTMENT))
    return (Step(S_PROPOSAL, INVESTIGATED, PROPOSED, BRANCH),
            Step(S_COMMITTEE_PREREVIEW, PROPOSED, PRE_REVIEWED, COMMITTEE),
            Step(S_MEETING, PRE_REVIEWED, RESOLVED, BRANCH),
            Step(S_COMMITTEE_APPROVAL, RESOLVED, DECIDED, COMMITTEE))


def next_step(state: str, outcome: Outcome | None) -> Step | None:
    """The step the case waits for (None once decided). Before the chain: the branch's next piece of work."""
    if state == SEARCHING:
        return Step(S_UNREACHABLE, SEARCHING, UNREACHABLE, BRANCH)
    if state in (REACHED, UNREACHABLE):
        return Step(S_FINDINGS, state, INVESTIGATED, BRANCH)
    if state == INVESTIGATED:
        return Step(S_PROPOSAL, INVESTIGATED, PROPOSED, BRANCH)
    if state in CHAIN_STATES and outcome is not None:
        for step in chain_for(outcome):
            if step.from_state == state:
                return step
    return None


def expect_step(state: str, outcome: Outcome | None, name: str, level: str | None = None) -> Step:
    """The step `name` if it is the one the case waits for (taken at `level`); else a DomainError.

    This is the guard against skipped, repeated or forged steps: a callback naming another step, or a step
    already taken (the state has moved on), is refused here whatever it carries."""
    step = next_step(state, outcome)
    if state == DECIDED or step is None:
        raise DomainError(N_("This case is decided: it takes no further step"), field="state")
    if step.name != name:
        raise DomainError(N_("This case is waiting for another step: {step}"), field="state", step=STEP_LABEL[step.name])
    if level is not None and step.level != level:
        raise DomainError(N_("This step is for {level} to take"), field="state", level=LEVEL_LABEL[step.level])
    return step


def advance(state: str, outcome: Outcome | None, level: str, approve: bool) -> str:
    """Apply one decision of the chain; a rejection returns the case to the branch (`investigated`)."""
    step = next_step(state, outcome) if state in (INVESTIGATED, *CHAIN_STATES) else None
    if step is None:
        raise DomainError(N_("This case is decided: it takes no further step") if state == DECIDED
                          else N_("This case is not in the approval chain"), field="state")
    if step.level != level:
        raise DomainError(N_("This step is for {level} to take"), field="state", level=LEVEL_LABEL[step.level])
    if step.name == S_PROPOSAL:
        if outcome is None:
            raise DomainError(N_("A proposal names an outcome"), field="outcome")
        return PROPOSED
    return step.to_state if approve else INVESTIGATED


def is_final(state: str) -> bool:
    return state == DECIDED


# --- guards -------------------------------------------------------------------------------------------------

def check_opinion(text: str | None, required: bool = True) -> str | None:
    """An opinion as typed (≤ 2,000 characters), stripped; required for every decision of the chain."""
    body = (text or "").strip()
    if not body:
        if required:
            raise DomainError(N_("Type the opinion: it is what the form records"), field="opinion")
        return None
    if len(body) > OPINION_MAX:
        raise DomainError(N_("That is too long: at most {max} characters"), field="opinion", max=OPINION_MAX)
    return body


def check_findings(findings: Findings, text: str | None) -> str | None:
    """不合格表现 or 违纪违法 need a description; none found may carry a note."""
    return check_opinion(text, required=findings is not Findings.NONE)


@dataclass(frozen=True)
class CaseFacts:
    """What the guards of a proposal look at, gathered by the service."""

    reached: bool                          # regained_on is set
    findings: Findings | None
    member_type: MemberType
    lost_since: date                       # last contact (or entry on the register when none)
    signed_attempts: int                   # attempts on this case signed by two or more full members
    min_attempts: int                      # N, per branch
    abroad_purpose: str | None             # latest abroad report's purpose ('study', 'labour', 'other'), or None
    suspended_since: date | None           # 停止党籍 because unreachable, decided on that date
    policy: PolicyVersion
    today: date


def check_proposal(outcome: Outcome, facts: CaseFacts, variant: str | None = None) -> None:
    """Refuse an outcome the case cannot get (each refusal a DomainError naming the rule)."""
    if outcome in NOT_PROPOSABLE:
        raise DomainError(N_("{outcome} is not a decision a branch proposes"), field="outcome", outcome=outcome.en)
    if variant is not None and (variant not in VARIANTS or outcome is not Outcome.BROUGHT_UNDER_MANAGEMENT):
        raise DomainError(N_("Transfer out or late transfer only qualifies bringing under management"),
                          field="variant")
    if facts.suspended_since is not None and outcome is not Outcome.REMOVED_LAPSED:
        raise DomainError(N_("A member suspended as unreachable is restored, or removed after two years"),
                          field="outcome")
    if facts.findings is None:
        raise DomainError(N_("Record the investigation of the member's conduct first"), field="findings")
    if outcome is Outcome.REMOVED_LAPSED:
        _check_lapsed(facts)
    if outcome is Outcome.PROBATION_CANCELLED and facts.member_type is not MemberType.PROBATIONARY:
        raise DomainError(N_("Only a probationary member's probationary membership can be cancelled"),
                          field="outcome")
    if outcome is Outcome.RELATIONSHIP_RETAINED and facts.abroad_purpose not in ("study", "labour"):
        raise DomainError(N_("Keeping the organizational relationship needs an abroad report for study or labour"),
                          field="outcome")
    if outcome is Outcome.SUSPENDED_SETTLED_ABROAD and facts.abroad_purpose is None:
        raise DomainError(N_("Suspension for settling abroad needs an abroad report"), field="outcome")
    if outcome is Outcome.SUSPENDED_UNREACHABLE and facts.reached:
        raise DomainError(N_("The member was reached: suspension as unreachable does not apply"), field="outcome")
    if outcome is Outcome.BROUGHT_UNDER_MANAGEMENT:
        if not facts.reached:
            raise DomainError(N_("Only a reached member can be brought under management"), field="outcome")
        if facts.findings is not Findings.NONE:
            raise DomainError(N_("Unqualified conduct or a violation was found: propose its disposition first"),
                              field="outcome")
    if outcome in DISCIPLINARY and facts.findings is not Findings.VIOLATION:
        raise DomainError(N_("A disciplinary sanction needs a violation of discipline or law on record"),
                          field="outcome")
    if outcome in FOR_UNQUALIFIED and facts.findings is Findings.NONE:
        raise DomainError(N_("This disposition needs unqualified conduct or a violation on record"), field="outcome")


def _check_lapsed(facts: CaseFacts) -> None:
    """自行脱党除名: over six months without contact, N search attempts signed by two or more full members, and
    under the 2019 rule two years of 停止党籍 first."""
    if facts.reached or add_months(facts.lost_since, LOST_MONTHS) > facts.today:
        raise DomainError(N_("Removal as having left the Party needs six months or more without contact"),
                          field="outcome")
    if facts.signed_attempts < facts.min_attempts:
        raise DomainError(N_("Removal as having left the Party needs {n} search attempts each signed by two or "
                             "more full members; this case has {have}"), field="outcome",
                          n=facts.min_attempts, have=facts.signed_attempts)
    if facts.policy is PolicyVersion.REGULATION_2019:
        if facts.suspended_since is None:
            raise DomainError(N_("Under the 2019 regulation an unreachable member's membership is suspended first"),
                              field="outcome")
        if facts.today < removal_due_on(facts.suspended_since):
            raise DomainError(N_("Under the 2019 regulation removal is due on {date}, two years after the suspension"),
                              field="outcome", date=removal_due_on(facts.suspended_since).isoformat())


@dataclass(frozen=True)
class Votes:
    """A 支部党员大会's count: 应到 / 实到 full members with voting rights, and the votes for."""

    entitled: int
    present: int
    in_favour: int


def check_meeting(votes: Votes, adopted: bool, voters_on_roll: int) -> None:
    """The 党员大会 rule: valid only if more than half of the full members with voting rights attend, and a
    resolution passes only if more than half of those *entitled* (not of those present) vote for it.

    The rule applied is the one the Party's rules set for 党员大会 decisions on membership: 《中国共产党支部工作条例
    （试行）》(2018) 第十五条 (党员大会 discusses and decides 党员 matters, voting by the full members) and, spelled
    out with numbers, 《中国共产党发展党员工作细则》 第二十四条: 到会有表决权的正式党员超过应到会人数的半数, 赞成人数
    超过应到会有表决权的正式党员的半数, 才能通过 (党章 第五条 gives 预备党员 no vote). `voters_on_roll` is the
    number of full members the register shows: 应到 cannot exceed it (no padding to reach a quorum).
    A meeting that did not adopt the proposal (`adopted=False`) is recorded as a rejection, but only if it
    was quorate and the votes for are indeed not more than half of those entitled.
    """
    if votes.entitled < 1 or votes.present < 0 or votes.in_favour < 0:
        raise DomainError(N_("Type the numbers entitled, present and in favour"), field="votes")
    if votes.entitled > voters_on_roll:
        raise DomainError(N_("{entitled} entitled, but the branch has {n} full members on its register"),
                          field="votes", entitled=votes.entitled, n=voters_on_roll)
    if votes.present > votes.entitled or votes.in_favour > votes.present:
        raise DomainError(N_("More present than entitled, or more votes for than present"), field="votes")
    if votes.present * 2 <= votes.entitled:
        raise DomainError(N_("No quorum: {present} of {entitled} present, more than half must attend"),
                          field="votes", present=votes.present, entitled=votes.entitled)
    passed = votes.in_favour * 2 > votes.entitled
    if adopted and not passed:
        raise DomainError(N_("Not adopted: {votes} votes for is not more than half of the {entitled} entitled"),
                          field="votes", votes=votes.in_favour, entitled=votes.entitled)
    if not adopted and passed:
        raise DomainError(N_("{votes} of {entitled} voted for: the resolution was adopted"), field="votes",
                          votes=votes.in_favour, entitled=votes.entitled)


def check_restore(state: str, outcome: Outcome | None, suspended_since: date | None, regained_on: date,
                  today: date) -> None:
    """2019 rule: a member suspended as unreachable who is in contact again within two years is restored."""
    if state != DECIDED or outcome is not Outcome.SUSPENDED_UNREACHABLE or suspended_since is None:
        raise DomainError(N_("Only a membership suspended as unreachable can be restored"), field="state")
    if regained_on > today or regained_on < suspended_since:
        raise DomainError(N_("Contact is regained between the suspension and today"), field="date")
    if regained_on >= removal_due_on(suspended_since):
        raise DomainError(N_("Contact came back more than two years after the suspension: removal applies"),
                          field="date")


def check_death(state: str, outcome: Outcome | None, died_on: date, opened_on: date, today: date) -> None:
    """确认已死亡 closes a case at any point, while the person is still on the register."""
    if state == DECIDED and outcome not in SPECIAL_STATUS_OF:
        raise DomainError(N_("This case is decided: it takes no further step"), field="state")
    if died_on > today:
        raise DomainError(N_("{date} is in the future"), field="date", date=died_on.isoformat())


# --- policies -----------------------------------------------------------------------------------------------

def proposal_for_unreachable(policy: PolicyVersion, suspended_since: date | None, today: date) -> Outcome:
    """What the rules propose for a member still unreachable after six months of searching.

    2016 campaign (seeds 000, 003): removal as 自行脱党. 2019 《中国共产党党员教育管理工作条例》 (第二十九条):
    suspend membership (停止党籍) first; contact regained within two years restores it; after two years of
    suspension without contact, removal as 自行脱党.
    """
    if policy is PolicyVersion.CAMPAIGN_2016:
        return Outcome.REMOVED_LAPSED
    if suspended_since is None:
        return Outcome.SUSPENDED_UNREACHABLE
    if today >= removal_due_on(suspended_since):
        return Outcome.REMOVED_LAPSED
    return Outcome.SUSPENDED_UNREACHABLE


def removal_due_on(suspended_since: date) -> date:
    """Under the 2019 rule, the date 自行脱党除名 becomes due for a suspended, unreachable member."""
    return add_months(suspended_since, 12 * SUSPENSION_YEARS)


@dataclass(frozen=True)
class MemberEffect:
    """What a decision does to the member's record."""

    removed: bool                          # leaves the active roster (archived with the decision)
    special_status: SpecialStatus | None   # added to the record's 特殊状态


def effect_of(outcome: Outcome) -> MemberEffect:
    """出党 outcomes and death take the member off the active roster; 停止党籍 / 保留组织关系 become 特殊状态."""
    if outcome is Outcome.DECEASED:
        return MemberEffect(True, SpecialStatus.DECEASED)
    if outcome.leaves_party:
        return MemberEffect(True, None)
    return MemberEffect(False, SPECIAL_STATUS_OF.get(outcome))
