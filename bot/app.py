"""The python-telegram-bot Application: built once here, with everything the handlers rely on.

- `build_application(...)` wires the token and Bot API URLs, Defaults (branch timezone, HTML parse
  mode, no link previews), our SQLite persistence, PTB's AIORateLimiter, an update processor that
  keeps one user's updates in order while different users run concurrently, aiohttp with
  timeouts (bot.telegram_http), the error handler and every handler module (`bot.handlers.register_all`).
- Services, Settings and the Clock live on `app_state(app)` (a plain attribute of the
  Application, never in bot_data, which is persisted).
- `startup(app)` / `shutdown(app)` are the post_init / post_stop hooks (commands menu,
  reminders); the e2e harness calls `startup(app, reminders=False)` itself.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes, Defaults

from bot import reminders as reminder_jobs
from bot.clock import Clock
from bot.config import Settings
from bot.handlers import callback_answers, commands_menu, register_all
from bot.handlers.common import translator_for_update
from bot.handlers.persistence import SqlitePersistence
from bot.runtime import AppState, BranchApplication, app_state
from bot.services.context import Services
from bot.storage import applied_updates
from bot.storage.applied_updates import ReplayGuard
from bot.storage.db import Database
from bot.telegram_retry import DEFAULT_POLICY, RetryingRequest, RetryPolicy
from bot.update_gate import DEFAULT_PATIENCE, PatientGate

__all__ = ["AppState", "app_state", "build_application", "configure_logging", "shutdown", "startup"]

log = logging.getLogger("bot.app")

# Loggers that must never log below WARNING: httpx logs the token-bearing URL at INFO (PTB's own
# HTTPXRequest, still installed), aiohttp's access log the request line with it, PTB whole updates
# (names, phone numbers, texts) at DEBUG.
QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp", "telegram", "apscheduler", "aiosqlite")

TELEGRAM_FILE_URL = "https://api.telegram.org/file/bot"


def quiet_libraries() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: int = logging.INFO) -> None:
    """Process-wide logging for `branchbot run`: our loggers at `level`, the libraries at WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()


class PerUserOrderedProcessor(BaseUpdateProcessor):
    """Updates of one user are processed in arrival order; different users concurrently, as many at once as
    the PatientGate admits (one while each is quick, up to `max_concurrent_updates` when one waits: see
    bot.update_gate).

    PTB starts one task per update in arrival order; each takes its user's lock, and asyncio
    locks are FIFO, so a user's second tap waits for the first to finish. Locks exist only while
    a user has updates in flight (reference counted), so the table stays as small as the load.

    Each update is handled inside `applied_updates.handling(update_id)`, and one that was applied
    before a crash and is delivered again is not applied twice (bot.storage.applied_updates).
    """

    def __init__(self, max_concurrent_updates: int = 256, guard: ReplayGuard | None = None,
                 clock: Clock | None = None, patience: float = DEFAULT_PATIENCE):
        super().__init__(max_concurrent_updates)
        self.gate = PatientGate(max_concurrent_updates, patience)
        self._locks: dict[Any, list[Any]] = {}  # key -> [Lock, users in flight]
        self.guard, self.clock = guard, clock
        self.replays_skipped = 0

    @staticmethod
    def _key(update: object) -> Any:
        if isinstance(update, Update):
            if update.effective_user is not None:
                return ("user", update.effective_user.id)
            if update.effective_chat is not None:
                return ("chat", update.effective_chat.id)
        return None

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        with applied_updates.handling(update_id), callback_answers.per_update():
            await self._in_order(update, coroutine)

    async def _in_order(self, update: object, coroutine: Any) -> None:
        key = self._key(update)
        if key is None:
            await self._admitted(update, coroutine)
            return
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:   # the user's turn first, then a place: a queued update holds no place
                await self._admitted(update, coroutine)
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)

    async def _admitted(self, update: object, coroutine: Any) -> None:
        token = await self.gate.acquire()
        try:
            await self._unless_applied(update, coroutine)
        finally:
            self.gate.release(token)

    def in_flight(self, user_id: int) -> bool:
        """Whether an update of this user is being handled or waits its turn (tests wait on this)."""
        return ("user", user_id) in self._locks

    async def _unless_applied(self, update: object, coroutine: Any) -> None:
        if self.guard is not None and isinstance(update, Update) and \
                await self.guard.already_applied(update.update_id):
            coroutine.close()   # never awaited: PTB's handling of this update does not run
            self.replays_skipped += 1
            log.info("update %s was applied before the restart: not applied again", update.update_id)
            # the button's spinner stops (nothing else to say: the change is in the register)
            await callback_answers.ensure_answered(update)
            return
        try:
            await coroutine
        finally:
            # every path, errors included: a press nobody answered still stops its spinner
            await callback_answers.ensure_answered(update)

    async def initialize(self) -> None:
        if self.guard is not None and self.clock is not None:
            await self.guard.load(self.clock.now())

    async def shutdown(self) -> None:
        return None


def _where(exc: BaseException) -> str:
    """Code locations of the traceback (file:line in function), without the exception's message."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in reversed(frames)) or "?"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception type and update id only, record it, and apologise to the user in private."""
    exc = context.error
    if exc is None:
        return
    state = getattr(context.application, "branch", None)
    if state is not None:
        state.errors.append(exc)
    update_id = update.update_id if isinstance(update, Update) else None
    # No str(exc): messages of DomainErrors and BadRequests may quote what the user typed.
    log.error("unhandled %s.%s in update %s at %s", type(exc).__module__, type(exc).__name__, update_id,
              _where(exc))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        tr = await translator_for_update(update, context)
        if update.callback_query is not None:
            try:
                await callback_answers.answer_once(update.callback_query)   # unless the handler did
            except Exception:  # too late: the apology below still goes out
                pass
        await context.bot.send_message(
            update.effective_chat.id,
            tr.gettext("Sorry, something went wrong on our side. Please try again, or send /cancel to start over."))
    except Exception as second:  # the apology itself failed (Telegram down?): log, never loop
        log.error("could not send the apology for update %s: %s", update_id, type(second).__name__)


MENU_RETRY_SECONDS = (30.0, 120.0, 600.0)   # re-publishing the menus in the background after a failed start


async def startup(app: Application, *, reminders: bool = True) -> None:
    """post_init: publish the command menus, then start the reminders.

    A Bot API that fails here never stops the bot: each call is retried by RetryingRequest, and menus
    still unpublished after that are published again in the background (the bot serves meanwhile:
    the menus are a convenience nothing else depends on)."""
    if not await _publish_menus(app, commands_menu.publish_all):
        app.create_task(_publish_menus_later(app, commands_menu.publish_all), name="menus-retry")
    if reminders:
        await reminder_jobs.start_reminders(app)


async def _publish_menus(app: Application, publish: Any) -> bool:
    try:
        await publish(app)
    except TelegramError as exc:
        log.warning("the command menus could not be published (%s): the bot serves without them for now",
                    type(exc).__name__)
        return False
    return True


async def _publish_menus_later(app: Application, publish: Any) -> None:
    for delay in MENU_RETRY_SECONDS:
        await asyncio.sleep(delay)
        if await _publish_menus(app, publish):
            log.info("the command menus are published")
            return


async def shutdown(app: Application) -> None:
    """post_stop: stop the reminders if they were started (after the updates stop, while the bot's
    HTTP client is still open for a send in flight)."""
    await reminder_jobs.stop_reminders(app)


def file_url_for(base_url: str) -> str:
    """The file download URL that goes with a Bot API URL (…/bot → …/file/bot)."""
    if base_url.rstrip("/").endswith("/bot"):
        return base_url.rstrip("/")[: -len("bot")] + "file/bot"
    return TELEGRAM_FILE_URL


def build_application(settings: Settings, db: Database, clock: Clock, *, token: str,
                      base_url: str | None = None, base_file_url: str | None = None,
                      rate_limiter: bool = True, persistence_interval: float = 1.0,
                      max_concurrent_updates: int | None = None,
                      retry_policy: RetryPolicy = DEFAULT_POLICY) -> Application:
    """The bot, ready for `initialize()` / `run_polling()`. `db` may still be unopened (it must be
    open before `initialize()`, which loads the persisted conversations). Every Bot API call goes
    through `RetryingRequest` (bot.telegram_retry): a 502 or a refused connection is retried safely."""
    quiet_libraries()
    state = AppState(settings=settings, services=Services(db=db, clock=clock))
    persistence = SqlitePersistence(db, update_interval=persistence_interval, on_error=state.errors.append)
    state.persistence = persistence
    api_url = base_url or settings.telegram_api_base_url
    in_flight = max_concurrent_updates or settings.concurrent_updates
    builder = (
        ApplicationBuilder()
        .application_class(BranchApplication)
        .token(token)
        .base_url(api_url)
        .base_file_url(base_file_url or settings.telegram_api_file_url or file_url_for(api_url))
        .defaults(Defaults(tzinfo=ZoneInfo(settings.timezone), parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .persistence(persistence)
        # 8 updates in flight (Little's law): Telegram takes ~30 messages/s from a bot and a round
        # trip to it takes ~0.25 s, so 30 x 0.25 ≈ 8 in flight already reach Telegram's limit; more
        # would only queue (bench/updates_bench.py). A slower link can raise it: BRANCHBOT_CONCURRENT_UPDATES.
        # While updates are quick they run one at a time (bot.update_gate: BRANCHBOT_UPDATE_PATIENCE).
        .concurrent_updates(PerUserOrderedProcessor(in_flight, ReplayGuard(db), clock, settings.update_patience))
        # the updates in flight plus the outbox sender and the scheduler's own calls
        .request(RetryingRequest(connection_pool_size=in_flight + 8, connect_timeout=10.0, read_timeout=15.0,
                                 write_timeout=30.0, pool_timeout=10.0, policy=retry_policy))
        .get_updates_request(RetryingRequest(connection_pool_size=1, connect_timeout=10.0, read_timeout=15.0,
                                             pool_timeout=10.0, policy=retry_policy))
        .post_init(startup)
        .post_stop(shutdown)
    )
    if rate_limiter:
        # Telegram: ~30 messages/s overall and 20/min per group. AIORateLimiter has no private-chat
        # limiter; a reply and a menu in one second are fine there, and a 429 is retried.
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=30, overall_time_period=1,
                                                      group_max_rate=20, group_time_period=60, max_retries=3))
    app = builder.build()
    app.branch = state  # type: ignore[attr-defined]
    app.add_error_handler(on_error)
    register_all(app)
    return app
