"""Telegram's flood limits, as token buckets (off unless a test or benchmark
turns them on): about 30 messages/s overall, 1/s per private chat with a short
burst allowed, 20/minute per group.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Methods that put a new message into a chat; edits and answers are not counted.
LIMITED_METHODS = frozenset(
    m.lower()
    for m in (
        "sendMessage", "sendDocument", "sendPhoto", "sendVideo", "sendAudio", "sendVoice",
        "sendAnimation", "sendSticker", "sendMediaGroup", "sendContact", "sendLocation",
        "sendPoll", "copyMessage", "forwardMessage",
    )
)


class _Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, now

    def wait_needed(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class RateLimits:
    enabled: bool = False
    global_per_second: float = 30.0
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = RateLimits()
        self._clock = clock
        self._global: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}

    def configure(self, **changes) -> None:
        for key, value in changes.items():
            if value is not None:
                setattr(self.config, key, value)
        self._global = None
        self._chats.clear()

    def check(self, method: str, chat_id: int, is_private: bool) -> int:
        """0 when the call may go through (and is counted), else retry_after seconds."""
        if not self.config.enabled or method.lower() not in LIMITED_METHODS:
            return 0
        cfg, now = self.config, self._clock()
        if self._global is None:
            self._global = _Bucket(cfg.global_per_second, cfg.global_per_second, now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = (
                _Bucket(cfg.private_per_second, cfg.private_burst, now)
                if is_private
                else _Bucket(cfg.group_per_minute / 60.0, cfg.group_per_minute, now)
            )
            self._chats[chat_id] = chat
        wait = max(self._global.wait_needed(now), chat.wait_needed(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.take()
        chat.take()
        return 0
