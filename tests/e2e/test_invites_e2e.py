"""Bringing a whole branch in, over the emulator (issue 15): the secretary's 邀请党员, the sheet of every
unbound member, the join link and its requests, unbinding — in both languages, with no full ID number and no
phone number in any message to the joining user or in the logs."""

from __future__ import annotations

import io
import logging
import re

from openpyxl import load_workbook

from bot.app import app_state
from bot.reminders.sender import Sender

from bot.i18n import translator

ZH = translator("zh_CN")
EN = translator("en")
LINK = re.compile(r"https://t\.me/branchbot_test_bot\?start=([A-Za-z0-9_-]+)")


def data_of(message) -> list[str]:
    return [b["callback_data"] for b in message.inline_buttons()]


async def id_and_mobile(bot_env, member_id: int) -> tuple[str, str]:
    row = await bot_env.db.fetchone("SELECT id_number, mobile FROM members WHERE id = ?", (member_id,))
    return row[0], row[1]


async def test_a_secretary_invites_one_member_who_binds_with_the_link(bot_env, caplog):
    caplog.set_level(logging.DEBUG)
    wang = await bot_env.add_member(name="王XX")
    await bot_env.add_member(name="李YY")
    secretary = await bot_env.add_secretary(name="李XX")
    branch = bot_env.branch_id

    [menu] = await bot_env.tap(secretary, "s:menu")
    # 王XX, 李YY and 李XX (the secretary) are active; only 李XX is bound.
    assert ZH.gettext("Connected to the bot: {bound}/{total}", bound=1, total=3) in menu.text
    assert "已绑定 1/3" in menu.text
    [invite_menu] = await bot_env.tap(secretary, "j:menu")          # one branch: straight to its menu
    assert "创意园党支部" in invite_menu.text and "1/3" in invite_menu.text
    [page] = await bot_env.tap(secretary, f"j:pick:{branch}")         # the invite flow: a PICK of the unbound
    assert data_of(page)[1] == f"s:f:jinv:member:m{wang}"
    labels = [b["text"] for b in page.inline_buttons()]
    assert labels[0].startswith("李YY") and labels[1].startswith("王XX")   # by name: 李 U+674E < 王 U+738B

    picture, result = await bot_env.tap(secretary, f"s:f:jinv:member:m{wang}", message=page, expect=2)
    assert "王XX" in result.text and f"j:pick:{branch}" in data_of(result)
    id_number, mobile = await id_and_mobile(bot_env, wang)
    assert id_number not in picture.caption and mobile not in picture.caption
    assert id_number[:4] + "*" * 10 + id_number[-4:] in picture.caption
    code = LINK.search(picture.caption).group(1)

    phone_owner = bot_env.user("王XX", "zh-hans")
    [welcome] = await bot_env.say(phone_owner, f"/start {code}")
    assert "王XX" in welcome.text and "m:menu:outflow" in data_of(welcome)
    assert await bot_env.member_id_of(phone_owner) == wang
    [back] = await bot_env.tap(secretary, f"j:menu:{branch}", message=result)   # « Back (the same message, edited)
    [menu] = await bot_env.tap(secretary, "s:menu", message=back)
    assert "已绑定 2/3" in menu.text
    assert id_number not in caplog.text and mobile not in caplog.text


# ---- the join link ---------------------------------------------------------------------------------------

async def deliver(bot_env) -> None:
    """Send what the outbox holds (join requests, answers), as the running sender does."""
    await Sender(app_state(bot_env.app).services, bot_env.app.bot, per_chat_interval=0).drain()


async def join_code(bot_env, secretary) -> str:
    """The secretary asks for the branch's join link in the bot: a QR picture + link, then the manage buttons."""
    await bot_env.tap(secretary, "s:menu")
    await bot_env.tap(secretary, "j:menu")
    picture, manage = await bot_env.tap(secretary, f"j:jl:{bot_env.branch_id}", expect=2)
    assert picture.document_name == f"join-{bot_env.branch_id}.png" and picture.document.startswith(b"\x89PNG")
    assert f"j:jx:{bot_env.branch_id}" in data_of(manage)
    code = LINK.search(picture.caption).group(1)
    assert code.startswith("join_")
    return code


async def identify(bot_env, user, code: str, name: str, six: str, mobile: str) -> list:
    """Open the join link, answer the three questions and confirm; returns every message the user got, the last
    one being the answer to the confirmation."""
    got = await bot_env.say(user, f"/start {code}")
    got += await bot_env.say(user, name)
    got += await bot_env.say(user, six)
    got += await bot_env.say(user, mobile, expect=2)     # "Thank you." (the reply keyboard goes) and the summary
    got += await bot_env.tap(user, "jw:join:ok")
    return got


def assert_nothing_personal(messages, *secrets: str) -> None:
    text = " ".join(m.body for m in messages)
    for secret in secrets:
        assert secret not in text, secret


async def test_join_link_request_accepted_and_the_member_sees_their_menu(bot_env, caplog):
    caplog.set_level(logging.DEBUG)
    wang = await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX")
    code = await join_code(bot_env, secretary)
    id_number, mobile = await id_and_mobile(bot_env, wang)

    joiner = bot_env.user("王XX", "zh-hans")
    got = await identify(bot_env, joiner, code, "王XX", id_number[-6:], mobile)
    intro, summary, answer = got[0], got[4], got[5]
    assert "创意园党支部" in intro.text and ZH.gettext("1/3 · Your name, as on the register:") in intro.text
    assert "139****" in summary.text and "王XX" in summary.text
    assert answer.text == ZH.gettext(
        "Thank you. If these details match the register of {branch}, your branch secretary will be asked to "
        "confirm, and you will hear from me here. If you hear nothing, speak to your branch secretary.",
        branch="创意园党支部")
    assert await bot_env.member_id_of(joiner) is None               # nothing bound before the secretary taps

    await deliver(bot_env)
    [request] = await bot_env.emu.wait_for_bot(secretary)
    assert "王XX" in request.text and id_number[:4] + "*" * 10 + id_number[-4:] in request.text
    assert id_number not in request.text and mobile not in request.text
    [decided] = await bot_env.tap(secretary, "j:ok:1", message=request)
    assert "✅ 已同意：王XX已绑定。" in decided.text and decided.inline_buttons() == []
    assert await bot_env.member_id_of(joiner) == wang

    await deliver(bot_env)
    [welcome] = await bot_env.emu.wait_for_bot(joiner)
    assert "王XX" in welcome.text and "创意园党支部" in welcome.text and data_of(welcome) == ["c:menu"]
    [menu] = await bot_env.tap(joiner, "c:menu")
    assert "m:menu:outflow" in data_of(menu) and "c:me" in data_of(menu)
    assert_nothing_personal(bot_env.emu.messages_to(joiner), id_number, mobile, id_number[-6:])
    assert id_number not in caplog.text and mobile not in caplog.text and id_number[-6:] not in caplog.text


async def test_wrong_details_in_each_field_get_the_same_answer_and_bind_nothing(bot_env, caplog):
    caplog.set_level(logging.DEBUG)
    wang = await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    code = await join_code(bot_env, secretary)
    id_number, mobile = await id_and_mobile(bot_env, wang)
    wrong_six = ("000000" if id_number[-6:] != "000000" else "111111")
    tries = {"name": ("王YY", id_number[-6:], mobile), "number": ("王XX", wrong_six, mobile),
             "mobile": ("王XX", id_number[-6:], "13900000000"), "nobody": ("赵ZZ", "12345X", "13712345678"),
             "right": ("王XX", id_number[-6:], mobile)}
    answers, users = {}, {}
    for what, (name, six, phone) in tries.items():
        users[what] = bot_env.user(f"guest-{what}", "en")
        got = await identify(bot_env, users[what], code, name, six, phone)
        answers[what] = got[-1].text
        assert_nothing_personal(got, id_number, mobile)
    # The same words whatever was wrong, and the same as for the right details: nothing is learnt.
    assert len(set(answers.values())) == 1
    assert answers["right"] == EN.gettext(
        "Thank you. If these details match the register of {branch}, your branch secretary will be asked to "
        "confirm, and you will hear from me here. If you hear nothing, speak to your branch secretary.",
        branch="创意园党支部")
    for user in users.values():
        assert await bot_env.member_id_of(user) is None
    rows = await bot_env.db.fetchall("SELECT tg_id FROM join_requests")
    assert [r[0] for r in rows] == [users["right"].id]                  # only the right details made a request
    assert id_number not in caplog.text and mobile not in caplog.text


async def test_the_throttle_stops_a_guessing_loop(bot_env):
    wang = await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX")
    code = await join_code(bot_env, secretary)
    id_number, mobile = await id_and_mobile(bot_env, wang)
    guesser = bot_env.user("猜", "zh-hans")
    for n in range(5):                                  # joining.USER_ATTEMPTS = 5 an hour
        await identify(bot_env, guesser, code, "王XX", f"{n:06d}", mobile)
    [stopped] = await bot_env.say(guesser, f"/start {code}")
    assert stopped.text == ZH.gettext("Too many attempts: please wait an hour and try again")
    assert await bot_env.member_id_of(guesser) is None
    assert (await bot_env.db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 0
    # An hour later the right details go through.
    bot_env.clock.advance(minutes=61)
    await identify(bot_env, guesser, code, "王XX", id_number[-6:], mobile)
    assert (await bot_env.db.fetchone("SELECT COUNT(*) FROM join_requests"))[0] == 1


async def test_a_revoked_link_refuses(bot_env):
    await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    code = await join_code(bot_env, secretary)
    [confirm] = await bot_env.tap(secretary, f"j:jx:{bot_env.branch_id}")
    [done] = await bot_env.tap(secretary, f"j:jxy:{bot_env.branch_id}", message=confirm)
    assert done.text == EN.gettext("The join link was revoked.")
    joiner = bot_env.user("王XX", "en")
    [refused] = await bot_env.say(joiner, f"/start {code}")
    assert refused.text == EN.gettext(
        "This join link is no longer valid: ask your branch secretary for the current one")
    [again] = await bot_env.say(joiner, "王XX")                          # no conversation was started
    assert again.text != EN.gettext("2/3 · The last six characters of your ID number (digits, or X at the end):")


async def test_a_refused_request_binds_nothing(bot_env):
    wang = await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX")
    other_secretary = await bot_env.add_secretary(name="孙XX", branch_id=bot_env.other_branch_id)
    code = await join_code(bot_env, secretary)
    id_number, mobile = await id_and_mobile(bot_env, wang)
    joiner = bot_env.user("王XX", "en")
    await identify(bot_env, joiner, code, "王XX", id_number[-6:], mobile)
    await deliver(bot_env)
    [request] = await bot_env.emu.wait_for_bot(secretary)
    assert bot_env.emu.outbox.pending(other_secretary.id) == []          # not another branch's secretary

    # Another branch's secretary forging the button: refused, nothing bound.
    await bot_env.say(other_secretary, "/start")
    await bot_env.press_data(other_secretary, "j:ok:1", expect=0)
    assert await bot_env.member_id_of(joiner) is None

    [decided] = await bot_env.tap(secretary, "j:no:1", message=request)
    assert "✖ 已拒绝" in decided.text
    await deliver(bot_env)
    [told] = await bot_env.emu.wait_for_bot(joiner)
    assert told.text == EN.gettext("Your request to join {branch} was not accepted. If this is a mistake, speak "
                                   "to your branch secretary.", branch="创意园党支部")
    assert await bot_env.member_id_of(joiner) is None
    [state] = await bot_env.db.fetchall("SELECT state FROM join_requests")
    assert state[0] == "refused"
    await bot_env.press_data(secretary, "j:ok:1", message=request, expect=0)   # a second tap: already decided
    assert await bot_env.member_id_of(joiner) is None


async def test_auto_accept_lets_an_exact_match_in_at_once(bot_env):
    wang = await bot_env.add_member(name="王XX")
    secretary = await bot_env.add_secretary(name="李XX")
    code = await join_code(bot_env, secretary)
    [menu] = await bot_env.tap(secretary, f"j:menu:{bot_env.branch_id}")
    [menu] = await bot_env.tap(secretary, f"j:aa:{bot_env.branch_id}:1", message=menu)
    assert f"j:aa:{bot_env.branch_id}:0" in data_of(menu)
    id_number, mobile = await id_and_mobile(bot_env, wang)
    joiner = bot_env.user("王XX", "zh-hans")
    got = await bot_env.say(joiner, f"/start {code}")
    for answer in ("王XX", id_number[-6:]):
        got += await bot_env.say(joiner, answer)
    got += await bot_env.say(joiner, mobile, expect=2)
    got += await bot_env.tap(joiner, "jw:join:ok", expect=2)           # the welcome, then the member's menu
    assert "王XX" in got[-2].text and "m:menu:outflow" in data_of(got[-1])
    assert await bot_env.member_id_of(joiner) == wang
    assert_nothing_personal(got, id_number, mobile)


# ---- the sheet, committee users, unbinding -----------------------------------------------------------------

async def test_all_unbound_as_a_sheet_and_committee_users_for_their_subtree(bot_env):
    await bot_env.add_member(name="王XX")
    await bot_env.add_member(name="赵XX")
    far = await bot_env.add_member(name="钱XX", branch_id=bot_env.other_branch_id)
    await bot_env.bind_member(far)
    committee = await bot_env.add_committee_user(language_code="en")
    [picker] = await bot_env.tap(committee, "s:menu")
    [picker] = await bot_env.tap(committee, "j:menu", message=picker)
    labels = [b["text"] for b in picker.inline_buttons()]
    # 另一支部: 钱XX bound, 1 of 1; 创意园党支部: 王XX and 赵XX, none bound.
    assert "创意园党支部 · Connected 0/2" in labels and "另一支部 · Connected 1/1" in labels
    await bot_env.tap(committee, f"j:menu:{bot_env.branch_id}", message=picker)
    [sheet] = await bot_env.tap(committee, f"j:all:{bot_env.branch_id}")
    assert sheet.document_name == f"invites-{bot_env.branch_id}.xlsx"
    ws = load_workbook(io.BytesIO(sheet.document)).active
    names = [row[1].value for row in ws.iter_rows(min_row=3) if row[0].value is not None]
    assert names == ["王XX", "赵XX"]                      # 王 U+738B < 赵 U+8D75; 钱XX is of another branch
    links = [row[3].value for row in ws.iter_rows(min_row=3) if row[0].value is not None]
    joiner = bot_env.user("赵XX", "en")
    [welcome] = await bot_env.say(joiner, f"/start {LINK.fullmatch(links[1]).group(1)}")
    assert "赵XX" in welcome.text


async def test_unbind_and_invite_again(bot_env):
    wang = await bot_env.add_member(name="王XX")
    old_phone = await bot_env.bind_member(wang)
    secretary = await bot_env.add_secretary(name="李XX")
    [menu] = await bot_env.tap(secretary, "s:menu")
    [menu] = await bot_env.tap(secretary, "j:menu", message=menu)
    [page] = await bot_env.tap(secretary, f"j:bl:{bot_env.branch_id}:0", message=menu)
    assert f"j:ub:{wang}" in data_of(page)
    [confirm] = await bot_env.tap(secretary, f"j:ub:{wang}", message=page)
    [done] = await bot_env.tap(secretary, f"j:ubc:{wang}", message=confirm)
    assert "王XX已解除绑定" in done.text and await bot_env.member_id_of(old_phone) is None
    audit = await bot_env.db.fetchall("SELECT actor, after FROM audit_log WHERE entity = 'user' AND action = 'unbind'")
    assert [r[0] for r in audit] == [f"tg:{secretary.id}"] and "王XX" not in audit[0][1]
    [picture] = await bot_env.tap(secretary, f"j:inv:{wang}", message=done)
    new_phone = bot_env.user("王XX", "zh-hans")
    [welcome] = await bot_env.say(new_phone, f"/start {LINK.search(picture.caption).group(1)}")
    assert "王XX" in welcome.text and await bot_env.member_id_of(new_phone) == wang


async def test_the_unbound_list_pages_and_finds_by_name(bot_env):
    for n in range(12):
        await bot_env.add_member(name=f"王{n:02d}")
    await bot_env.add_member(name="赵XX")
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    [menu] = await bot_env.tap(secretary, "s:menu")
    [menu] = await bot_env.tap(secretary, "j:menu", message=menu)
    [page] = await bot_env.tap(secretary, f"j:pick:{bot_env.branch_id}", message=menu)
    assert "13" in page.text and "1/2" in page.button_texts()          # 13 unbound, 10 a page

    def names(message) -> list[str]:
        return [t.split(" · ")[0] for t in message.button_texts() if " · " in t]

    assert names(page) == [f"王{n:02d}" for n in range(10)]
    [found] = await bot_env.say(secretary, "赵")                         # typed: a search by name
    assert names(found) == ["赵XX"]
    [found] = await bot_env.say(secretary, "王")
    assert names(found) == [f"王{n:02d}" for n in range(10)] and "12" in found.text
    [second] = await bot_env.tap(secretary, "s:f:jinv:member:p1", message=found)
    assert names(second) == ["王10", "王11"]


async def test_forged_buttons_of_another_branch_are_refused(bot_env):
    wang = await bot_env.add_member(name="王XX")
    outsider = await bot_env.add_secretary(name="孙XX", branch_id=bot_env.other_branch_id, language_code="en")
    member = await bot_env.bind_member(await bot_env.add_member(name="赵XX"))
    await bot_env.say(outsider, "/start")
    branch = bot_env.branch_id
    for data in (f"j:inv:{wang}", f"j:all:{branch}", f"j:jl:{branch}", f"j:jxy:{branch}", f"j:aa:{branch}:1",
                 f"j:pick:{branch}", f"j:ubc:{await bot_env.member_id_of(member)}", "j:inv:x", "j:ok:999"):
        await bot_env.press_data(outsider, data, expect=0)
    refusals = [q for q in bot_env.emu.callback_queries if q.data.startswith("j:")]
    assert refusals and all(q.answered for q in refusals)
    assert await bot_env.member_id_of(member) is not None                 # not unbound
    assert (await bot_env.db.fetchone("SELECT COUNT(*) FROM join_links"))[0] == 0
    assert (await bot_env.db.fetchone("SELECT COUNT(*) FROM invites WHERE member_id = ?", (wang,)))[0] == 0
    # A plain member has no invite menu at all.
    await bot_env.press_data(member, f"j:menu:{branch}")
    assert bot_env.last(member).text == ZH.gettext("This is not available to you.")   # 赵XX writes in zh-hans
