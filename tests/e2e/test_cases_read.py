"""The case list, the approval queue, the card, and a notification's button, through the emulator; forged
k: callbacks (another subtree's case, garbage) change nothing and reveal nothing."""

from __future__ import annotations

import pytest

from bot.domain.codes import Outcome
from bot.i18n import translator
from bot.services.cases import chain, search_steps
from bot.services.context import actor_for
from tests.e2e.cases_setup import searched_in_vain, setup

ZH, EN = translator("zh_CN"), translator("en")


async def test_the_secretary_lists_cases_overdue_first_and_opens_a_card(bot_env):
    env = bot_env
    w = await setup(env)
    idle = await searched_in_vain(env, w, "王XX", times=1)        # last attempt 2026-10-01: overdue
    fresh = await search_steps.open_case(w.svc, await actor_for(env.db, w.secretary.id), w.ids["吴XX"])
    [listing] = await env.say(w.secretary, "/cases")
    assert ZH.gettext("<b>Lost-contact cases</b> ({n})", n=2).replace("<b>", "").replace("</b>", "") in listing.text
    lines = listing.text.splitlines()
    assert lines[1].startswith("⚠️") and "王XX" in lines[1] and "吴XX" in lines[2]
    [card] = await env.tap(w.secretary, "王XX")
    assert ZH.gettext("Search attempts: {n} ({signed} signed by two or more; removal needs {min})",
                      n=1, signed=1, min=3) in card.text
    assert ZH.gettext("❔ Declare unreachable") in [b["text"] for b in card.inline_buttons()]
    assert fresh != idle


@pytest.mark.reminders
async def test_the_committee_is_notified_and_its_button_opens_the_case(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await searched_in_vain(env, w, "王XX")
    sec = await actor_for(env.db, w.secretary.id)
    await search_steps.unreachable(w.svc, sec, case_id)
    await search_steps.findings(w.svc, sec, case_id, "none", None)
    await chain.propose(w.svc, sec, case_id, Outcome.SUSPENDED_UNREACHABLE, "确实无法取得联系，拟停止党籍")
    [notice] = await env.emu.wait_for_bot(w.committee, count=1)
    assert EN.gettext("Lost-contact case {case} ({name}): “{step}” waits for you.", case=case_id, name="王XX",
                      step=EN.gettext("Committee pre-review")) == notice.text
    [card] = await env.tap(w.committee, EN.gettext("📂 Open the case"), message=notice)
    assert f"Lost-contact case {case_id}" in card.text and "Proposed, awaiting pre-review" in card.text
    labels = [b["text"] for b in card.inline_buttons()]
    assert "✅ Pre-review" in labels and "↩️ Send back to the branch" in labels
    [queue] = await env.say(w.committee, "/approvals")
    assert "王XX" in queue.text
    # The org_dept user has nothing yet: a suspension never goes to the department.
    [empty] = await env.say(w.dept, "/approvals")
    assert EN.gettext("Nothing waits for you.") in empty.text


async def test_forged_case_callbacks_reveal_nothing(bot_env):
    env = bot_env
    w = await setup(env)
    case_id = await searched_in_vain(env, w, "王XX", times=1)
    other = await env.add_secretary("孙XX", branch_id=env.other_branch_id, language_code="en")
    for data in (f"k:open:{case_id}", "k:open:999999", "k:open:x", "k:open"):
        [listing] = await env.say(other, "/cases")
        [refusal] = await env.press_data(other, data, message=listing)
        assert refusal.text.startswith("⛔ ") and "王XX" not in refusal.text
        assert EN.gettext("You are not allowed to do that") in refusal.text
    # A plain member (王XX's neighbour) gets no case list at all.
    member = await env.bind_member(w.ids["钱XX"])
    [no] = await env.say(member, "/cases")
    assert "王XX" not in no.text
