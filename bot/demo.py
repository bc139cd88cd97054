"""`branchbot demo`: the real bot against a local Bot API emulator, chatted with from the terminal.

Lines typed are sent as the current persona (a member, 陈XX, or the branch secretary, 李XX);
`/as member` / `/as secretary` switches; the bot's replies are printed with their buttons numbered
(`[1] 外出流动  [2] 返回`); `#2` presses button 2 of the last message shown; `/contact` shares the
persona's phone number; `/quit` (or end of input) leaves. Works without a TTY: it reads stdin
line by line, so a script (or a test) can drive it.

It shows what a phone would: a message the bot changes in place is marked ✎ (the phone shows no new
message), the answer to a pressed button as a toast (💬, a note that fades) or an alert (⚠️, a box to
close with OK), a document as its file name and size.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, TextIO

from bot.emulator import BotMessage, Emulator, FakeUser
from bot.i18n import translator

DEMO_TOKEN = "4242424242:DEMO-not-a-real-token"
DEMO_BOT = "branchbot_demo_bot"
PERSONAS = ("member", "secretary")


def _stdin_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None], stream: TextIO) -> None:
    """A daemon thread: a blocked read never keeps the process alive at exit."""

    def pump() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="demo-stdin", daemon=True).start()


class Terminal:
    """Prints the chat and turns typed lines into the persona's actions."""

    def __init__(self, emu: Emulator, app: Any, users: dict[str, FakeUser], names: dict[int, str],
                 phones: dict[str, str], tr: Any, out: TextIO):
        self.emu, self.app, self.users, self.names, self.phones = emu, app, users, names, phones
        self.tr, self.out = tr, out
        self.persona = "member"
        self.buttons: list[tuple[BotMessage, dict]] = []

    @property
    def user(self) -> FakeUser:
        return self.users[self.persona]

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def prompt(self) -> str:
        return f"{self.names[self.user.id]} › "

    # ---- output ----------------------------------------------------------------------------------

    def show(self, message: BotMessage, recipient: int) -> None:
        _ = self.tr.gettext
        mark = "✎ " if message.event == "edited" else ""
        who = "" if recipient == self.user.id else _("(to {name}) ", name=self.names.get(recipient, recipient))
        body = message.body
        if message.document_name:
            # a phone shows the file (name and size) with the caption under it
            size = file_size(len(message.document or b""))
            body = "📎 " + _("[file {name}, {size}]", name=message.document_name, size=size) + (
                "\n" + body if body else "")
        lines = body.splitlines() or [""]
        self.say(f"  🤖 {who}{mark}{lines[0]}")
        for line in lines[1:]:
            self.say(f"     {line}")
        if recipient != self.user.id:
            return
        numbered = self._number(message)
        if numbered:
            self.buttons = numbered
            n = 0
            rows = (message.reply_markup or {}).get("inline_keyboard") or (message.reply_markup or {}).get(
                "keyboard") or []
            for row in rows:
                parts = []
                for button in row:
                    n += 1
                    label = button["text"] if isinstance(button, dict) else str(button)
                    parts.append(f"[{n}] {label}")
                self.say("     " + "  ".join(parts))

    def show_answer(self, query_id: str) -> None:
        """The callback answer as the phone shows it: an alert box, a toast, or nothing (no text)."""
        record = self.emu.state.callbacks.get(query_id)
        answer = record.answer if record is not None else None
        if not answer or not answer.get("text"):
            return
        if str(answer.get("show_alert")).lower() in ("true", "1"):
            self.say(f"  ⚠️ {answer['text']}  " + self.tr.gettext("[OK]"))
        else:
            self.say(f"  💬 {answer['text']}")

    @staticmethod
    def _number(message: BotMessage) -> list[tuple[BotMessage, dict]]:
        inline = [(message, b) for b in message.inline_buttons()]
        return inline or [(message, b) for b in message.keyboard_buttons()]

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched every update and finished handling them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        while loop.time() < deadline and quiet < 5:
            busy = bool(self.emu.updates.pending) or not self.app.update_queue.empty() \
                or self.app.update_processor.current_concurrent_updates > 0
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.03)

    async def flush(self) -> None:
        await self.settle()
        for chat_id in sorted(self.names, key=lambda c: c != self.user.id):
            for message in self.emu.outbox.pending(chat_id):
                self.show(message, chat_id)
            self.emu.skip_pending(chat_id)

    # ---- input -----------------------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False means quit."""
        _ = self.tr.gettext
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        if text.startswith("/as"):
            wanted = text[3:].strip()
            if wanted not in PERSONAS:
                self.say(_("Type /as member or /as secretary."))
                return True
            self.persona = wanted
            self.buttons = []
            for message in reversed(self.emu.messages_to(self.user)):
                numbered = self._number(message)
                if numbered:
                    self.buttons = numbered
                    break
            self.say(_("Now typing as {name}.", name=self.names[self.user.id]))
            return True
        if text == "/contact":
            await self.emu.share_contact(self.user, phone_number=self.phones[self.persona])
        elif text.startswith("#") and text[1:].isdigit():
            if not await self._press(int(text[1:])):
                return True
        else:
            await self.emu.send_text(self.user, text)
        await self.flush()
        return True

    async def _press(self, n: int) -> bool:
        _ = self.tr.gettext
        if not 1 <= n <= len(self.buttons):
            self.say(_("There is no button {n} on the last message.", n=n))
            return False
        message, button = self.buttons[n - 1]
        if "callback_data" in button:
            query_id = await self.emu.press(self.user, message, button["callback_data"])
            await self.settle()
            self.show_answer(query_id)
        elif button.get("request_contact"):
            await self.emu.share_contact(self.user, phone_number=self.phones[self.persona])
        else:
            await self.emu.send_text(self.user, button["text"])
        return True


def file_size(n: int) -> str:
    """1234 → "1.2 KB", as a chat shows a document's size."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


async def run_demo(language: str | None = None, persona: str = "member", stdin: TextIO | None = None,
                   out: TextIO | None = None) -> int:
    """Start the emulator, a temporary database with the fictional branch, the bot, and the chat."""
    from bot.app import app_state, build_application, configure_logging, shutdown, startup
    from bot.clock import Clock
    from bot.config import Settings
    from bot.demo_world import seed
    from bot.storage.db import Database

    stdin = stdin or sys.stdin
    out = out or sys.stdout
    configure_logging(logging.WARNING)
    base = Settings()
    locale = language or base.default_language
    tr = translator(locale)
    language_code = "en" if locale == "en" else "zh-hans"
    folder = Path(tempfile.mkdtemp(prefix="branchbot-demo-"))
    settings = Settings(TELEGRAM_BOT_TOKEN=DEMO_TOKEN, BRANCHBOT_DATABASE=folder / "demo.db",
                        BRANCHBOT_TIMEZONE=base.timezone, BRANCHBOT_LANGUAGE=locale,
                        BRANCHBOT_BOT_USERNAME=DEMO_BOT, BRANCHBOT_AUDIT_KEY="demo-audit-key-not-secret")
    clock = Clock(settings.timezone)
    emu = Emulator(token=DEMO_TOKEN, bot_username=DEMO_BOT)
    db = Database(folder / "demo.db", settings.audit_key_bytes(), clock)
    app = None
    try:
        await emu.start()
        await db.open()
        users = {"member": emu.add_user("陈XX", language_code=language_code),
                 "secretary": emu.add_user("李XX", language_code=language_code),
                 "organizer": emu.add_user("周XX", language_code=language_code)}
        for user in users.values():
            emu.register_chat(user)   # the bot may notify the secretary before she writes
        world = await seed(db, clock.today(), {k: u.id for k, u in users.items()}, language_code)
        app = build_application(settings, db, clock, token=DEMO_TOKEN, base_url=emu.base_url,
                                base_file_url=emu.base_file_url, rate_limiter=False)
        await app.initialize()
        await startup(app, reminders=True)   # the outbox sender delivers the secretary's notices
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)

        names = {u.id: u.first_name for u in users.values()}
        phones = {k: world.accounts[k].mobile for k in world.accounts}
        interactive = stdin.isatty()
        term = Terminal(emu, app, users, names, phones, tr, out)
        term.persona = persona if persona in PERSONAS else "member"
        _ = tr.gettext
        term.say(_("branchbot demo: a fictional branch, 创意园党支部, on a local Telegram emulator (no token, "
                   "nothing leaves this computer)."))
        term.say(_("You are {member} (a member); /as secretary makes you {secretary} (the branch secretary), "
                   "/as member brings you back.", member="陈XX", secretary="李XX"))
        term.say(_("Type /start to begin. #2 presses button 2 of the last message; /contact shares your phone "
                   "number; /quit leaves."))
        term.say(_("✎ marks a message the bot changed in place; 💬 a toast and ⚠️ an alert answering a button; "
                   "📎 a file."))
        term.say()

        queue: asyncio.Queue[str | None] = asyncio.Queue()
        _stdin_lines(asyncio.get_running_loop(), queue, stdin)
        while True:
            if interactive:
                print(term.prompt(), end="", file=out, flush=True)
            line = await queue.get()
            if line is None:
                break
            if not interactive and line.strip():
                term.say(term.prompt() + line.rstrip("\n"))
            if not await term.handle(line):
                break
        await term.flush()
        errors = app_state(app).errors
        if errors:
            print(_("demo: the bot raised {n} unhandled error(s): {names}", n=len(errors),
                    names=", ".join(sorted({type(e).__name__ for e in errors}))), file=sys.stderr)
            return 1
        return 0
    finally:
        if app is not None:
            if app.updater and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
                await shutdown(app)
            await app.shutdown()
        await emu.stop()
        await db.close()
        shutil.rmtree(folder, ignore_errors=True)
