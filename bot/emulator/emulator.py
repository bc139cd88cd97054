"""The Emulator: one in-process fake Telegram that a real PTB Application talks to
over HTTP, plus the handles tests use to act as users and inspect what the bot did.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from aiohttp import web

from .checks import ApiError, scope_key
from .faults import FaultInjector, FiredFault
from .outbox import BotMessage, Outbox
from .ratelimit import RateLimiter
from .server import build_app
from .spec import DEFAULT_SPEC_PATH, BotApiSpec
from .state import CallbackRecord, FakeChat, FakeUser, State
from .updates import UpdateQueue
from .webhook import WebhookDelivery
from .user_actions import UserActions

ChatRef = FakeUser | FakeChat | int


def _chat_id(chat: ChatRef) -> int:
    return chat if isinstance(chat, int) else chat.id


@dataclass
class ApiErrorRecord:
    """One ok=false answer the emulator gave the bot."""

    method: str
    error_code: int
    description: str
    params: dict = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return f"{self.method}: {self.error_code} {self.description}"


class Emulator(UserActions):
    def __init__(
        self,
        token: str = "123:ABC",
        *,
        bot_username: str = "branchbot_test_bot",
        bot_first_name: str = "Branchbot",
        callback_answer_window: float = 15.0,
        spec_path: str | Path | None = DEFAULT_SPEC_PATH,
        strict_html: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123_456_789
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.callback_answer_window = callback_answer_window
        # Telegram keeps a bare "&" literally; strict mode reports it as the escaping bug it usually is.
        self.strict_html = strict_html
        self.host, self.port = host, port
        self.spec = BotApiSpec(spec_path)
        self.state = State()
        self.updates = UpdateQueue()
        self.outbox = Outbox()
        self.faults = FaultInjector()
        self.limits = RateLimiter()
        self.calls: list[tuple[str, dict]] = []
        # Calls per lower-cased method name, kept as they arrive: benchmarks poll this in a loop and
        # must not rescan every call each time.
        self.call_counts: collections.Counter[str] = collections.Counter()
        self.errors: list[ApiErrorRecord] = []
        # Webhook mode: the local address standing for the reverse proxy in front of the bot (see webhook.py).
        self.webhook_proxy: str | None = None
        self.webhook_failures: list[str] = []
        self.webhook_delivery = WebhookDelivery(self)
        self._runner: web.AppRunner | None = None
        self._stopped = asyncio.Event()

    # ----- lifecycle -------------------------------------------------------------

    async def start(self) -> Emulator:
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.webhook_delivery.start()
        return self

    async def stop(self) -> None:
        self._stopped.set()
        self.updates.close()  # release long polls so shutdown does not wait for them
        await self.webhook_delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def sleep_unless_stopped(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), delay)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ----- the bot's identity ---------------------------------------------------

    @property
    def bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    @property
    def me(self) -> dict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ----- people and chats ---------------------------------------------------

    def add_user(self, first_name: str = "Test", *, last_name: str | None = None,
                 username: str | None = None, language_code: str | None = None,
                 user_id: int | None = None, started: bool = False) -> FakeUser:
        """A Telegram user. The bot can write to them only after they wrote first
        (send_text etc.), or at once with started=True."""
        user = self.state.add_user(first_name, last_name=last_name, username=username,
                                   language_code=language_code, user_id=user_id)
        if started:
            self.register_chat(user)
        return user

    def add_group(self, title: str, members: list[FakeUser] | tuple = (), *, supergroup: bool = False,
                  username: str | None = None, bot_is_admin: bool = False) -> FakeChat:
        """A group the bot is a member of."""
        return self.state.add_group(title, [u.id for u in members], supergroup=supergroup,
                                    username=username, bot_is_admin=bot_is_admin)

    def register_chat(self, chat: ChatRef) -> None:
        """Make a chat known to the bot without any update (e.g. a user met long ago)."""
        self.state.chats[_chat_id(chat)].known = True

    # ----- what the bot did ---------------------------------------------------

    def messages_to(self, chat: ChatRef, *, include_deleted: bool = False) -> list[BotMessage]:
        """The bot's messages in a chat, oldest first, as they are now (edits applied)."""
        stored = self.state.messages.get(_chat_id(chat), {}).values()
        return [BotMessage.of(m) for m in stored if m.from_bot and (include_deleted or not m.deleted)]

    def last_message_to(self, chat: ChatRef) -> BotMessage:
        messages = self.messages_to(chat)
        if not messages:
            raise LookupError(f"the bot has sent nothing to chat {_chat_id(chat)}")
        return messages[-1]

    def message(self, chat: ChatRef, message_id: int) -> BotMessage:
        return BotMessage.of(self.state.messages[_chat_id(chat)][message_id])

    async def wait_for_bot(self, chat: ChatRef, count: int = 1, timeout: float = 5.0) -> list[BotMessage]:
        """Wait for the next `count` sends/edits by the bot in this chat and return them
        (snapshots taken when each happened). Events are consumed in order, so
        consecutive calls never see the same send twice."""
        return await self.outbox.wait(_chat_id(chat), count, timeout, describe=self._describe_errors)

    def skip_pending(self, chat: ChatRef) -> None:
        """Forget sends/edits not yet returned by wait_for_bot."""
        self.outbox.skip(_chat_id(chat))

    def _describe_errors(self) -> str:
        return f"emulator errors: {[str(e) for e in self.errors]}" if self.errors else "no emulator errors"

    def call_count(self, method: str) -> int:
        """How many calls to `method` (any capitalisation) have arrived, in O(1)."""
        return self.call_counts[method.lower()]

    def calls_of(self, method: str) -> list[dict]:
        """Parameters of every call to `method` (any capitalisation)."""
        low = method.lower()
        return [params for name, params in self.calls if name.lower() == low]

    def record_error(self, method: str, params: dict, err: ApiError) -> None:
        self.errors.append(ApiErrorRecord(method, err.code, err.description, params))

    @property
    def callback_queries(self) -> list[CallbackRecord]:
        return list(self.state.callbacks.values())

    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [q for q in self.state.callbacks.values() if not q.answered]

    def reply_keyboard(self, chat: ChatRef) -> dict | None:
        """The reply keyboard the user currently sees in this chat, if any."""
        return self.state.reply_keyboards.get(_chat_id(chat))

    def file_bytes(self, file_id: str) -> bytes:
        return self.state.files[file_id].data

    def commands(self, scope: dict | str | None = None, language_code: str = "") -> list[dict]:
        """Commands stored by setMyCommands for exactly this scope and language."""
        return list(self.state.commands.get((scope_key(scope), language_code or ""), []))

    def visible_commands(self, user: FakeUser, chat: FakeChat | None = None) -> list[dict]:
        """The command menu `user` sees, resolved with Telegram's scope/language fallback."""
        lang = (user.language_code or "").split("-")[0].lower()
        if chat is None or chat.type == "private":
            scopes = [("chat", user.id), ("all_private_chats",), ("default",)]
        else:
            scopes = [("chat_member", chat.id, user.id), ("chat", chat.id), ("all_group_chats",), ("default",)]
        for key in scopes:
            for language in (lang, ""):
                found = self.state.commands.get((key, language))
                if found:
                    return list(found)
        return []

    # ----- making Telegram misbehave ------------------------------------------

    def inject_fault(self, kind: str = "429", count: int = 1, method: str | None = None,
                     retry_after: int = 1, delay: float = 30.0) -> None:
        """Answer the next `count` calls (of `method`, or any) with kind "429"
        (retry_after), "502" (Bad Gateway) or "timeout" (hang `delay` s, then work)."""
        self.faults.add(kind, count, method, retry_after, delay)

    def inject_faults_at_random(self, kind: str = "502", probability: float = 0.1, *, seed: int = 0,
                                methods: list[str] | None = None, exclude: list[str] = ()) -> None:
        """Make `probability` of the calls (of `methods`, or all but `exclude`) fail with `kind`, drawn
        from a generator seeded with `seed`; probability 0 stops it. Count-based faults fire first."""
        self.faults.at_random(kind, probability, seed=seed, methods=methods, exclude=exclude)

    @property
    def faults_fired(self) -> list[FiredFault]:
        return list(self.faults.fired)

    def set_rate_limits(self, enabled: bool = True, *, global_per_second: float | None = None,
                        private_per_second: float | None = None, private_burst: int | None = None,
                        group_per_minute: float | None = None) -> None:
        self.limits.configure(enabled=enabled, global_per_second=global_per_second,
                              private_per_second=private_per_second, private_burst=private_burst,
                              group_per_minute=group_per_minute)
