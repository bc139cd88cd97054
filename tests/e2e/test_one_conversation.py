"""One conversation at a time: a secretary who is also a member switches between a search attempt and a
member report. The conversation left behind is closed with a note, so the next typed answer goes to the
conversation on screen (before, the member report, first in handler order, took text meant for the
search), and the closing survives a restart.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.codes import SearchMethod
from bot.i18n import translator

MOVED_PROMPT = "Type your new address (where you actually live)."
ADDRESS = "杭州市西湖区XX路1号 <b>2</b>"


def tr_for(lang: str):
    return translator("zh_CN" if lang.startswith("zh") else "en")


async def secretary_member(env, lang: str):
    secretary = await env.add_secretary("李XX", language_code=lang, last_contact_on=date(2026, 11, 20))
    lost = await env.add_member("王XX", last_contact_on=date(2015, 3, 1))
    [menu] = await env.say(secretary, "/start")
    return secretary, lost, menu


async def residence_of(env, user) -> str | None:
    row = await env.db.fetchone("SELECT json_extract(record, '$.residence') FROM members m"
                                " JOIN users u ON u.member_id = m.id WHERE u.tg_id = ?", (user.id,))
    return row[0]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
async def test_a_member_report_closes_an_unfinished_search(bot_env, lang):
    env, tr = bot_env, tr_for(lang)
    secretary, lost, menu = await secretary_member(env, lang)
    await env.say(secretary, "/search")
    [ask_date] = await env.tap(secretary, "王XX")
    assert tr.gettext("Today") in ask_date.button_texts()

    closed, ask_address = await env.tap(secretary, "m:menu:moved", expect=2, message=menu)
    assert closed.text == tr.gettext("Your unfinished “{what}” was closed; nothing in it had been saved.").format(
        what=tr.gettext("Search attempt (联系查找)"))
    assert tr.gettext(MOVED_PROMPT) in ask_address.text

    await env.restart()   # the closing was persisted: the search does not come back
    [summary] = await env.say(secretary, ADDRESS)   # a date step would have refused this text
    assert "杭州市西湖区XX路1号 <b>2</b>" in summary.text
    await env.tap(secretary, tr.gettext("✅ Confirm"))
    assert await residence_of(env, secretary) == ADDRESS
    assert await env.db.fetchall("SELECT 1 FROM search_attempts") == []
    await env.app.update_persistence()
    stored = await env.db.fetchall("SELECT kind FROM persistence WHERE kind LIKE 'conversation:%'")
    assert [r[0] for r in stored] == [], "both conversations ended and their stored states are gone"


async def test_a_search_closes_an_unfinished_member_report(bot_env):
    env, tr = bot_env, tr_for("zh-hans")
    secretary, lost, menu = await secretary_member(env, "zh-hans")
    [ask_address] = await env.tap(secretary, "m:menu:moved", message=menu)
    assert tr.gettext(MOVED_PROMPT) in ask_address.text

    closed, pick = await env.say(secretary, "/search", expect=2)
    assert closed.text == tr.gettext("Your unfinished “{what}” was closed; nothing in it had been saved.").format(
        what=tr.gettext("Moved residence"))
    [ask_date] = await env.tap(secretary, "王XX", message=pick)
    [ask_method] = await env.say(secretary, "2026-11-21")          # the search takes the date …
    assert tr.gettext("How did you search?") in ask_method.text
    await env.tap(secretary, SearchMethod.PHONE.label(tr))
    assert await residence_of(env, secretary) != "2026-11-21"       # … and the report took nothing
    reports = await env.db.fetchall("SELECT 1 FROM status_reports")
    assert reports == []


async def test_reentering_the_same_conversation_sends_no_closing_note(bot_env):
    env, tr = bot_env, tr_for("en")
    secretary, lost, menu = await secretary_member(env, "en")
    await env.tap(secretary, "m:menu:moved", message=menu)
    [ask_unit] = await env.press_data(secretary, "m:menu:work_unit")   # allow_reentry: a restart of it
    assert tr.gettext("Type your new work unit and post.") in ask_unit.text   # no closing note came first
