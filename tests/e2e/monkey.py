"""A random presser: people pressing whatever they see, typing hostile text, forging callback data.

Each persona (a stranger, a bound member, an officer, a committee user, a member and an officer in a
group) runs its own seeded sequence of actions, all personas at once. After every action the presser
waits until the bot has handled it and records whether it got a reply (a send or an edit in that chat, or
for a button the answer of its callback query). What the bot got wrong is left for the test to read:
`no_reply`, the emulator's refused calls, unanswered callback queries, the bot's unhandled exceptions.
"""

from __future__ import annotations

import asyncio
import random
import string
from dataclasses import dataclass, field
from typing import Any

from bot.emulator import BotMessage, FakeChat, FakeUser
from bot.handlers import commands_menu

HOSTILE_TEXTS = (
    " ", "<b>粗体</b>", "&amp; & < > \"'", "a" * 4096, "😀" * 300, "\u202e反向文字", "\u200b", "\x00\x01",
    "'; DROP TABLE members; --", "2026-13-45", "2026-02-30", "1900-01-01", "昨天", "今天", "明天", "上周五",
    "13800000000", "+86 138 0000 0000", "1" * 30, "-1", "0", "99999999999999999999", "王", "王XX",
    "\n\n\n", "/", "/start@other_bot", "@branchbot_test_bot", "https://example.org/<script>", "%s %d {name} {0}",
    "None", "null", "是", "否", "确认", "取消", "返回", "XX创意园", "北京市朝阳区某街道", "派出所户籍窗口",
    "第一行\n第二行\n第三行", "🇨🇳", "ＡＢＣ１２３", "/start " + "x" * 60, "/start abc", "/cancel now",
)
COMMAND_EXTRAS = ("/start", "/cancel", "/lang", "/help", "/me", "/card")


@dataclass
class Persona:
    name: str
    user: FakeUser
    chat: FakeChat | None = None        # a group, or None: the private chat
    actions: int = 0

    @property
    def chat_id(self) -> int:
        return self.chat.id if self.chat is not None else self.user.id

    @property
    def in_group(self) -> bool:
        return self.chat is not None


@dataclass
class NoReply:
    persona: str
    action: str


@dataclass
class Monkey:
    env: Any                           # tests.e2e.harness.BotEnv
    seed: int
    reply_timeout: float = 6.0
    no_reply: list[NoReply] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.commands = sorted({f"/{c.command}" for c in commands_menu.registered()} | set(COMMAND_EXTRAS))

    @property
    def emu(self) -> Any:
        return self.env.emu

    # ---- running ------------------------------------------------------------------------------------

    async def run(self, personas: list[Persona], total: int) -> None:
        """`total` actions in all, shared out over the personas, which act concurrently."""
        share, extra = divmod(total, len(personas))
        await asyncio.gather(*(self._run_one(p, share + (i < extra), random.Random(f"{self.seed}:{p.name}"))
                               for i, p in enumerate(personas)))

    async def _run_one(self, persona: Persona, n: int, rng: random.Random) -> None:
        for _ in range(n):
            await self.step(persona, rng)

    async def step(self, persona: Persona, rng: random.Random) -> None:
        before = len(self.emu.outbox.history(persona.chat_id))
        kind, query_id, expect_reply = await self._act(persona, rng)
        persona.actions += 1
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if not await self._handled(persona, before, query_id, expect_reply):
            self.no_reply.append(NoReply(persona.name, kind))

    # ---- choosing an action -------------------------------------------------------------------------

    async def _act(self, persona: Persona, rng: random.Random) -> tuple[str, str | None, bool]:
        roll = rng.random()
        messages = [m for m in self.emu.messages_to(persona.chat_id)][-4:]
        with_buttons = [m for m in messages if m.inline_buttons()]
        keyboard = self.emu.reply_keyboard(persona.chat_id)
        if roll < 0.55 and with_buttons:
            # mostly the newest message, sometimes an older one (a stale button)
            target = with_buttons[-1] if rng.random() < 0.8 else rng.choice(with_buttons)
            button = rng.choice([b for b in target.inline_buttons() if "callback_data" in b] or [None])
            if button is not None:
                qid = await self.emu.press(persona.user, target, button["callback_data"])
                return "press", qid, True
        if roll < 0.62 and with_buttons:
            target = rng.choice(with_buttons)
            return "forged", await self._forge(persona, target, rng), True
        if roll < 0.66 and keyboard and not persona.in_group:
            button = rng.choice([b for row in keyboard.get("keyboard", []) for b in row] or [{"text": "?"}])
            if isinstance(button, dict) and button.get("request_contact"):
                await self.emu.share_contact(persona.user, phone_number=f"+86138{rng.randrange(10**8):08d}")
                return "contact", None, True
            await self.emu.send_text(persona.user, button["text"] if isinstance(button, dict) else str(button))
            return "keyboard", None, True
        if roll < 0.68 and not persona.in_group:
            own = rng.random() < 0.7
            await self.emu.share_contact(persona.user, phone_number=f"138{rng.randrange(10**8):08d}", own=own)
            return "contact", None, True
        if roll < 0.70 and not persona.in_group:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            await self.emu.send_document(persona.user, data, rng.choice(("名册.xlsx", "x.csv", "a.pdf", "无名")))
            return "document", None, True
        if roll < 0.85:
            text = rng.choice(self.commands)
            if persona.in_group and rng.random() < 0.5:
                text += f"@{self.emu.bot_username}"
            await self.emu.send_text(persona.user, text, persona.chat)
            return "command", None, True
        text = rng.choice(HOSTILE_TEXTS) if rng.random() < 0.7 else self._random_text(rng)
        await self.emu.send_text(persona.user, text, persona.chat)
        # A group's plain text is not for the bot (Telegram's privacy mode would not even deliver it).
        return "text", None, not persona.in_group

    @staticmethod
    def _random_text(rng: random.Random) -> str:
        alphabet = string.ascii_letters + string.digits + string.punctuation + " 王李张党支部创意园派出所年月日\n"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))).strip() or "x"

    async def _forge(self, persona: Persona, target: BotMessage, rng: random.Random) -> str:
        """A hostile client's callback data on a real bot message: mutated, truncated, or foreign."""
        real = [b["callback_data"] for b in target.inline_buttons() if "callback_data" in b] or ["c:me"]
        base = rng.choice(real)
        variants = [
            base + ":" + str(rng.randrange(-5, 10**6)),
            base[: rng.randrange(0, len(base) + 1)],
            ":".join(p if not p.isdigit() else str(int(p) + rng.randrange(-3, 1000)) for p in base.split(":")),
            rng.choice(("s:menu", "c:lang:xx", "c:lang:en", "m:menu:../../", "s:f:nope:ok", "r:ok:1", "x", ":::",
                        "c:me", "s:f:search:ok", "m:checkin:ok", "c:card")),
            base.replace(":", "::"),
        ]
        data = rng.choice(variants)[:64] or "x"
        stored = self.emu.state.get_message(target.chat_id, target.message_id)
        saved = stored.reply_markup
        stored.reply_markup = {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}
        try:
            return await self.emu.press(persona.user, target, data)
        finally:
            stored.reply_markup = saved

    # ---- waiting for the bot ------------------------------------------------------------------------

    async def _handled(self, persona: Persona, before: int, query_id: str | None, expect_reply: bool) -> bool:
        """Wait until the bot replied (or the timeout) and is done with this persona's update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout
        processor = self.env.app.update_processor
        replied = False
        while loop.time() < deadline:
            if query_id is not None:
                record = self.emu.state.callbacks.get(query_id)
                replied = record is not None and record.answered
            else:
                replied = len(self.emu.outbox.history(persona.chat_id)) > before
            fetched = not self.emu.updates.pending or all(
                self._sender_of(u) != persona.user.id for u in self.emu.updates.pending)
            if fetched and (replied or not expect_reply) and not processor.in_flight(persona.user.id):
                if replied or not expect_reply:
                    await asyncio.sleep(0)   # let a last edit of the same handling land
                    return True
            await asyncio.sleep(0.005)
        return replied or not expect_reply

    @staticmethod
    def _sender_of(update: dict) -> int | None:
        for kind in ("message", "callback_query", "edited_message"):
            if kind in update:
                return update[kind].get("from", {}).get("id")
        return None
