"""The wizard engine with the kinds of flow the next issues add, over the emulator: a flow opened from a
button carrying an id and guarded by a role at the committee level (a case to approve, with a long typed
opinion), and a flow that picks from a list the service pages itself, then sends a document while showing
its progress in one message. The flows are declared here, as a flow module would declare them."""

from __future__ import annotations

from datetime import date

from bot.domain.codes import Role
from bot.domain.errors import PermissionDenied
from bot.handlers import add_feature_handler
from bot.handlers.common import NOT_AVAILABLE
from bot.handlers.labels import line
from bot.handlers.wizard import CHOICE, PICK, TEXT, Flow, Home, Listing, Registry, Step, fixed_options
from bot.handlers.wizard.engine import build_conversation
from bot.i18n import N_, translator

EN = translator("en")
STALE = "That button belongs to an earlier step. Please use the latest message."
OPINION = "同意。\n经支部三次联系查找（创意园、派出所、老乡），仍无音讯。<b>建议</b>按规定处置。"
SAVED: list[tuple] = []
PAGES_ASKED: list[int] = []


def committee_only(ctx) -> str | None:
    return None if any(role is Role.COMMITTEE for role, _org in ctx.actor.roles) else NOT_AVAILABLE


HOME = Home(prefix="t", guard=committee_only, menu=lambda ctx: ("Committee work", [[("Menu", "c:menu")]]),
            button=(N_("Menu"), "c:menu"), interrupted=N_("That was interrupted. Please start it again from the "
                                                           "branch menu."))


async def open_case(ctx, draft, case_id: int) -> None:
    if case_id != 42:   # as a service would: not found and not yours read the same
        raise PermissionDenied(N_("You are not allowed to do that"))
    draft.update(case_id=case_id, member_name="王XX")


async def save_opinion(ctx, d, screen):
    SAVED.append((d["case_id"], d["decision"], d["opinion"]))
    return f"Recorded the opinion on case {d['case_id']}.", [[("Menu", "c:menu")]]


APPROVE = Flow(
    code="ap", title=N_("Search attempt (联系查找)"), home=HOME, start="t:case", start_with=open_case,
    steps=(Step("decision", CHOICE, N_("The result:"), options=fixed_options(("approve", N_("Yes")),
                                                                             ("reject", N_("No")))),
           Step("opinion", TEXT, N_("What happened? Describe the search: the process, whom you asked, what you "
                                    "learned (at most {max} characters)."), max_len=2000, multiline=True)),
    summary=lambda ctx, d: [line(ctx, N_("Member"), d.get("member_name")), line(ctx, N_("Note"), d.get("opinion"))],
    save=save_opinion)


async def form_page(ctx, draft, query, page: int) -> Listing:
    """25 forms; the 'service' returns one page of ten at a time and says how many there are."""
    PAGES_ASKED.append(page)
    first = page * 10 + 1
    return Listing("Forms: 25", [(i, f"表{i:02d}") for i in range(first, min(first + 10, 26))], total=25)


async def accept_form(ctx, draft, form_id) -> None:
    if not 1 <= form_id <= 25:
        raise PermissionDenied(N_("You are not allowed to do that"))
    draft["form_name"] = f"表{form_id:02d}"


async def export(ctx, d, screen):
    await screen.progress("Writing 1/2")
    await screen.progress("Writing 2/2")
    await screen.progress("Writing 2/2")    # did not move: not edited again (the harness fails on a 400)
    await screen.send_document(b"PK\x03\x04 fictional xlsx", f"{d['form_name']}.xlsx", caption=d["form_name"])
    return f"Sent {d['form_name']}.xlsx", [[("Menu", "c:menu")]]


EXPORT = Flow(
    code="ex", title=N_("Find a member"), home=HOME, start="t:export", confirm=False,
    steps=(Step("form", PICK, N_("Which member? Type the name (or a part of it), or tap below."), items=form_page,
                accept=accept_form),),
    save=export)


def add_flows(env) -> None:
    SAVED.clear()
    PAGES_ASKED.clear()
    env.on_build(lambda app: add_feature_handler(app, build_conversation(Registry([APPROVE, EXPORT]),
                                                                         name="wizard_test")))


async def test_a_case_opened_from_its_button_takes_a_long_opinion_and_survives_a_restart(bot_env):
    env = bot_env
    add_flows(env)
    secretary = await env.add_secretary("李XX", language_code="en", last_contact_on=date(2026, 11, 20))
    committee = await env.add_committee_user(language_code="en")
    [menu] = await env.say(committee, "/start")

    [refused] = await env.press_data(secretary, "t:case:42")            # a secretary is not the committee
    assert refused.text == EN.gettext(NOT_AVAILABLE)
    await env.press_data(committee, "t:case:99", expect=0, message=menu)  # not a case of theirs
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext("You are not allowed to do that")

    [ask] = await env.press_data(committee, "t:case:42", message=menu)
    assert EN.gettext("The result:") in ask.text and ask.button_texts()[:2] == ["Yes", "No"]
    [ask_opinion] = await env.tap(committee, "Yes")
    await env.press_data(committee, "t:ap:decision:reject", expect=0)     # the earlier step's button: stale
    assert env.emu.callback_queries[-1].answer["text"] == STALE
    [too_long] = await env.say(committee, "查" * 2001)
    assert "⚠️" in too_long.text and "2001" in too_long.text
    await env.restart()
    [summary] = await env.say(committee, OPINION)
    assert "王XX" in summary.text and OPINION in summary.text and "&lt;b&gt;" in summary.raw_text
    [back] = await env.tap(committee, EN.gettext("« Back"))
    assert EN.gettext("The result:") not in back.text and "2000" in back.text   # the opinion question again
    [summary] = await env.say(committee, OPINION + "\n\n" + "查" * (2000 - len(OPINION) - 2))   # exactly 2,000
    [done] = await env.tap(committee, EN.gettext("✅ Confirm"))
    assert done.text == "Recorded the opinion on case 42."
    assert SAVED == [(42, "approve", OPINION + "\n\n" + "查" * (2000 - len(OPINION) - 2))]
    await env.settle()                 # the handler has returned END (the reply came just before)
    await env.app.update_persistence()
    rows = await env.db.fetchall("SELECT key, value FROM persistence WHERE kind = 'conversation:wizard_test'")
    assert [tuple(r) for r in rows] == [], "the ended conversation is not stored"


async def test_a_paged_pick_then_a_document_with_progress_in_one_message(bot_env):
    env = bot_env
    add_flows(env)
    committee = await env.add_committee_user(language_code="en")
    [menu] = await env.say(committee, "/start")
    [pick] = await env.press_data(committee, "t:export", message=menu)
    assert "Forms: 25" in pick.text and "1/3" in pick.button_texts() and "表01" in pick.button_texts()
    [page2] = await env.tap(committee, "›")
    assert "2/3" in page2.button_texts() and "表11" in page2.button_texts() and "表01" not in page2.button_texts()
    assert PAGES_ASKED[-1] == 1, "the service was asked for the second page, not for everything"
    await env.press_data(committee, "t:ex:form:m99", expect=0)            # a form no page offers
    assert env.emu.callback_queries[-1].answer["text"] == EN.gettext("You are not allowed to do that")

    first, second, document, result = await env.tap(committee, "表12", expect=4)
    assert (first.event, first.text, first.message_id) == ("edited", "Writing 1/2", page2.message_id)
    assert (second.event, second.text, second.message_id) == ("edited", "Writing 2/2", page2.message_id)
    assert document.document_name == "表12.xlsx" and document.document == b"PK\x03\x04 fictional xlsx"
    assert document.caption == "表12"
    assert (result.message_id, result.text) == (page2.message_id, "Sent 表12.xlsx")
    assert result.button_texts() == ["Menu"]
