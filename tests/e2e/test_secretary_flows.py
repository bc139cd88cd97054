"""Secretaries' work end to end, the real Application over HTTP through the emulator: the search attempts of
seed 000 (the 创意园 phone call, the 派出所 registry visit, the letter after a 老乡's lead), contact regained,
组织生活 attendance, 党费, a transfer out with its 四个清楚 and its 回执, the 指定专人 of a flow member, and the
lists — in Chinese (zh-hans) and English, with hostile text in every free-text step and a restart mid-way.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import disposition
from bot.domain.codes import MemberType, SearchMethod, SearchResult, TransferKind
from bot.domain.member import FlowInfo
from bot.i18n import translator

LANGS = ["zh-hans", "en"]
HTML_TEXT = "<b>x</b> & <script>alert(1)</script> 😀🇨🇳"
CONTROL_ONLY = "".join(chr(c) for c in range(0x00, 0x20))
LONG_TEXT = "查" * 5000
RECENT = date(2026, 11, 20)

CHUANGYI = ("2026年11月20日，支部工作人员李XX打电话至失联党员王XX原工作单位XX创意园，请办公室办事员陈XX帮忙提供王XX当前有关"
            "情况。陈XX反映，2019年王XX结束了在创意园的经营离开杭州，创意园资料库中没有查找到王XX的留存资料。")
POLICE = ("2026年11月21日，支部工作人员李XX到负责户籍管理的XX派出所调查，请户籍民警金XX在户籍人口和外来暂住人口登记信息中"
          "查找失联党员王XX的线索，均没有查找到王XX的登记信息。")
LETTER = ("2026年11月22日，支部工作人员李XX通过与失联党员王XX老乡赵XX取得联系，得到王XX老家的地址，立即于11月22日向王XX"
          "老家发挂号信，在信中告知党组织的联系方式和寻找他的目的，至今未收到回信。")


def tr_for(lang: str):
    return translator("zh_CN" if lang.startswith("zh") else "en")


async def setup_branch(env, lang: str = "zh-hans"):
    """创意园党支部: the secretary 李XX, full members 陈XX and 赵XX, the probationary 周XX, and 王XX lost since 2015."""
    secretary = await env.add_secretary("李XX", language_code=lang, last_contact_on=RECENT)
    ids = {"李XX": await env.member_id_of(secretary)}
    for name in ("陈XX", "赵XX"):
        ids[name] = await env.add_member(name, last_contact_on=RECENT)
    ids["周XX"] = await env.add_member("周XX", last_contact_on=RECENT, member_type=MemberType.PROBATIONARY)
    ids["王XX"] = await env.add_member("王XX", last_contact_on=date(2015, 3, 1))
    return secretary, ids


def all_buttons_fit(env, user) -> None:
    for message in env.emu.messages_to(user):
        assert len(message.body) <= 4096
        for button in message.inline_buttons():
            assert len(button.get("callback_data", "").encode()) <= 64


async def attempts(env, member_id: int) -> list:
    return await env.db.fetchall("SELECT * FROM search_attempts WHERE member_id = ? ORDER BY id", (member_id,))


async def signers(env, attempt_id: int) -> list[int]:
    rows = await env.db.fetchall("SELECT member_id FROM search_signers WHERE attempt_id = ? ORDER BY member_id",
                                 (attempt_id,))
    return [r[0] for r in rows]


async def log_attempt(env, user, tr, *, when: str | None, method: SearchMethod, contacted: str, phone: str | None,
                      narrative: str, result: SearchResult, cosigners: tuple[str, ...]):
    """From the date question to the saved message; returns the saved message."""
    if when is None:
        [ask] = await env.tap(user, tr.gettext("Today"))
    else:
        [ask] = await env.say(user, when)
    assert tr.gettext("How did you search?") in ask.text
    [ask] = await env.tap(user, method.label(tr))
    assert tr.gettext("Whom did you contact? (e.g. 办公室办事员陈XX; at most {max} characters)", max=200) in ask.text
    [ask] = await env.say(user, contacted)
    [ask] = await (env.say(user, phone) if phone else env.tap(user, tr.gettext("Skip")))
    [ask] = await env.say(user, narrative)
    assert tr.gettext("The result:") in ask.text
    [checklist] = await env.tap(user, result.label(tr))
    assert "☑ 李XX" in checklist.button_texts()          # the secretary is pre-ticked
    assert not any("周XX" in b for b in checklist.button_texts())   # a 预备党员 does not sign
    assert not any("王XX" in b for b in checklist.button_texts())   # nor the member sought
    for name in cosigners:
        [checklist] = await env.tap(user, f"☐ {name}")
    [summary] = await env.tap(user, tr.gettext("Done ✔"))
    assert tr.gettext("Please check, then confirm:") in summary.text
    assert narrative in summary.text and contacted in summary.text
    [saved] = await env.tap(user, tr.gettext("✅ Confirm"))
    return saved


# ---- the search attempt -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_search_attempt_conversation_from_the_lost_list(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    [ask] = await env.say(secretary, "/search")
    assert tr.gettext("Search attempt (联系查找)") in ask.text
    assert tr.gettext("Lost contact (失联): {n}. Tap one, or type a name to search all members.", n=1) in ask.text
    assert [b for b in ask.button_texts() if "XX" in b] == ["🔴 王XX"]
    [ask] = await env.tap(secretary, "王XX")
    assert tr.gettext("When was the search made? Tap Today, or type a date (2026-11-20, 2026年11月20日, "
                      "yesterday).") in ask.text
    [bad] = await env.say(secretary, "下周三")                 # not a date: told so, still at the date
    assert "⚠️" in bad.text and tr.gettext("Today") in bad.button_texts()
    [future] = await env.say(secretary, "2026-12-01")
    assert "⚠️" in future.text
    saved = await log_attempt(env, secretary, tr, when="2026年11月20日", method=SearchMethod.FORMER_UNIT,
                              contacted="办公室办事员陈XX", phone=None, narrative=CHUANGYI,
                              result=SearchResult.NOT_REACHED, cosigners=("陈XX",))
    assert tr.gettext("Saved: search attempt no. {n} for {name}.", n=1, name="王XX") in saved.text
    assert tr.gettext("A lost-contact case was opened for this member.") in saved.text
    [row] = await attempts(env, ids["王XX"])
    assert (row["on_date"], row["method"], row["contacted"], row["contact_phone"], row["narrative"], row["result"]) \
        == ("2026-11-20", "former_unit", "办公室办事员陈XX", None, CHUANGYI, "not_reached")
    assert await signers(env, row["id"]) == sorted([ids["李XX"], ids["陈XX"]])
    case = await env.db.fetchone("SELECT state, opened_on FROM cases WHERE id = ?", (row["case_id"],))
    assert tuple(case) == (disposition.SEARCHING, "2026-11-20")
    audit = await env.db.fetchone("SELECT actor FROM audit_log WHERE entity = 'search_attempt'")
    assert audit[0] == f"tg:{secretary.id}"
    all_buttons_fit(env, secretary)


async def test_the_three_seed_examples_as_written(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    examples = [
        ("2026-11-20", SearchMethod.FORMER_UNIT, "办公室办事员陈XX", None, CHUANGYI, SearchResult.NOT_REACHED,
         ("陈XX",)),
        ("2026年11月21日", SearchMethod.POLICE_REGISTRY, "XX派出所户籍民警金XX", "0571-8xxxxxxx", POLICE,
         SearchResult.NOT_REACHED, ("赵XX",)),
        ("昨天", SearchMethod.RELATIVES, "老乡赵XX", None, LETTER, SearchResult.LEAD, ("陈XX", "赵XX")),
    ]
    for n, (when, method, contacted, phone, narrative, result, cosigners) in enumerate(examples, start=1):
        await env.say(secretary, "/members")
        await env.tap(secretary, "王XX")                       # the member's card …
        [ask] = await env.tap(secretary, tr.gettext("📝 Log a search attempt"))   # … skips the member question
        assert tr.gettext("When was the search made? Tap Today, or type a date (2026-11-20, 2026年11月20日, "
                          "yesterday).") in ask.text
        saved = await log_attempt(env, secretary, tr, when=when, method=method, contacted=contacted, phone=phone,
                                  narrative=narrative, result=result, cosigners=cosigners)
        assert tr.gettext("Saved: search attempt no. {n} for {name}.", n=n, name="王XX") in saved.text
    rows = await attempts(env, ids["王XX"])
    assert [(r["on_date"], r["method"], r["contact_phone"], r["result"]) for r in rows] == [
        ("2026-11-20", "former_unit", None, "not_reached"),
        ("2026-11-21", "police_registry", "0571-8xxxxxxx", "not_reached"),
        ("2026-11-22", "relatives", None, "lead")]
    assert [r["narrative"] for r in rows] == [CHUANGYI, POLICE, LETTER]
    assert len({r["case_id"] for r in rows}) == 1                 # one case, three attempts
    assert await signers(env, rows[2]["id"]) == sorted([ids["李XX"], ids["陈XX"], ids["赵XX"]])
    # the member's search record lists them in order, with the signers
    await env.say(secretary, "/lost")
    await env.tap(secretary, "王XX")
    [record] = await env.tap(secretary, tr.gettext("🗂 Search record"))
    assert record.text.index("派出所") < record.text.index("老乡赵XX")
    assert "0571-8xxxxxxx" in record.text and "李XX、陈XX、赵XX" in record.text


@pytest.mark.parametrize("lang", LANGS)
async def test_reached_offers_contact_regained(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    await env.say(secretary, "/search 王")                    # a typed name finds the member
    [ask] = await env.tap(secretary, "王XX")
    saved = await log_attempt(env, secretary, tr, when=None, method=SearchMethod.PHONE, contacted="王XX本人",
                              phone="13912340000", narrative="拨通王XX新号码，本人接听，在深圳务工",
                              result=SearchResult.REACHED, cosigners=("赵XX",))
    assert tr.gettext("You reached the member: record the contact regained now?") in saved.text
    [ask] = await env.tap(secretary, tr.gettext("🤝 Record contact regained"))
    assert tr.gettext("On which day was contact regained? Tap Today, or type a date.") in ask.text
    await env.tap(secretary, tr.gettext("Today"))
    [summary] = await env.say(secretary, "王XX在深圳务工 <i>", )
    assert "王XX在深圳务工 <i>" in summary.text
    [done] = await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert tr.gettext("The lost-contact case moves to “reached”: record the findings and propose an outcome.") \
        in done.text
    case = await env.db.fetchone("SELECT state, regained_on, closed_on FROM cases WHERE member_id = ?", (ids["王XX"],))
    assert tuple(case) == (disposition.REACHED, "2026-11-23", None)   # open: findings and outcome come next
    row = await env.db.fetchone("SELECT last_contact_on, (SELECT COUNT(*) FROM contact_levels WHERE member_id = m.id)"
                                " FROM members m WHERE id = ?", (ids["王XX"],))
    assert tuple(row) == ("2026-11-23", 0)
    [lost] = await env.say(secretary, "/lost")
    assert "王XX" not in lost.text


async def test_fewer_than_two_signers_is_refused_in_chat(bot_env):
    env, tr = bot_env, tr_for("en")
    secretary, ids = await setup_branch(env, "en")
    await env.say(secretary, "/search")
    await env.tap(secretary, "王XX")
    await env.tap(secretary, tr.gettext("Today"))
    await env.tap(secretary, SearchMethod.LETTER.label(tr))
    await env.say(secretary, "王XX老家")
    await env.tap(secretary, tr.gettext("Skip"))
    await env.say(secretary, "发挂号信")
    await env.tap(secretary, SearchResult.NOT_REACHED.label(tr))
    [refused] = await env.tap(secretary, tr.gettext("Done ✔"))          # only the secretary ticked
    assert tr.gettext("A search record needs at least two signing full members") in refused.text
    assert tr.gettext("Tick the signers, then tap Done.") in refused.text
    await env.tap(secretary, "☑ 李XX")                                  # untick: nobody
    [refused] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert "⚠️" in refused.text
    await env.tap(secretary, "☐ 李XX")
    await env.tap(secretary, "☐ 赵XX")
    [summary] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert "李XX、赵XX" in summary.text
    assert await attempts(env, ids["王XX"]) == []                         # nothing before the confirmation
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert len(await attempts(env, ids["王XX"])) == 1


async def test_back_and_cancel_keep_nothing(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    await env.say(secretary, "/search")
    await env.tap(secretary, "王XX")
    await env.tap(secretary, tr.gettext("Today"))
    [ask] = await env.tap(secretary, SearchMethod.VISIT.label(tr))
    [back] = await env.tap(secretary, tr.gettext("« Back"))
    assert tr.gettext("How did you search?") in back.text
    [back] = await env.tap(secretary, tr.gettext("« Back"))
    assert tr.gettext("When was the search made? Tap Today, or type a date (2026-11-20, 2026年11月20日, "
                      "yesterday).") in back.text
    await env.tap(secretary, tr.gettext("Yesterday"))
    await env.tap(secretary, SearchMethod.VISIT.label(tr))
    await env.say(secretary, "王XX邻居")
    [cancelled] = await env.say(secretary, "/cancel")
    assert tr.gettext("Cancelled. Nothing was saved.") in cancelled.text
    assert await attempts(env, ids["王XX"]) == []
    assert (await env.db.fetchone("SELECT COUNT(*) FROM cases"))[0] == 0
    [menu] = await env.say(secretary, "随便说点什么")          # the conversation is over
    assert tr.gettext("Search attempt (联系查找)") not in menu.text


@pytest.mark.parametrize("lang", LANGS)
async def test_hostile_text_in_every_search_step(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    [ask] = await env.say(secretary, "/search")
    # the name question: too long, control characters, HTML
    [err] = await env.say(secretary, LONG_TEXT)
    assert "⚠️" in err.text and "5000" in err.text
    [err] = await env.say(secretary, CONTROL_ONLY)
    assert tr.gettext("Please type some text") in err.text
    [found] = await env.say(secretary, "<b>x</b> & 😀")
    assert "<b>x</b> & 😀" in found.text and "&lt;b&gt;" in found.raw_text
    [found] = await env.say(secretary, "王")
    await env.tap(secretary, "王XX")
    await env.tap(secretary, tr.gettext("Today"))
    [ask] = await env.tap(secretary, SearchMethod.OTHER.label(tr))
    for step_prompt in ("contacted", "contact_phone", "narrative"):
        [err] = await env.say(secretary, LONG_TEXT)
        assert "⚠️" in err.text and "5000" in err.text, step_prompt
        [err] = await env.say(secretary, CONTROL_ONLY)
        assert tr.gettext("Please type some text") in err.text, step_prompt
        text = HTML_TEXT if step_prompt != "contact_phone" else "<b>0571</b>&"
        [ask] = await env.say(secretary, text + "\x07")            # a control character inside is dropped
    assert tr.gettext("The result:") in ask.text
    await env.tap(secretary, SearchResult.LEAD.label(tr))
    await env.tap(secretary, "☐ 陈XX")
    [summary] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert summary.text.count(HTML_TEXT) == 2 and "<b>0571</b>&" in summary.text
    assert "<script>" not in summary.raw_text and "&lt;script&gt;" in summary.raw_text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    [row] = await attempts(env, ids["王XX"])
    assert row["contacted"] == HTML_TEXT and row["narrative"] == HTML_TEXT and row["contact_phone"] == "<b>0571</b>&"
    # the record shows it escaped too
    await env.say(secretary, "/lost")
    await env.tap(secretary, "王XX")
    [record] = await env.tap(secretary, tr.gettext("🗂 Search record"))
    assert HTML_TEXT in record.text and "<script>" not in record.raw_text
    all_buttons_fit(env, secretary)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_restart_mid_conversation_loses_nothing(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    await env.say(secretary, "/search")
    await env.tap(secretary, "王XX")
    await env.say(secretary, "2026-11-21")
    await env.tap(secretary, SearchMethod.POLICE_REGISTRY.label(tr))
    await env.say(secretary, "XX派出所户籍民警金XX")
    await env.say(secretary, "0571-87654321")
    [ask] = await env.say(secretary, POLICE)
    assert tr.gettext("The result:") in ask.text

    await env.restart()

    [checklist] = await env.tap(secretary, SearchResult.NOT_REACHED.label(tr))   # the old message's button
    assert "☑ 李XX" in checklist.button_texts()
    await env.tap(secretary, "☐ 陈XX")
    [summary] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert POLICE in summary.text and "XX派出所户籍民警金XX" in summary.text and "0571-87654321" in summary.text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    [row] = await attempts(env, ids["王XX"])
    assert (row["on_date"], row["method"], row["contacted"], row["contact_phone"], row["narrative"]) == (
        "2026-11-21", "police_registry", "XX派出所户籍民警金XX", "0571-87654321", POLICE)


# ---- attendance, dues ------------------------------------------------------------------------------

async def test_attendance_checklist(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    for n in range(12):
        ids[f"党员{n:02d}"] = await env.add_member(f"党员{n:02d}", last_contact_on=date(2026, 9, 1))
    [checklist] = await env.say(secretary, "/attendance")
    assert tr.gettext("Tick the members present, then tap Done.") in checklist.text
    assert "1/2" in checklist.button_texts()                    # 17 members, ten a page
    [refused] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert tr.gettext("Tick at least one member who was present") in refused.text
    await env.tap(secretary, "☐ 党员00")
    await env.tap(secretary, "☐ 党员01")
    await env.tap(secretary, "☑ 党员01")                         # untick again
    [page2] = await env.tap(secretary, "›")
    assert "2/2" in page2.button_texts()
    names_page2 = [b for b in page2.button_texts() if b.startswith("☐")]
    await env.tap(secretary, names_page2[0])
    [date_ask] = await env.tap(secretary, tr.gettext("Done ✔"))
    assert tr.gettext("Which day? Tap Today, or type a date (2026-11-20, 2026年11月20日, yesterday).") in date_ask.text
    await env.say(secretary, "昨天")
    [summary] = await env.say(secretary, "学习党章 <主题党日> & 讨论")
    assert tr.gettext("Present: {n} members", n=2) in summary.text and "<主题党日>" in summary.text
    [done] = await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert tr.gettext("Recorded: {n} members at the 组织生活 of {date}.", n=2, date=tr.date(date(2026, 11, 22))) \
        in done.text
    rows = await env.db.fetchall("SELECT member_id, note FROM contact_events WHERE kind = 'meeting'")
    assert len(rows) == 2 and ids["党员00"] in [r[0] for r in rows] and rows[0][1] == "学习党章 <主题党日> & 讨论"
    row = await env.db.fetchone("SELECT last_meeting_on FROM members WHERE id = ?", (ids["党员00"],))
    assert row[0] == "2026-11-22"


async def test_attendance_tick_all(bot_env):
    env, tr = bot_env, tr_for("en")
    secretary, ids = await setup_branch(env, "en")
    await env.say(secretary, "/attendance")
    [checklist] = await env.tap(secretary, tr.gettext("Tick all"))
    assert all(b.startswith("☑") for b in checklist.button_texts() if "XX" in b)
    await env.tap(secretary, tr.gettext("Done ✔"))
    await env.tap(secretary, tr.gettext("Today"))
    [summary] = await env.tap(secretary, tr.gettext("Skip"))
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    count = await env.db.fetchone("SELECT COUNT(*) FROM contact_events WHERE kind = 'meeting'")
    assert count[0] == 5


async def test_dues(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    await env.say(secretary, "/dues")
    [found] = await env.say(secretary, "赵")
    await env.tap(secretary, "赵XX")
    await env.tap(secretary, tr.gettext("Today"))
    [err] = await env.say(secretary, "三十块<b>")
    assert "⚠️" in err.text and "&lt;b&gt;" in err.raw_text
    [summary] = await env.say(secretary, "￥30")
    assert "¥30.00" in summary.text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    row = await env.db.fetchone("SELECT kind, amount, member_id FROM contact_events")
    assert tuple(row) == ("dues", "30.00", ids["赵XX"])


# ---- transfer and 回执 ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_transfer_out_and_its_receipt(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    await env.say(secretary, "/members")
    [card] = await env.tap(secretary, "陈XX")
    [ask] = await env.tap(secretary, tr.gettext("📤 Transfer out"))
    assert tr.gettext("Permanent or temporary transfer?") in ask.text
    await env.tap(secretary, TransferKind.TEMPORARY.label(tr))
    [err] = await env.say(secretary, "12345")
    assert "⚠️" in err.text and tr.gettext("The member's mobile number:") in err.text
    await env.say(secretary, "138 0013 8000")
    await env.say(secretary, "chenxx_sz")
    for text in (LONG_TEXT, CONTROL_ONLY):                      # hostile text at the destination
        [err] = await env.say(secretary, text)
        assert "⚠️" in err.text
    await env.say(secretary, "广东省深圳市南山区 <XX科技园>")
    await env.say(secretary, "深圳市南山区XX科技园党委 & 工会")
    await env.say(secretary, "妻子张XX 😀")
    await env.say(secretary, "+86 139-0013-9000")
    [summary] = await env.tap(secretary, tr.gettext("Today"))
    for expected in ("13800138000", "chenxx_sz", "广东省深圳市南山区 <XX科技园>", "深圳市南山区XX科技园党委 & 工会",
                     "妻子张XX 😀", "13900139000", TransferKind.TEMPORARY.label(tr)):
        assert expected in summary.text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    row = await env.db.fetchone("SELECT * FROM transfers")
    assert (row["member_id"], row["kind"], row["phone"], row["backup_phone"], row["receipt_on"]) == (
        ids["陈XX"], "temporary", "13800138000", "13900139000", None)

    [pending] = await env.say(secretary, "/noreceipt")
    assert "陈XX" in pending.text and "深圳市南山区XX科技园党委 &amp; 工会" in pending.raw_text
    [ask] = await env.tap(secretary, "陈XX")
    assert tr.gettext("When did the 回执 come back? Tap Today, or type a date.") in ask.text
    [err] = await env.say(secretary, "2026-11-01")                      # before it was sent (today)
    assert "⚠️" in err.text
    await env.tap(secretary, tr.gettext("Today"))
    await env.say(secretary, "接收党委已回执")
    [done] = await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert "陈XX" in done.text
    row = await env.db.fetchone("SELECT receipt_on, receipt_note FROM transfers")
    assert tuple(row) == ("2026-11-23", "接收党委已回执")
    [pending] = await env.say(secretary, "/noreceipt")
    assert tr.gettext("Every transfer out has its 回执. 🌟") in pending.text


# ---- responsible officer, lists ---------------------------------------------------------------------

async def test_responsible_officer_for_a_flow_member(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    wu = await env.add_member("吴XX", last_contact_on=RECENT, flow=FlowInfo(
        left_on=date(2026, 3, 1), destination="广东省深圳市", inflow_place="深圳市南山区XX科技园党委"))
    [flows] = await env.say(secretary, "/flow")
    assert "广东省深圳市" in flows.text and tr.gettext("no responsible officer yet") in flows.text
    [ask] = await env.say(secretary, "/officer")
    assert [b for b in ask.button_texts() if "XX" in b] == ["🟢 吴XX"]
    [ask] = await env.tap(secretary, "吴XX")
    assert tr.gettext("Which member of the branch will be responsible?") in ask.text
    assert not any("吴XX" in b for b in ask.button_texts())
    await env.say(secretary, "赵")
    [summary] = await env.tap(secretary, "赵XX")
    assert "吴XX" in summary.text and "赵XX" in summary.text
    [done] = await env.tap(secretary, tr.gettext("✅ Confirm"))
    row = await env.db.fetchone("SELECT officer_id FROM members WHERE id = ?", (wu,))
    assert row[0] == ids["赵XX"]
    [flows] = await env.say(secretary, "/flow")
    assert "👤 赵XX" in flows.text


async def test_pagination_of_a_sixty_member_branch(bot_env):
    env, tr = bot_env, tr_for("en")
    secretary, ids = await setup_branch(env, "en")
    for n in range(55):
        await env.add_member(f"党员{n:02d}", last_contact_on=date(2026, 5, 1) if n % 2 else RECENT)
    [page] = await env.say(secretary, "/members")
    assert "(60)" in page.text and "1/6" in page.button_texts()
    seen: list[str] = []
    for n in range(6):
        names = [b["text"] for b in page.inline_buttons() if b["callback_data"].startswith("s:m:")]
        assert len(names) == 10
        seen += names
        assert len(page.text) < 4096
        if n < 5:
            [page] = await env.tap(secretary, "›")
            assert f"{n + 2}/6" in page.button_texts()
    assert len(set(seen)) == 60
    [lost] = await env.say(secretary, "/lost")
    assert "(28)" in lost.text and "1/3" in lost.button_texts()   # 27 since May, and 王XX
    [ooc] = await env.say(secretary, "/outofcontact")
    assert "(0)" in ooc.text and tr.gettext("Nobody is out of contact. 🌟") in ooc.text
    all_buttons_fit(env, secretary)


async def test_member_card_and_find(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    id_number = "110105198503071234"
    from bot.domain.idcard import check_digit

    id_number = id_number[:17] + check_digit(id_number[:17])
    await env.add_member("王<b>&YY", id_number=id_number, last_contact_on=date(2026, 9, 1))
    [results] = await env.say(secretary, "/find 王")
    assert "(2)" in results.text and "王&lt;b&gt;&amp;YY" in results.raw_text
    [card] = await env.tap(secretary, "王<b>&YY")
    assert id_number not in card.text and id_number[:4] + "*" * 10 + id_number[-4:] in card.text
    assert "🟠" in card.text and tr.gettext("Not a flow member.") in card.text
    [ask] = await env.say(secretary, "/find")
    [results] = await env.say(secretary, "没有这个人")
    assert tr.gettext("Nobody of that name in your branches.") in results.text


async def test_a_committee_user_sees_both_branches(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, ids = await setup_branch(env)
    other = await env.add_member("孙XX", branch_id=env.other_branch_id, last_contact_on=date(2016, 1, 1))
    committee = await env.add_committee_user()
    [lost] = await env.say(committee, "/lost")
    assert "王XX" in lost.text and "孙XX" in lost.text
    [lost_a] = await env.say(secretary, "/lost")
    assert "孙XX" not in lost_a.text
    [ask] = await env.say(committee, "/attendance")              # two branches: which one met?
    assert tr.gettext("Which branch met?") in ask.text
    [checklist] = await env.tap(committee, "另一支部")
    assert any("孙XX" in b for b in checklist.button_texts()) and not any("王XX" in b for b in checklist.button_texts())
    assert other


async def refuse_hostile(env, user, tr, *, prompt: str) -> None:
    """5,000 characters and control characters only: a clear error with the same question, nothing lost."""
    [err] = await env.say(user, LONG_TEXT)
    assert "⚠️" in err.text and "5000" in err.text and prompt in err.text
    [err] = await env.say(user, CONTROL_ONLY)
    assert tr.gettext("Please type some text") in err.text and prompt in err.text


@pytest.mark.parametrize("lang", LANGS)
async def test_hostile_text_in_every_record_flow(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, ids = await setup_branch(env, lang)
    wu = await env.add_member("吴XX", last_contact_on=RECENT, flow=FlowInfo(left_on=date(2026, 3, 1),
                                                                          destination="广东省深圳市"))
    # find: the name
    await env.say(secretary, "/find")
    await refuse_hostile(env, secretary, tr, prompt=tr.gettext("Type the member's name, or a part of it:"))
    [none] = await env.say(secretary, HTML_TEXT)
    assert tr.gettext("Nobody of that name in your branches.") in none.text and HTML_TEXT in none.text
    assert "<script>" not in none.raw_text

    # transfer: every text step
    await env.say(secretary, "/transfer 陈")
    await env.tap(secretary, "陈XX")
    await env.tap(secretary, TransferKind.PERMANENT.label(tr))
    answers = [("The member's mobile number:", "13800138000"), ("The member's WeChat ID, or Skip:", HTML_TEXT),
               ("Where will they work, study or live? (at most {max} characters)", HTML_TEXT),
               ("The receiving Party organization:", HTML_TEXT),
               ("A backup contact: name and relation (e.g. 妻子张XX):", "<b>张</b>&😀"),
               ("The backup contact's mobile number:", "13900139000")]
    for prompt, good in answers:
        await refuse_hostile(env, secretary, tr, prompt=tr.gettext(prompt, max=200))
        if good.isdigit():
            [err] = await env.say(secretary, HTML_TEXT)              # not a mobile number: said so, escaped
            assert "⚠️" in err.text and "<script>" not in err.raw_text
        await env.say(secretary, good)
    [summary] = await env.tap(secretary, tr.gettext("Today"))
    assert summary.text.count(HTML_TEXT) == 3 and "<b>张</b>&😀" in summary.text and "<script>" not in summary.raw_text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    row = await env.db.fetchone("SELECT wechat, destination, to_org, backup_name, id FROM transfers")
    assert tuple(row)[:4] == (HTML_TEXT, HTML_TEXT, HTML_TEXT, "<b>张</b>&😀")

    # 回执: the note
    await env.say(secretary, "/receipt")
    await env.tap(secretary, "陈XX")
    await env.tap(secretary, tr.gettext("Today"))
    await refuse_hostile(env, secretary, tr, prompt=tr.gettext("A note, or Skip:"))
    [summary] = await env.say(secretary, HTML_TEXT)
    assert summary.text.count(HTML_TEXT) == 2 and "<script>" not in summary.raw_text   # org and note
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert (await env.db.fetchone("SELECT receipt_note FROM transfers"))[0] == HTML_TEXT

    # contact regained: the note
    await env.say(secretary, "/regained")
    await env.tap(secretary, "王XX")
    await env.tap(secretary, tr.gettext("Today"))
    await refuse_hostile(env, secretary, tr,
                         prompt=tr.gettext("A note (where the member is, how you reached them), or Skip:"))
    await env.say(secretary, HTML_TEXT)
    await env.tap(secretary, tr.gettext("✅ Confirm"))

    # attendance: the topic
    await env.say(secretary, "/attendance")
    await env.tap(secretary, "☐ 赵XX")
    await env.tap(secretary, tr.gettext("Done ✔"))
    await env.tap(secretary, tr.gettext("Today"))
    await refuse_hostile(env, secretary, tr, prompt=tr.gettext("The topic of the meeting, or Skip:"))
    await env.say(secretary, HTML_TEXT)
    await env.tap(secretary, tr.gettext("✅ Confirm"))

    # dues: the amount
    await env.say(secretary, "/dues 赵")
    await env.tap(secretary, "赵XX")
    await env.tap(secretary, tr.gettext("Today"))
    await refuse_hostile(env, secretary, tr, prompt=tr.gettext("How much (yuan)? e.g. 30 or 12.50"))
    [err] = await env.say(secretary, "<b>1</b>&")
    assert "⚠️" in err.text and "&lt;b&gt;" in err.raw_text
    await env.say(secretary, "12.5")
    await env.tap(secretary, tr.gettext("✅ Confirm"))

    # responsible officer: a typed name
    await env.say(secretary, "/officer")
    await env.tap(secretary, "吴XX")
    await refuse_hostile(env, secretary, tr, prompt=tr.gettext("Which member of the branch will be responsible?"))
    [none] = await env.say(secretary, HTML_TEXT)
    assert "<script>" not in none.raw_text
    notes = await env.db.fetchall("SELECT kind, note, amount FROM contact_events ORDER BY id")
    assert [(r[0], r[1], r[2]) for r in notes] == [("regained", HTML_TEXT, None), ("meeting", HTML_TEXT, None),
                                                  ("dues", None, "12.50")]
    assert wu
    all_buttons_fit(env, secretary)
