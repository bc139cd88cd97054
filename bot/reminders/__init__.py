"""Time: the daily scan, the weekly digest and the outbox sender, started with the bot.

`bot.app.startup` (post_init) awaits `start_reminders(app)`; `bot.app.shutdown` (post_shutdown)
awaits `stop_reminders(app)`. See scheduler.py (when things run) and sender.py (delivery and its
at-least-once window).
"""

from __future__ import annotations

from typing import Any

from bot.reminders.scheduler import Reminders, tick
from bot.runtime import app_state
from bot.reminders.sender import Sender, SlidingWindowLimiter

EXTRA_KEY = "reminders"
DEFAULT_SEND_RATE = 28   # of Telegram's ~30/s: the rest is headroom for the handlers' own replies


async def start_reminders(application: Any, **options: Any) -> Reminders:
    """Start the scheduler and the sender for a built Application (bot.app.build_application)."""
    state = app_state(application)
    options.setdefault("rate", DEFAULT_SEND_RATE)
    reminders = Reminders(state.services, application.bot, default_locale=state.settings.default_language,
                          **options)
    state.extras[EXTRA_KEY] = reminders
    await reminders.start()
    return reminders


async def stop_reminders(application: Any) -> None:
    reminders = app_state(application).extras.pop(EXTRA_KEY, None)
    if reminders is not None:
        await reminders.stop()


def reminders_of(application: Any) -> Reminders | None:
    return app_state(application).extras.get(EXTRA_KEY)


__all__ = ["Reminders", "Sender", "SlidingWindowLimiter", "start_reminders", "stop_reminders", "reminders_of",
           "tick"]
