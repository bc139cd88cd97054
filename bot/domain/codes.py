"""The official code tables of the seeds, as enums carrying the official number and Chinese label.

Each member's value is a stable ASCII key (what the database stores), `.code` the official
number (①… in the forms), `.zh` the official Chinese label printed on the forms, and `.en`
an English msgid for display through gettext (the zh_CN catalog maps it back to the
official wording, so chat and forms agree).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from bot.i18n import N_

CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨⑩"


class CodedEnum(str, Enum):
    code: int
    zh: str
    en: str

    def __new__(cls, key: str, code: int, zh: str, en: str) -> "CodedEnum":
        obj = str.__new__(cls, key)
        obj._value_ = key
        obj.code = code
        obj.zh = zh
        obj.en = en
        return obj

    def __str__(self) -> str:
        return self.value

    @property
    def mark(self) -> str:
        """The circled number the forms use (①…)."""
        return CIRCLED[self.code] if 0 <= self.code < len(CIRCLED) else str(self.code)

    def label(self, tr: Any) -> str:
        return tr.gettext(self.en)

    @classmethod
    def parse(cls, text: Any) -> "CodedEnum":
        """Accept the key, the official number (3, "3", "③"), or the Chinese label."""
        if isinstance(text, cls):
            return text
        s = str(text).strip()
        for m in cls:
            if s in (m.value, m.zh, str(m.code), m.mark) or s.lower() == m.en.lower():
                return m
        from bot.domain.errors import DomainError

        raise DomainError(N_("Unknown value “{value}”"), value=s)

    @classmethod
    def by_code(cls, code: int) -> "CodedEnum":
        for m in cls:
            if m.code == code:
                return m
        raise KeyError(code)


class LostContactReason(CodedEnum):
    """失去联系情形 / 失联原因 ①–⑦."""

    MIGRANT_WORK = ("migrant_work", 1, "外出务工经商", N_("Out for work or business"))
    UNIT_RESTRUCTURED = ("unit_restructured", 2, "单位改制或破产", N_("Unit restructured or bankrupt"))
    GRADUATE_UNKNOWN = ("graduate_unknown", 3, "毕业后去向不明", N_("Whereabouts unknown after graduation"))
    WORK_UNIT_CHANGED = ("work_unit_changed", 4, "工作单位改变", N_("Work unit changed"))
    ABROAD = ("abroad", 5, "出国（境）", N_("Gone abroad"))
    RESIDENCE_CHANGED = ("residence_changed", 6, "居住地改变", N_("Residence changed"))
    OTHER = ("other", 7, "其他", N_("Other"))


class Occupation(CodedEnum):
    """职业 ①–⑧ of the lost-contact registers."""

    SOE_LAID_OFF = ("soe_laid_off", 1, "国有企业解除劳动关系人员", N_("Laid off from a state-owned enterprise"))
    PRIVATE_LEFT = ("private_left", 2, "非公有制企业离职人员", N_("Left a non-public enterprise"))
    RURAL_MIGRANT = ("rural_migrant", 3, "农村外出务工经商人员", N_("Rural migrant worker or trader"))
    RETIRED_PUBLIC = ("retired_public", 4, "机关事业单位离退休人员", N_("Retired from a public institution"))
    GRADUATE = ("graduate", 5, "高校毕业生", N_("University graduate"))
    SEPARATED_HOUSEHOLD = ("separated_household", 6, "街道社区人户分离人员", N_("Living away from registered household"))
    TALENT_CENTRE = ("talent_centre", 7, "组织关系在人才中心人员", N_("Relationship held at a talent centre"))
    OTHER = ("other", 8, "其他", N_("Other"))


class OrgCategory(CodedEnum):
    """党组织类别 ①–⑨."""

    SOE = ("soe", 1, "国有企业", N_("State-owned enterprise"))
    PRIVATE = ("private", 2, "非公有制企业", N_("Non-public enterprise"))
    RURAL = ("rural", 3, "农村", N_("Rural"))
    GOVERNMENT = ("government", 4, "党政机关", N_("Party or government organ"))
    SCHOOL = ("school", 5, "学校", N_("School"))
    PUBLIC_INSTITUTION = ("public_institution", 6, "其他事业单位", N_("Other public institution"))
    COMMUNITY = ("community", 7, "街道社区", N_("Street or community"))
    SOCIAL_ORG = ("social_org", 8, "社会组织", N_("Social organization"))
    OTHER = ("other", 9, "其他", N_("Other"))


class OrgLevel(CodedEnum):
    """The organization tree, bottom up."""

    BRANCH = ("branch", 1, "党支部", N_("Party branch"))
    GENERAL_BRANCH = ("general_branch", 2, "党总支", N_("General Party branch"))
    PRIMARY_COMMITTEE = ("primary_committee", 3, "基层党（工）委", N_("Primary Party committee"))
    ORG_DEPARTMENT = ("org_department", 4, "组织部门", N_("Organization department"))


class MemberType(CodedEnum):
    """党员类型."""

    FULL = ("full", 1, "正式党员", N_("Full member"))
    PROBATIONARY = ("probationary", 2, "预备党员", N_("Probationary member"))


class UnitCategory(CodedEnum):
    """党员所在单位类别 (the 登记表's tick boxes)."""

    RURAL = ("rural", 1, "农村", N_("Rural"))
    COMMUNITY = ("community", 2, "社区", N_("Community"))
    GOVERNMENT = ("government", 3, "机关", N_("Government organ"))
    PUBLIC_INSTITUTION = ("public_institution", 4, "事业单位", N_("Public institution"))
    SOE = ("soe", 5, "国有企业", N_("State-owned enterprise"))
    PRIVATE = ("private", 6, "非公有制企业", N_("Non-public enterprise"))
    SOCIAL_ORG = ("social_org", 7, "社会组织", N_("Social organization"))
    OTHER = ("other", 8, "其他", N_("Other"))


class SpecialStatus(CodedEnum):
    """特殊状态 (登记表 note 18)."""

    POCKET = ("pocket", 1, "“口袋”党员", N_("“Pocket” member (transfer not landed)"))
    RELIGIOUS = ("religious", 2, "参教信教党员", N_("Member involved in religion"))
    RELATIONSHIP_RETAINED = ("relationship_retained", 3, "保留组织关系", N_("Organizational relationship retained"))
    MEMBERSHIP_SUSPENDED = ("membership_suspended", 4, "停止党籍", N_("Party membership suspended"))
    DECEASED = ("deceased", 5, "死亡", N_("Deceased"))


class FlowEmployment(CodedEnum):
    """流动党员从业状况 (seed 002 附件2)."""

    TWO_NEW = ("two_new", 1, "“两新”组织", N_("New economic or social organization"))
    SELF_EMPLOYED = ("self_employed", 2, "个体户", N_("Self-employed"))
    OTHER = ("other", 3, "其他", N_("Other"))


class FlowIdentity(CodedEnum):
    """党员身份 of a flow member (seed 002 附件2)."""

    FARMER = ("farmer", 1, "农民", N_("Farmer"))
    LAID_OFF = ("laid_off", 2, "下岗职工", N_("Laid-off worker"))
    RESIDENT = ("resident", 3, "社区居民", N_("Community resident"))
    OTHER = ("other", 4, "其他", N_("Other"))


class OutflowType(CodedEnum):
    """外出类型 of the flow block: how far the member went."""

    IN_COUNTY = ("in_county", 1, "县内流动", N_("Within the county"))
    IN_PROVINCE = ("in_province", 2, "省内跨县", N_("Within the province"))
    OUT_OF_PROVINCE = ("out_of_province", 3, "跨省流动", N_("To another province"))
    ABROAD = ("abroad", 4, "出国（境）", N_("Abroad"))


class OutflowReason(CodedEnum):
    """外出原因 of the flow block."""

    WORK = ("work", 1, "务工经商", N_("Work or business"))
    STUDY = ("study", 2, "学习培训", N_("Study or training"))
    FAMILY = ("family", 3, "随迁投亲", N_("Following family"))
    OTHER = ("other", 4, "其他", N_("Other"))


class EducationBucket(CodedEnum):
    """学历 summary buckets of the 汇总表."""

    JUNIOR_OR_BELOW = ("junior_or_below", 1, "初中及以下", N_("Junior secondary or below"))
    SENIOR_OR_VOCATIONAL = ("senior_or_vocational", 2, "高中、中专", N_("Senior secondary or vocational"))
    COLLEGE_OR_ABOVE = ("college_or_above", 3, "大学专科及以上", N_("College or above"))


class Education(CodedEnum):
    """学历 levels."""

    PRIMARY = ("primary", 1, "小学及以下", N_("Primary school or below"))
    JUNIOR = ("junior", 2, "初中", N_("Junior secondary"))
    SENIOR = ("senior", 3, "高中", N_("Senior secondary"))
    VOCATIONAL = ("vocational", 4, "中专", N_("Secondary vocational"))
    COLLEGE = ("college", 5, "大学专科", N_("Junior college"))
    BACHELOR = ("bachelor", 6, "大学本科", N_("Bachelor"))
    POSTGRADUATE = ("postgraduate", 7, "研究生", N_("Postgraduate"))

    @property
    def bucket(self) -> EducationBucket:
        if self.code <= 2:
            return EducationBucket.JUNIOR_OR_BELOW
        if self.code <= 4:
            return EducationBucket.SENIOR_OR_VOCATIONAL
        return EducationBucket.COLLEGE_OR_ABOVE

    @classmethod
    def parse(cls, text: Any) -> "Education":
        s = str(text).strip()
        aliases = {"中技": "vocational", "技校": "vocational", "职高": "vocational", "大专": "college",
                   "本科": "bachelor", "硕士": "postgraduate", "博士": "postgraduate",
                   "硕士研究生": "postgraduate", "博士研究生": "postgraduate", "小学": "primary",
                   "文盲": "primary", "初中及以下": "junior"}
        if s in aliases:
            return cls(aliases[s])
        return super().parse(s)  # type: ignore[return-value]


class PartyPostBucket(CodedEnum):
    """党内职务 buckets of the 汇总表."""

    SECRETARY = ("secretary", 1, "书记", N_("Secretary"))
    DEPUTY_OR_COMMITTEE = ("deputy_or_committee", 2, "副书记、委员", N_("Deputy secretary or committee member"))


class PartyPost(CodedEnum):
    """党内职务 (登记表 note 13)."""

    SECRETARY = ("secretary", 1, "书记", N_("Secretary"))
    DEPUTY_SECRETARY = ("deputy_secretary", 2, "副书记", N_("Deputy secretary"))
    STANDING = ("standing", 3, "常委", N_("Standing committee member"))
    COMMITTEE = ("committee", 4, "委员", N_("Committee member"))
    ALTERNATE = ("alternate", 5, "候补委员", N_("Alternate committee member"))

    @property
    def bucket(self) -> PartyPostBucket:
        return PartyPostBucket.SECRETARY if self is PartyPost.SECRETARY else PartyPostBucket.DEPUTY_OR_COMMITTEE


class Gender(CodedEnum):
    MALE = ("male", 1, "男", N_("Male"))
    FEMALE = ("female", 2, "女", N_("Female"))


class MaritalStatus(CodedEnum):
    UNMARRIED = ("unmarried", 1, "未婚", N_("Unmarried"))
    MARRIED = ("married", 2, "已婚", N_("Married"))
    DIVORCED = ("divorced", 3, "离婚", N_("Divorced"))
    REMARRIED = ("remarried", 4, "复婚", N_("Remarried"))


class DispositionGroup(CodedEnum):
    """The column groups of 附件7: 管理情况 / 组织处理 / 纪律处分."""

    MANAGEMENT = ("management", 1, "管理情况", N_("Management"))
    ORGANIZATIONAL = ("organizational", 2, "组织处理", N_("Organizational handling"))
    DISCIPLINARY = ("disciplinary", 3, "纪律处分", N_("Disciplinary sanction"))
    STATUS = ("status", 4, "状态", N_("Status"))


class Outcome(CodedEnum):
    """Every 处置 outcome of seed 002 附件7 and seed 004 附件5."""

    BROUGHT_UNDER_MANAGEMENT = ("brought_under_management", 1, "纳入组织管理", N_("Brought under organizational management"))
    MEMBERSHIP_NOT_RECOGNISED = ("membership_not_recognised", 2, "不予承认党员资格", N_("Membership not recognised"))
    PROBATION_CANCELLED = ("probation_cancelled", 3, "取消预备党员资格", N_("Probationary membership cancelled"))
    RELATIONSHIP_RETAINED = ("relationship_retained", 4, "保留组织关系", N_("Organizational relationship retained"))
    MEMBERSHIP_SUSPENDED = ("membership_suspended", 5, "停止党籍", N_("Party membership suspended"))
    SUSPENDED_UNREACHABLE = ("suspended_unreachable", 6, "确定无法取得联系而停止党籍", N_("Membership suspended: cannot be reached"))
    SUSPENDED_SETTLED_ABROAD = ("suspended_settled_abroad", 7, "因出国（境）定居而停止党籍", N_("Membership suspended: settled abroad"))
    REMOVED_WITHDREW = ("removed_withdrew", 8, "退党除名", N_("Removed: withdrew from the Party"))
    CORRECTION_DEADLINE = ("correction_deadline", 9, "限期改正", N_("Ordered to correct within a deadline"))
    PERSUADED_TO_LEAVE = ("persuaded_to_leave", 10, "劝退或劝而不退除名", N_("Persuaded to leave, or removed"))
    REMOVED_LAPSED = ("removed_lapsed", 11, "自行脱党除名", N_("Removed as having left the Party of own accord"))
    WARNING = ("warning", 12, "警告", N_("Warning"))
    SERIOUS_WARNING = ("serious_warning", 13, "严重警告", N_("Serious warning"))
    POST_REVOKED = ("post_revoked", 14, "撤销党内职务", N_("Removed from Party posts"))
    PROBATION_WITHIN_PARTY = ("probation_within_party", 15, "留党察看", N_("Placed on probation within the Party"))
    EXPELLED = ("expelled", 16, "开除党籍", N_("Expelled from the Party"))
    DECEASED = ("deceased", 17, "确认已死亡", N_("Confirmed deceased"))
    UNDER_INVESTIGATION = ("under_investigation", 18, "目前尚在调查核实", N_("Still under investigation"))
    STILL_SEARCHING = ("still_searching", 19, "尚在查找联系", N_("Still being searched for"))

    @property
    def group(self) -> DispositionGroup:
        """The 附件7 column group. 组织处理 is exactly the three 处置 of 不合格党员 (中组发〔2014〕21号:
        限期改正, 劝退/劝而不退除名, 自行脱党除名); 停止党籍 and 退党除名 are 党籍 management
        (seed 000 step 16, seed 002 三(一)1), so they sit under 管理情况 with 纳入组织管理 … 保留组织关系."""
        if self in _ORGANIZATIONAL:
            return DispositionGroup.ORGANIZATIONAL
        if self in _DISCIPLINARY:
            return DispositionGroup.DISCIPLINARY
        if self in _STATUS:
            return DispositionGroup.STATUS
        return DispositionGroup.MANAGEMENT

    @property
    def leaves_party(self) -> bool:
        """Outcomes after which the person is no longer a member (出党)."""
        return self in {Outcome.MEMBERSHIP_NOT_RECOGNISED, Outcome.PROBATION_CANCELLED, Outcome.REMOVED_WITHDREW,
                        Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED, Outcome.EXPELLED}


_ORGANIZATIONAL = frozenset({Outcome.CORRECTION_DEADLINE, Outcome.PERSUADED_TO_LEAVE, Outcome.REMOVED_LAPSED})
_DISCIPLINARY = frozenset({Outcome.WARNING, Outcome.SERIOUS_WARNING, Outcome.POST_REVOKED,
                           Outcome.PROBATION_WITHIN_PARTY, Outcome.EXPELLED})
_STATUS = frozenset({Outcome.DECEASED, Outcome.UNDER_INVESTIGATION, Outcome.STILL_SEARCHING})


class ContactKind(CodedEnum):
    """What counts as contact with the Party organization."""

    MEETING = ("meeting", 1, "参加组织生活", N_("Attended organizational life"))
    DUES = ("dues", 2, "交纳党费", N_("Paid membership dues"))
    SELF_REPORT = ("self_report", 3, "本人报告", N_("Own status report"))
    CHECK_IN = ("check_in", 4, "报平安", N_("Check-in"))
    BRANCH_CONTACT = ("branch_contact", 5, "支部联系", N_("Contact made by the branch"))
    REGAINED = ("regained", 6, "经查找取得联系", N_("Contact regained after search"))

    @property
    def counts_for_official_time(self) -> bool:
        """The official 与党组织失去联系时间 runs from the last 组织生活 or 党费 only (seed 002)."""
        return self in (ContactKind.MEETING, ContactKind.DUES)


class ReportKind(CodedEnum):
    """A member's own status report."""

    OUTFLOW = ("outflow", 1, "外出流动", N_("Going out to work"))
    RETURNED = ("returned", 2, "返回", N_("Returned"))
    MOVED = ("moved", 3, "居住地改变", N_("Moved residence"))
    WORK_UNIT = ("work_unit", 4, "工作单位改变", N_("Changed work unit"))
    PHONE = ("phone", 5, "手机号码改变", N_("Changed phone"))
    ABROAD = ("abroad", 6, "出国（境）", N_("Going abroad"))
    CHECK_IN = ("check_in", 7, "报平安", N_("Check-in"))
    CORRECTION = ("correction", 8, "信息更正", N_("Correction to my record"))


class AbroadPurpose(CodedEnum):
    """Why a member goes abroad: study and labour abroad may ask to keep the relationship (保留组织关系)."""

    STUDY = ("study", 1, "出国（境）学习", N_("Study abroad"))
    LABOUR = ("labour", 2, "出国（境）劳务", N_("Work abroad (labour)"))
    OTHER = ("other", 3, "其他", N_("Other (visit, travel, family)"))

    @property
    def may_keep_relationship(self) -> bool:
        return self in (AbroadPurpose.STUDY, AbroadPurpose.LABOUR)


class SearchMethod(CodedEnum):
    """How a search attempt (联系查找) was made."""

    PHONE = ("phone", 1, "电话联系", N_("Phone call"))
    VISIT = ("visit", 2, "上门走访", N_("Home visit"))
    FORMER_UNIT = ("former_unit", 3, "原工作单位", N_("Former work unit"))
    POLICE_REGISTRY = ("police_registry", 4, "派出所户籍查询", N_("Police household registry"))
    RELATIVES = ("relatives", 5, "亲属或老乡", N_("Relatives or fellow villagers"))
    LETTER = ("letter", 6, "信函", N_("Letter"))
    ONLINE = ("online", 7, "微信/QQ", N_("WeChat or QQ"))
    DESTINATION_ORG = ("destination_org", 8, "流入地党组织", N_("Party organization at the destination"))
    OTHER = ("other", 9, "其他", N_("Other"))


class SearchResult(CodedEnum):
    REACHED = ("reached", 1, "取得联系", N_("Reached"))
    NOT_REACHED = ("not_reached", 2, "未取得联系", N_("Not reached"))
    LEAD = ("lead", 3, "获得线索", N_("Got a lead"))


class TransferKind(CodedEnum):
    """党组织关系变化性质 (四个清楚 ①)."""

    PERMANENT = ("permanent", 1, "永久转出", N_("Permanent transfer"))
    TEMPORARY = ("temporary", 2, "临时转出", N_("Temporary transfer"))


class ContactLevel(CodedEnum):
    """A member's contact level at a moment (seed 004 measure 二; seed 002)."""

    IN_CONTACT = ("in_contact", 0, "正常联系", N_("In contact"))
    OUT_OF_CONTROL = ("out_of_control", 1, "失控", N_("Out of contact over one month"))
    LOST = ("lost", 2, "失联", N_("Lost contact over six months"))


class Role(CodedEnum):
    """What a Telegram user may do, and over which organization node."""

    SECRETARY = ("secretary", 1, "支部书记", N_("Branch secretary"))
    ORGANIZER = ("organizer", 2, "组织委员", N_("Organizing committee member"))
    COMMITTEE = ("committee", 3, "上级党组织", N_("Higher committee"))


# The roles that make a user an officer (the branch work menu and commands).
OFFICER_ROLES = (Role.SECRETARY, Role.ORGANIZER, Role.COMMITTEE)


class PolicyVersion(CodedEnum):
    """Which rule applies to a member unreachable after six months (see DESIGN.md)."""

    CAMPAIGN_2016 = ("2016", 1, "2016年集中排查", N_("2016 campaign: removal as having left the Party"))
    REGULATION_2019 = ("2019", 2, "2019年党员教育管理工作条例", N_("2019 regulation: suspension first, removal after two years"))
