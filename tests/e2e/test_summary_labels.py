"""The confirmation summaries read right in both languages: each label says what its value is."""

from __future__ import annotations

import pytest

from bot.domain.codes import SearchMethod, SearchResult
from tests.e2e.test_secretary_flows import log_attempt, setup_branch, tr_for


@pytest.mark.parametrize("lang, member_label, date_label, signed_label",
                         [("zh-hans", "党员", "日期", "查找人签名"), ("en", "Member", "Date", "Signed by")])
async def test_the_search_attempt_summary_puts_the_name_under_the_member_label(bot_env, lang, member_label,
                                                                                date_label, signed_label):
    env, tr = bot_env, tr_for(lang)
    secretary, _ = await setup_branch(env, lang)
    await env.say(secretary, "/search")
    await env.tap(secretary, "王XX")
    await log_attempt(env, secretary, tr, when=None, method=SearchMethod.FORMER_UNIT, contacted="办公室办事员陈XX",
                      phone=None, narrative="电话联系创意园，称已离职", result=SearchResult.NOT_REACHED,
                      cosigners=("陈XX",))
    # the summary as it was shown before ✅ Confirm (the same message then became the saved note)
    summary = next(m for m in reversed(env.emu.outbox.history(secretary.id))
                   if tr.gettext("Please check, then confirm:") in m.text)
    lines = summary.text.splitlines()
    # the seed's wording: 党员 王XX (a name), never 党员编号 (a number) in front of a name
    assert f"{member_label}: 王XX" in lines
    assert not any("编号" in line or "number" in line.lower() for line in lines)
    assert any(line.startswith(f"{date_label}: ") for line in lines)
    assert any(line.startswith(f"{signed_label}: ") and "陈XX" in line for line in lines)
