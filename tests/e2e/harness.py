"""End-to-end harness: the real Application polling the Bot API emulator over HTTP, on a real
SQLite database, with a fictional organization tree.

    async def test_something(bot_env):
        wang = await bot_env.add_member(name="王XX")
        user = await bot_env.bind_member(wang)              # a real invite, redeemed with /start <code>
        [reply] = await bot_env.say(user, "/me")
        assert "王XX" in reply.text
        await bot_env.tap(user, "报平安")                      # by label, or by exact callback data

At teardown the test FAILS if the bot raised an unhandled exception (error handler, jobs,
persistence), if the emulator answered any ok=false (4xx) the test did not declare with
`expect_api_errors(...)`, or if a callback query was never answered (or answered too late).
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from bot.app import app_state, build_application, shutdown, startup
from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.codes import OrgCategory, OrgLevel, Role
from bot.domain.idcard import check_digit
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.emulator import BotMessage, Emulator, FakeChat, FakeUser
from bot.reminders import reminders_of
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo
from bot.telegram_retry import DEFAULT_POLICY, RetryPolicy

AUDIT_KEY = b"e2e-audit-key-not-secret"
TOKEN = "5550001234:E2E-test-token-not-secret"
BOT_USERNAME = "branchbot_test_bot"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WAIT = 5.0


def fictional_id_number(birth: date, sequence: int, region: str = "110105") -> str:
    """A valid (check digit) but fictional resident ID number."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)


class BotEnv:
    """One test's world: emulator, database, clock, the running Application, the org tree."""

    def __init__(self, tmp_path: Path, *, reminders: bool = False, callback_answer_window: float = 3.0,
                 retry_policy: RetryPolicy = DEFAULT_POLICY):
        self.tmp_path = tmp_path
        self.reminders = reminders
        self.retry_policy = retry_policy
        self.clock = FrozenClock(NOW)
        self.settings = Settings(TELEGRAM_BOT_TOKEN=TOKEN, BRANCHBOT_DATABASE=tmp_path / "e2e.db",
                                 BRANCHBOT_TIMEZONE="Asia/Shanghai", BRANCHBOT_LANGUAGE="zh_CN",
                                 BRANCHBOT_BOT_USERNAME=BOT_USERNAME)
        self.emu = Emulator(token=TOKEN, bot_username=BOT_USERNAME, callback_answer_window=callback_answer_window)
        self.db = Database(tmp_path / "e2e.db", AUDIT_KEY, self.clock)
        self.app: Application = None  # type: ignore[assignment]
        self.apps: list[Application] = []   # every Application started (restarts), for the error check
        self.branch_id = self.other_branch_id = self.committee_id = 0
        self.expected_api_errors: list[str | int] = []
        self.allowed_bot_errors: tuple[type[BaseException], ...] = ()
        self._seq = itertools.count(1)
        self._builders: list[Callable[[Application], None]] = []

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> "BotEnv":
        await self.emu.start()
        await self.db.open()
        async with self.db.write("e2e") as tx:
            self.committee_id = await org_repo.add(tx, Organization(
                name="街道党工委", level=OrgLevel.PRIMARY_COMMITTEE, category=OrgCategory.COMMUNITY))
            self.branch_id = await org_repo.add(tx, Organization(
                name="创意园党支部", level=OrgLevel.BRANCH, category=OrgCategory.PRIVATE, parent_id=self.committee_id,
                card_note="支部微信群：创意园党员之家"))
            self.other_branch_id = await org_repo.add(tx, Organization(
                name="另一支部", level=OrgLevel.BRANCH, category=OrgCategory.COMMUNITY, parent_id=self.committee_id))
        await self._start_app()
        return self

    async def _start_app(self) -> None:
        app = build_application(self.settings, self.db, self.clock, token=TOKEN, base_url=self.emu.base_url,
                                base_file_url=self.emu.base_file_url, rate_limiter=False,
                                persistence_interval=0.5, retry_policy=self.retry_policy)
        for add_handlers in self._builders:
            add_handlers(app)
        await app.initialize()
        await startup(app, reminders=self.reminders)
        if self.reminders:
            await self._first_tick(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        self.app = app
        self.apps.append(app)

    @staticmethod
    async def _first_tick(app: Application, timeout: float = WAIT) -> None:
        """Wait for the reminders' catch-up tick (it runs at start) to finish: a test sets up its
        members after the start, and a tick still running then would scan and digest half of them,
        or not, depending on the timing."""
        reminders = reminders_of(app)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while reminders is not None and reminders.ticks < 1 and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def _stop_app(self) -> None:
        app = self.app
        if app is None:
            return
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if self.reminders:
            await shutdown(app)     # as run_polling's post_stop: before the bot's HTTP client closes
        await app.shutdown()        # writes and flushes the persistence
        self.app = None  # type: ignore[assignment]

    def on_build(self, add_handlers: Callable[[Application], None]) -> None:
        """Extra handlers for this test: added to the running Application now and to every one
        `restart()` builds. Use bot.handlers.add_feature_handler to place them before the catch-alls."""
        self._builders.append(add_handlers)
        if self.app is not None:
            with warnings.catch_warnings():  # "persistent ConversationHandler added after initialize": on purpose
                warnings.simplefilter("ignore", PTBUserWarning)
                add_handlers(self.app)

    async def restart(self) -> None:
        """Stop the Application (flushing persistence) and start a fresh one on the same database."""
        await self.settle()
        await self._stop_app()
        await self._start_app()

    async def close(self) -> None:
        try:
            await self.settle()
        finally:
            try:
                await self._stop_app()
            finally:
                await self.emu.stop()
                await self.db.close()

    async def settle(self, timeout: float = WAIT) -> None:
        """Wait until the emulator has no undelivered update and the bot is processing none."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while loop.time() < deadline and quiet < 3:
            busy = bool(self.emu.updates.pending)
            if self.app is not None:
                busy = busy or self.app.update_processor.current_concurrent_updates > 0 \
                    or not self.app.update_queue.empty()
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.02)

    # ---- checks ----------------------------------------------------------------------------------

    def expect_api_errors(self, *patterns: str | int) -> None:
        """Declare ok=false answers this test provokes on purpose (a substring of the description, or a code)."""
        self.expected_api_errors.extend(patterns)

    def allow_bot_errors(self, *types: type[BaseException]) -> None:
        """Declare exception types the bot may raise in this test (e.g. an injected failing handler)."""
        self.allowed_bot_errors = (*self.allowed_bot_errors, *types)

    @property
    def bot_errors(self) -> list[BaseException]:
        return [e for app in self.apps for e in app_state(app).errors]

    def problems(self) -> list[str]:
        out = []
        for exc in self.bot_errors:
            if not isinstance(exc, self.allowed_bot_errors):
                out.append(f"unhandled exception in the bot: {type(exc).__name__}: {exc}")
        for err in self.emu.errors:
            if not any((p == err.error_code) if isinstance(p, int) else (str(p).lower() in err.description.lower())
                       for p in self.expected_api_errors):
                out.append(f"the emulator refused a call: {err}")
        for query in self.emu.callback_queries:
            if not query.answered:
                out.append(f"callback query {query.data!r} was never answered"
                           + (" in time" if query.answered_late else ""))
        return out

    # ---- the register ----------------------------------------------------------------------------

    async def add_member(self, name: str = "王XX", branch_id: int | None = None, *,
                         last_contact_on: date | None = None, **fields: Any) -> int:
        """A fictional member (valid ID number and mobile generated unless given); returns the member id."""
        n = next(self._seq)
        if "id_number" not in fields:
            birth = fields.get("birth_date") or date(1985, 1, 1) + timedelta(days=37 * n)
            fields.setdefault("birth_date", birth)
            fields["id_number"] = fictional_id_number(birth, n)
        fields.setdefault("mobile", f"139{n:08d}")
        member = Member(branch_id=branch_id or self.branch_id, name=name, **fields)
        async with self.db.write("e2e") as tx:
            return await member_repo.insert(tx, member, last_contact_on=last_contact_on)

    async def invite(self, *, member_id: int | None = None, role: Role | None = None, org_id: int | None = None,
                     days: int = 7) -> str:
        async with self.db.write("e2e") as tx:
            return await user_repo.create_invite(tx, self.clock.now() + timedelta(days=days), member_id=member_id,
                                                 role=role, org_id=org_id)

    def user(self, first_name: str = "Test", language_code: str | None = "zh-hans") -> FakeUser:
        return self.emu.add_user(first_name=first_name, language_code=language_code)

    def stranger(self, language_code: str | None = "en", first_name: str = "Stranger") -> FakeUser:
        return self.emu.add_user(first_name=first_name, language_code=language_code)

    async def _redeem(self, user: FakeUser, code: str) -> list[BotMessage]:
        return await self.say(user, f"/start {code}")

    async def bind_member(self, member_id: int, language_code: str | None = "zh-hans",
                          first_name: str | None = None) -> FakeUser:
        """A Telegram user bound to the member through a real invite (/start <code> over the emulator)."""
        row = await self.db.fetchone("SELECT name FROM members WHERE id = ?", (member_id,))
        user = self.user(first_name or (row[0] if row else "Member"), language_code)
        await self._redeem(user, await self.invite(member_id=member_id))
        return user

    async def add_secretary(self, name: str = "李XX", branch_id: int | None = None,
                            language_code: str | None = "zh-hans", role: Role = Role.SECRETARY,
                            **fields: Any) -> FakeUser:
        """A member of the branch holding the secretary role on it, bound through one invite."""
        branch = branch_id or self.branch_id
        member_id = await self.add_member(name=name, branch_id=branch, **fields)
        user = self.user(name, language_code)
        await self._redeem(user, await self.invite(member_id=member_id, role=role, org_id=branch))
        return user

    async def add_committee_user(self, language_code: str | None = "zh-hans", first_name: str = "张XX") -> FakeUser:
        """A user holding the committee role on the 街道党工委 (no member record)."""
        user = self.user(first_name, language_code)
        await self._redeem(user, await self.invite(role=Role.COMMITTEE, org_id=self.committee_id))
        return user

    async def member_id_of(self, user: FakeUser) -> int | None:
        row = await self.db.fetchone("SELECT member_id FROM users WHERE tg_id = ?", (user.id,))
        return row[0] if row else None

    # ---- talking ---------------------------------------------------------------------------------

    async def _collect(self, chat: FakeUser | FakeChat | int, expect: int, timeout: float) -> list[BotMessage]:
        if expect > 0:
            return await self.emu.wait_for_bot(chat, count=expect, timeout=timeout)
        await self.settle(timeout)
        chat_id = chat if isinstance(chat, int) else chat.id
        extra = self.emu.outbox.pending(chat_id)
        assert not extra, f"expected no bot message, got {[m.body for m in extra]}"
        return []

    async def say(self, user: FakeUser, text: str, expect: int = 1, *, chat: FakeChat | None = None,
                  timeout: float = WAIT) -> list[BotMessage]:
        """Send text as `user` (private chat unless `chat`) and wait for `expect` bot sends/edits there."""
        await self.emu.send_text(user, text, chat)
        return await self._collect(chat or user, expect, timeout)

    async def tap(self, user: FakeUser, label_or_data: str, expect: int = 1, *,
                  message: BotMessage | None = None, timeout: float = WAIT) -> list[BotMessage]:
        """Press a button of the last bot message in the user's chat: exact callback data, exact
        label, or the only label containing the text."""
        target = message or self.last(user)
        buttons = target.inline_buttons()
        data = next((b["callback_data"] for b in buttons if b.get("callback_data") == label_or_data), None)
        if data is None:
            data = target.button_data(label_or_data)
        await self.emu.press(user, target, data)
        return await self._collect(user, expect, timeout)

    async def press_data(self, user: FakeUser, data: str, expect: int = 1, *, message: BotMessage | None = None,
                         timeout: float = WAIT) -> list[BotMessage]:
        """A forged press: any callback data on a bot message, as a hostile client could send it."""
        target = message or self.last(user)
        stored = self.emu.state.get_message(target.chat_id, target.message_id)
        assert stored is not None
        saved = stored.reply_markup
        stored.reply_markup = {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}
        try:
            await self.emu.press(user, target, data)
        finally:
            stored.reply_markup = saved
        return await self._collect(user, expect, timeout)

    async def share_contact(self, user: FakeUser, phone: str, expect: int = 1, *, own: bool = True,
                            timeout: float = WAIT) -> list[BotMessage]:
        await self.emu.share_contact(user, phone_number=phone, own=own)
        return await self._collect(user, expect, timeout)

    def last(self, user: FakeUser | FakeChat) -> BotMessage:
        """The bot's last message in that chat (as it is now, edits applied)."""
        return self.emu.last_message_to(user)

    def group(self, title: str, *members: FakeUser) -> FakeChat:
        return self.emu.add_group(title, list(members))
