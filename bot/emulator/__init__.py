"""A local Telegram Bot API emulator for end-to-end tests of the bot.

    async with Emulator(token="123:ABC") as emu:
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url) \\
            .base_file_url(emu.base_file_url).build()
        user = emu.add_user("Alice")
        await emu.send_text(user, "/start")
        [reply] = await emu.wait_for_bot(user)
"""

from .checks import ApiError
from .emulator import ApiErrorRecord, Emulator
from .outbox import BotMessage
from .state import CallbackRecord, FakeChat, FakeUser

__all__ = [
    "ApiError",
    "ApiErrorRecord",
    "BotMessage",
    "CallbackRecord",
    "Emulator",
    "FakeChat",
    "FakeUser",
]
