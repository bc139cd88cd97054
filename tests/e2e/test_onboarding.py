"""Getting in: invites, /start, /help, /lang, languages, the command menus — over the emulator."""

from __future__ import annotations

from bot.domain.codes import ReportKind
from bot.handlers import commands_menu
from bot.handlers.common import INVITE_HINT
from bot.i18n import N_, translator

ZH = translator("zh_CN")
EN = translator("en")


def callback_data(message) -> list[str]:
    return [b["callback_data"] for b in message.inline_buttons()]


async def test_an_invite_binds_wang_once_and_opens_the_menu(bot_env):
    wang = await bot_env.add_member(name="王XX")
    code = await bot_env.invite(member_id=wang)
    phone_owner = bot_env.user("王XX", "zh-hans")

    [welcome] = await bot_env.say(phone_owner, f"/start {code}")

    assert "王XX" in welcome.text and "创意园党支部" in welcome.text
    assert "m:menu:outflow" in callback_data(welcome) and "m:menu:checkin" in callback_data(welcome)
    assert ReportKind.OUTFLOW.label(ZH) in welcome.button_texts()
    assert "s:menu" not in callback_data(welcome)           # a member is not an officer
    assert await bot_env.member_id_of(phone_owner) == wang

    # The same link opened again, by someone else: refused, nothing bound.
    other = bot_env.user("路人", "zh-hans")
    [refused] = await bot_env.say(other, f"/start {code}")
    assert refused.text == ZH.gettext("This invite has already been used")
    assert await bot_env.member_id_of(other) is None


async def test_an_expired_invite_is_refused(bot_env):
    wang = await bot_env.add_member(name="王XX")
    code = await bot_env.invite(member_id=wang, days=7)
    bot_env.clock.advance(days=8)
    user = bot_env.user("王XX", "en")

    [refused] = await bot_env.say(user, f"/start {code}")

    assert refused.text == EN.gettext("This invite has expired: ask your branch secretary for a new one")
    assert await bot_env.member_id_of(user) is None


async def test_wrong_guesses_are_throttled_after_five(bot_env):
    wang = await bot_env.add_member(name="王XX")
    good = await bot_env.invite(member_id=wang)
    guesser = bot_env.stranger("en")
    for guess in ("AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB", "not-a-code", "<script>", "CCCCCCCCCCCCCCCC"):
        [reply] = await bot_env.say(guesser, f"/start {guess}")
        assert reply.text == EN.gettext("This invite code is not valid")
        assert "script" not in reply.text

    # The sixth try is refused even with a real code, and the code stays unused.
    [throttled] = await bot_env.say(guesser, f"/start {good}")
    assert throttled.text == EN.gettext(
        "Too many wrong invite codes: please wait a quarter of an hour and try again")
    assert await bot_env.member_id_of(guesser) is None

    # A quarter of an hour later the real code works.
    bot_env.clock.advance(minutes=16)
    [welcome] = await bot_env.say(guesser, f"/start {good}")
    assert "王XX" in welcome.text
    assert await bot_env.member_id_of(guesser) == wang


async def test_start_without_an_invite(bot_env):
    stranger = bot_env.stranger("zh-hans")
    [hint] = await bot_env.say(stranger, "/start")
    assert hint.text == ZH.gettext(INVITE_HINT)
    assert hint.inline_buttons() == []

    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang)
    [menu] = await bot_env.say(member, "/start")
    assert "m:menu:returned" in callback_data(menu) and "c:me" in callback_data(menu)


async def test_a_role_invite_makes_a_secretary_with_the_officer_menu(bot_env):
    secretary = await bot_env.add_secretary(name="李XX")
    welcome = bot_env.last(secretary)
    assert "s:menu" in callback_data(welcome)
    assert "m:menu:outflow" in callback_data(welcome)          # the secretary is a member too

    committee = await bot_env.add_committee_user(language_code="en")
    menu = bot_env.last(committee)
    assert callback_data(menu) == ["s:menu"]                     # no member record: officer work only
    assert "街道党工委" in menu.text


async def test_help_depends_on_who_asks(bot_env):
    stranger = bot_env.stranger("en")
    [hint] = await bot_env.say(stranger, "/help")
    assert hint.text == INVITE_HINT

    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    [help_text] = await bot_env.say(member, "/help")
    assert "/me" in help_text.text and "/card" in help_text.text and "/cancel" in help_text.text
    assert EN.gettext("For branch officers") not in help_text.text


async def test_help_lists_officer_commands_for_officers_only(bot_env, monkeypatch):
    monkeypatch.setattr(commands_menu, "_COMMANDS", list(commands_menu._COMMANDS))
    commands_menu.add_command("testofficer", N_("Branch work"), audience=commands_menu.OFFICER)
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    [help_text] = await bot_env.say(secretary, "/help")
    assert "/testofficer" in help_text.text and "For branch officers" in help_text.text

    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    [member_help] = await bot_env.say(member, "/help")
    assert "/testofficer" not in member_help.text


async def test_lang_switches_to_english_and_back(bot_env):
    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="zh-hans")

    [picker] = await bot_env.say(member, "/lang")
    assert picker.text == ZH.gettext("Choose the language:")
    assert sorted(callback_data(picker)) == ["c:lang:en", "c:lang:zh_CN"]
    [done] = await bot_env.tap(member, "English")
    assert done.text == "Language set: English."
    row = await bot_env.db.fetchone("SELECT locale FROM users WHERE tg_id = ?", (member.id,))
    assert row[0] == "en"

    [menu] = await bot_env.say(member, "/start")
    assert ReportKind.OUTFLOW.label(EN) in menu.button_texts()   # the override beats Telegram's zh-hans

    await bot_env.say(member, "/lang")
    [back] = await bot_env.tap(member, "c:lang:zh_CN")
    assert back.text == ZH.gettext("Language set: {language}.", language="中文")


async def test_telegram_language_codes_choose_the_language(bot_env):
    expected = {"zh-hans": ZH, "zh-hant": ZH, "zh": ZH, "en-us": EN, "en": EN, "fr": ZH, None: ZH}
    for code, tr in expected.items():
        user = bot_env.stranger(code)
        [hint] = await bot_env.say(user, "/start")
        assert hint.text == tr.gettext(INVITE_HINT), code
    row = await bot_env.db.fetchone("SELECT COUNT(*) FROM users WHERE lang_code = 'en-us'")
    assert row[0] == 1   # remembered for the reminders


async def test_cancel_and_stray_input_outside_a_conversation(bot_env):
    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")

    [nothing] = await bot_env.say(member, "/cancel")
    assert nothing.text == "Nothing to cancel."
    [unknown] = await bot_env.say(member, "/frobnicate")
    assert unknown.text == "I do not know that command. /help lists what I can do."
    [menu] = await bot_env.say(member, "hello?")
    assert menu.text == "Please choose from the menu." and "c:me" in callback_data(menu)


async def test_command_menus_per_language_and_role(bot_env):
    emu = bot_env.emu
    zh = {c["command"]: c["description"] for c in emu.commands("default", "zh")}
    en = {c["command"]: c["description"] for c in emu.commands("default", "en")}
    default = {c["command"]: c["description"] for c in emu.commands("default", "")}
    assert {"start", "me", "card", "lang", "help", "cancel"} <= set(zh)
    assert zh["me"] == ZH.gettext("My record as the branch holds it") != en["me"]
    assert en["me"] == "My record as the branch holds it"
    assert default == zh                                        # the deployment's language: zh_CN

    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    officer_menu = emu.commands({"type": "chat", "chat_id": secretary.id}, "")
    assert [c["command"] for c in officer_menu][:6] == ["start", "me", "card", "lang", "help", "cancel"]
    assert officer_menu[1]["description"] == "My record as the branch holds it"   # in the secretary's language
    assert emu.commands({"type": "chat", "chat_id": member.id}, "") == []
    assert emu.visible_commands(member) == emu.commands("default", "en")

    # Switching language re-publishes the officer's own menu.
    await bot_env.say(secretary, "/lang")
    await bot_env.tap(secretary, "c:lang:zh_CN")
    await bot_env.settle()
    officer_menu = emu.commands({"type": "chat", "chat_id": secretary.id}, "")
    assert officer_menu[1]["description"] == ZH.gettext("My record as the branch holds it")


async def test_writing_again_clears_the_blocked_mark(bot_env):
    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    from bot.storage import users as user_repo

    async with bot_env.db.write("e2e") as tx:
        await user_repo.set_blocked(tx, member.id, True)     # what the sender records on a 403
    await bot_env.say(member, "/start")
    row = await bot_env.db.fetchone("SELECT blocked_at FROM users WHERE tg_id = ?", (member.id,))
    assert row[0] is None


async def test_a_role_revoked_or_granted_from_the_cli_reaches_the_menu(bot_env):
    """`branchbot grant` runs in another process and cannot reach Telegram: the chat menu follows at the
    user's next message, or at the next start for someone who writes nothing."""
    from bot.domain.codes import Role
    from bot.services import admin as admin_svc
    from bot.services.context import OPERATOR, Services

    emu = bot_env.emu
    svc = Services(db=bot_env.db, clock=bot_env.clock)
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")
    scope = {"type": "chat", "chat_id": secretary.id}
    assert "start" in [c["command"] for c in emu.commands(scope, "")]

    await admin_svc.set_role(svc, OPERATOR, secretary.id, Role.SECRETARY, bot_env.branch_id, revoke=True)
    assert emu.commands(scope, "") != []                        # nothing told Telegram yet
    [refused] = await bot_env.say(secretary, "/members")
    assert emu.commands(scope, "") == []                        # the next message took the menu away
    assert emu.visible_commands(secretary) == emu.commands("default", "en")
    assert "/members" not in refused.text

    await admin_svc.set_role(svc, OPERATOR, secretary.id, Role.SECRETARY, bot_env.branch_id)
    await bot_env.say(secretary, "/start")
    assert [c["command"] for c in emu.commands(scope, "")][:2] == ["start", "me"]

    # Revoked while nobody writes: the next start removes it.
    await admin_svc.set_role(svc, OPERATOR, secretary.id, Role.SECRETARY, bot_env.branch_id, revoke=True)
    await bot_env.restart()
    assert emu.commands(scope, "") == []
    row = await bot_env.db.fetchone("SELECT menu FROM users WHERE tg_id = ?", (secretary.id,))
    assert row[0] is None
    calls = emu.call_count("deleteMyCommands")
    await bot_env.say(secretary, "/start")
    assert emu.call_count("deleteMyCommands") == calls          # on record: not published again
