"""Webhook delivery: while a webhook is set, the emulator POSTs each pending update to it, as Telegram does.

Telegram only calls https:// URLs; a bot behind a reverse proxy listens on plain HTTP locally. The
emulator plays both parts: `Emulator.webhook_proxy` ("http://127.0.0.1:8443") stands for the proxy, and
an update for https://bot.example.org/hook goes to http://127.0.0.1:8443/hook. With no proxy set nothing
is delivered (the updates wait, as they would for an unreachable URL).

Each update is sent as JSON with the `X-Telegram-Bot-Api-Secret-Token` header when a secret was set; a
2xx answer removes it from the queue, anything else (or no answer) is retried after a short pause and
noted in `Emulator.webhook_failures`, in order, one update at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

if TYPE_CHECKING:
    from .emulator import Emulator

RETRY_DELAY = 0.2
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def target_url(registered: str, proxy: str) -> str:
    """The registered https URL as the proxy forwards it: same path and query, the proxy's origin."""
    parts = urlsplit(registered)
    return proxy.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class WebhookDelivery:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        emu = self.emu
        while not emu.updates.closing:
            hook = emu.state.webhook
            pending = emu.updates.deliverable()
            if not hook.get("url") or emu.webhook_proxy is None or not pending:
                await emu.updates.wait_for_change()
                continue
            update = pending[0]
            if await self._post(target_url(hook["url"], emu.webhook_proxy), update, hook.get("secret_token")):
                emu.updates.remove(update)
            else:
                await asyncio.sleep(RETRY_DELAY)

    async def _post(self, url: str, update: dict, secret: str | None) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        try:
            async with self._session.post(url, data=json.dumps(update), headers=headers) as response:
                if 200 <= response.status < 300:
                    return True
                self.emu.webhook_failures.append(f"{response.status} for update {update['update_id']}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self.emu.webhook_failures.append(f"{type(exc).__name__} for update {update['update_id']}")
        return False
