"""Conversation state and user data survive a restart: SqlitePersistence (JSON in SQLite)."""

from __future__ import annotations

from datetime import date

import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.handlers import add_feature_handler
from bot.handlers.common import edit_or_reply, private_only, reply, with_ctx
from bot.handlers.markup import back_cancel_row, confirm_keyboard, esc
from bot.handlers.conversations import conversation, draft
from bot.handlers.persistence import PersistenceError, SqlitePersistence
from tests.e2e.conftest import bot_env  # noqa: F401  (the e2e fixture, used by the restart tests below)


# ---- the persistence class on its own ---------------------------------------------------------------

async def test_round_trip_through_a_new_instance(db):
    first = SqlitePersistence(db)
    await first.update_user_data(700000001, {"search": {"member_id": 7, "on": "2026-11-20", "signers": [1, 2]}})
    await first.update_chat_data(700000001, {"menu_message": 12})
    await first.update_bot_data({"version": 1})
    await first.update_conversation("search", (700000001, 700000001), 3)
    await first.update_conversation("report", (700000002, 700000002), "ask_date")
    await first.flush()

    second = SqlitePersistence(db)
    assert await second.get_user_data() == {700000001: {"search": {"member_id": 7, "on": "2026-11-20",
                                                                   "signers": [1, 2]}}}
    assert await second.get_chat_data() == {700000001: {"menu_message": 12}}
    assert await second.get_bot_data() == {"version": 1}
    assert await second.get_conversations("search") == {(700000001, 700000001): 3}
    assert await second.get_conversations("report") == {(700000002, 700000002): "ask_date"}
    assert await second.get_conversations("nothing") == {}
    assert await second.get_callback_data() is None


async def test_ending_a_conversation_and_emptying_data_delete_the_rows(db):
    p = SqlitePersistence(db)
    await p.update_conversation("search", (1, 1), 2)
    await p.update_user_data(1, {"search": {"x": 1}})
    await p.update_conversation("search", (1, 1), None)
    await p.update_user_data(1, {})
    await p.drop_chat_data(5)
    rows = await db.fetchall("SELECT kind, key FROM persistence")
    assert rows == []


async def test_values_that_are_not_json_are_refused_loudly(db):
    errors: list[BaseException] = []
    p = SqlitePersistence(db, on_error=errors.append)
    await p.update_user_data(1, {"left_on": date(2026, 3, 1)})      # a date object, not an ISO string
    assert len(errors) == 1 and isinstance(errors[0], PersistenceError)
    assert "user_data" in str(errors[0])
    assert await db.fetchall("SELECT * FROM persistence") == []


async def test_unchanged_values_are_not_rewritten_and_nothing_is_audited(db):
    p = SqlitePersistence(db)
    writes = 0
    original = db.write

    def counting(actor):
        nonlocal writes
        writes += 1
        return original(actor)

    db.write = counting  # type: ignore[method-assign]
    try:
        for _ in range(3):
            await p.update_user_data(1, {"a": 1})
        await p.update_user_data(1, {"a": 2})
    finally:
        db.write = original  # type: ignore[method-assign]
    assert writes == 2
    assert (await db.fetchone("SELECT COUNT(*) FROM audit_log"))[0] == 0


async def test_persistence_survives_a_closed_database_without_raising(db):
    errors: list[BaseException] = []
    p = SqlitePersistence(db, on_error=errors.append)
    await db.close()
    await p.update_user_data(1, {"a": 1})
    assert errors, "a lost write must be reported"
    await db.open()


# ---- a conversation across restarts, end to end ------------------------------------------------------

ASK_NAME, CONFIRM = 1, 2


def probe_conversation(timeout: float | None = 900) -> ConversationHandler:
    """A two-step conversation built with the shared kit, like the member and secretary flows."""

    @private_only
    async def begin(update, context, ctx):
        draft(context, "probe")["started"] = ctx.clock.today().isoformat()
        await reply(update, ctx, "Whom did you contact?", [back_cancel_row(ctx.tr, None)])
        return ASK_NAME

    @with_ctx
    async def got_name(update, context, ctx):
        draft(context, "probe")["name"] = update.message.text
        await reply(update, ctx, f"Save “{esc(update.message.text)}”?", confirm_keyboard(ctx.tr, "c:probe:yes"))
        return CONFIRM

    @with_ctx
    async def confirmed(update, context, ctx):
        saved = context.user_data.pop("probe")
        await edit_or_reply(update, ctx, f"Saved {esc(saved['name'])} (started {saved['started']}).")
        return ConversationHandler.END

    return conversation("probe", [CommandHandler("probe", begin)], {
        ASK_NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_name)],
        CONFIRM: [CallbackQueryHandler(confirmed, pattern="^c:probe:yes$")],
    }, timeout=timeout)


async def conversation_rows(env) -> list:
    return [tuple(r) for r in await env.db.fetchall(
        "SELECT key, value FROM persistence WHERE kind = 'conversation:probe'")]


async def test_a_restart_mid_conversation_resumes_it(bot_env):  # noqa: F811
    bot_env.on_build(lambda app: add_feature_handler(app, probe_conversation()))
    secretary = await bot_env.add_secretary(name="李XX", language_code="en")

    await bot_env.say(secretary, "/probe")
    await bot_env.restart()
    assert await conversation_rows(bot_env) == [(f"[{secretary.id},{secretary.id}]", "1")]

    [question] = await bot_env.say(secretary, "派出所 <户籍科> & 王XX的老乡")
    assert question.text == "Save “派出所 <户籍科> & 王XX的老乡”?"
    await bot_env.restart()

    [saved] = await bot_env.tap(secretary, "✅ Confirm")
    assert saved.text == "Saved 派出所 <户籍科> & 王XX的老乡 (started 2026-11-23)."
    await bot_env.restart()
    assert await conversation_rows(bot_env) == []
    assert await bot_env.db.fetchall("SELECT * FROM persistence WHERE kind = 'user_data'") == []


@pytest.mark.parametrize("how", ["/cancel", "button"])
async def test_cancel_ends_the_conversation_and_drops_the_draft(bot_env, how):  # noqa: F811
    bot_env.on_build(lambda app: add_feature_handler(app, probe_conversation()))
    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    await bot_env.say(member, "/probe")
    if how == "/cancel":
        [done] = await bot_env.say(member, "/cancel")
    else:
        [done] = await bot_env.tap(member, "✖ Cancel")
    assert done.text == "Cancelled. Nothing was saved."
    [menu] = await bot_env.say(member, "hello")                  # no longer in the conversation
    assert menu.text == "Please choose from the menu."
    await bot_env.restart()
    assert await conversation_rows(bot_env) == []


async def test_a_forgotten_conversation_times_out_politely(bot_env):  # noqa: F811
    bot_env.on_build(lambda app: add_feature_handler(app, probe_conversation(timeout=0.5)))
    wang = await bot_env.add_member(name="王XX")
    member = await bot_env.bind_member(wang, language_code="en")
    await bot_env.say(member, "/probe")
    [note] = await bot_env.emu.wait_for_bot(member, timeout=5)
    assert note.text.startswith("This conversation was closed after 1 minute without an answer.")
    [menu] = await bot_env.say(member, "王XX")
    assert menu.text == "Please choose from the menu."


async def test_the_wizard_migration_drops_the_two_old_conversations_and_their_drafts(db, tmp_path, clock):
    """0011: an upgraded database keeps no state of the engines the wizard replaced, and nothing else is lost."""
    from bot.storage import Database
    from tests.conftest import AUDIT_KEY

    rows = [("conversation:member_reports", "[1,1]", '"out.destination"'),
            ("conversation:secretary", "[2,2]", '"ss.on"'),
            ("conversation:wizard", "[3,3]", '"mov.residence"'),
            ("user_data", "1", '{"m_report":{"flow":"out"}}'),
            ("user_data", "2", '{"s_draft":{"flow":"ss"},"s_find":"王"}'),
            ("user_data", "3", '{"wizard":{"flow":"mov"}}')]
    async with db.write("test") as tx:
        await tx.executemany("INSERT INTO persistence (kind, key, value) VALUES (?, ?, ?)", rows)
        await tx.execute("DELETE FROM schema_migrations WHERE version = 11")   # as before the upgrade
    await db.close()
    upgraded = Database(tmp_path / "branch.db", AUDIT_KEY, clock)
    await upgraded.open()
    try:
        left = [tuple(r) for r in await upgraded.fetchall("SELECT kind, key, value FROM persistence ORDER BY kind, key")]
    finally:
        await upgraded.close()
        await db.open()
    assert left == [("conversation:wizard", "[3,3]", '"mov.residence"'),
                    ("user_data", "2", '{"s_find":"王"}'),
                    ("user_data", "3", '{"wizard":{"flow":"mov"}}')]
