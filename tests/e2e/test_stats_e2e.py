"""/stats through the emulator: a secretary sees the branch with its chart, a committee user the committee and
the branches ranked by 失联 members nobody searched for, each opening that branch's list; a plain member, a
stranger and forged buttons for a node outside the user's roles are refused and shown nothing."""

from __future__ import annotations

from datetime import date

from bot.handlers.common import INVITE_HINT, NOT_AVAILABLE
from bot.i18n import translator
from bot.services import stats_chart

EN = translator("en")
HAS_FONT = stats_chart.cjk_font() is not None


async def world(env):
    """创意园: secretary 李XX, 韩XX in contact, 王XX lost since 2015. 另一支部: 钱XX and 周XX lost, 赵XX in contact."""
    sec = await env.add_secretary("李XX", language_code="en", last_contact_on=date(2026, 11, 20))
    await env.add_member("韩XX", last_contact_on=date(2026, 11, 20))
    wang = await env.add_member("王XX", last_contact_on=date(2015, 3, 1))
    qian = await env.add_member("钱XX", branch_id=env.other_branch_id, last_contact_on=date(2016, 1, 1))
    await env.add_member("周XX", branch_id=env.other_branch_id, last_contact_on=date(2020, 1, 1))
    await env.add_member("赵XX", branch_id=env.other_branch_id, last_contact_on=date(2026, 11, 1))
    return sec, wang, qian


async def test_secretary_sees_the_branch_with_a_chart(bot_env):
    env = bot_env
    sec, _wang, _qian = await world(env)
    messages = await env.say(sec, "/stats", expect=2 if HAS_FONT else 1)
    text = messages[0].body
    assert "创意园党支部 on 2026-11-23" in text
    assert "Members on the register: 3" in text and "Lost contact over six months: 1" in text
    assert "In contact: 2" in text
    assert "钱XX" not in text and "另一支部" not in text
    if HAS_FONT:
        png = messages[1]
        assert png.document[:8] == b"\x89PNG\r\n\x1a\n" and png.document_name == "stats-2026-11-23.png"
    else:
        assert "No chart" in text


async def test_committee_ranks_branches_and_opens_their_lists(bot_env):
    env = bot_env
    await world(env)
    committee = await env.add_committee_user(language_code="en")
    messages = await env.say(committee, "/stats", expect=2 if HAS_FONT else 1)
    assert "Members on the register: 6" in messages[0].body and "Lost contact over six months: 3" in messages[0].body
    [table] = await env.tap(committee, "Branches to search", message=messages[0])
    assert table.button_texts()[:2] == ["另一支部: 2 of 2 lost members not searched for",
                                        "创意园党支部: 1 of 1 lost members not searched for"]
    [lost] = await env.tap(committee, "另一支部: 2 of 2 lost members not searched for", message=table)
    assert "另一支部" in lost.body
    names = [t for t in lost.button_texts() if t.startswith("🔴")]
    assert names == ["🔴 钱XX · 2016-01-01", "🔴 周XX · 2020-01-01"]          # longest without contact first
    [card] = await env.tap(committee, "🔴 钱XX · 2016-01-01", message=lost)
    assert "钱XX" in card.body


async def test_others_and_forged_buttons_are_refused(bot_env):
    env = bot_env
    sec, wang, qian = await world(env)
    member = await env.bind_member(wang, language_code="en")
    [m] = await env.say(member, "/stats")
    assert m.body == EN.gettext(NOT_AVAILABLE)
    stranger = env.stranger()
    [s] = await env.say(stranger, "/stats")
    assert s.body == EN.gettext(INVITE_HINT)
    before = len(env.emu.messages_to(sec))
    for data in (f"s:st:{env.committee_id}", f"s:st:{env.other_branch_id}", f"s:sb:{env.committee_id}:0",
                 f"s:sl:{env.other_branch_id}:0", "s:sl:999:0", "s:st:abc"):
        await env.press_data(sec, data, expect=0)
    shown = " ".join(x.body for x in env.emu.messages_to(sec)[before:])
    answers = " ".join(str((q.answer or {}).get("text", "")) for q in env.emu.callback_queries if q.user.id == sec.id)
    assert "钱XX" not in shown + answers and "周XX" not in shown + answers
    assert "You are not allowed to do that" in answers
    for data in (f"s:st:{env.committee_id}", f"s:sl:{env.other_branch_id}:0"):
        await env.press_data(member, data, expect=1)        # a member is told, as for every officer button
    assert "钱XX" not in " ".join(x.body for x in env.emu.messages_to(member))
