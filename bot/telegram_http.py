"""The HTTP client under PTB's Bot: aiohttp, through PTB's own interface for it (`BaseRequest`).

PTB's default, HTTPXRequest, is httpx over httpcore and anyio, written in Python end to end: request and
response models, a cookie jar, a connection pool that checks every idle connection before each request,
an HTTP/1.1 state machine (h11), cancel scopes around every read and write. Profiled in
bench/updates_bench.py that was more than half of the bot's CPU per update, none of it the bot's own work
(three sessions trimmed it, issue 13, and it was still ~1.2 ms of the bot's ~3.4 ms per update).
aiohttp's client parses HTTP in C, keeps its pool on the event loop's own connection state, and is what
the emulator already runs on; PTB documents `BaseRequest` as the place to plug in another HTTP library.
Measured with the same bot, the same calls, the same emulator: main-thread CPU per update 3.43 → 2.16 ms.

What a call sends:
- A call without files goes as one UTF-8 JSON document (the Bot API takes application/json for every
  call, its documentation says); a call with files goes multipart/form-data, each other parameter
  JSON-encoded as PTB encodes it.
- No cookies are kept (the Bot API sets none; a bot has no use for any).
- A proxy named in the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY: where Telegram is reachable only
  through one) is used, as httpx used it. It is looked up once per Bot API URL, not per call: aiohttp's
  own `trust_env` reads the environment and ~/.netrc on every request, which halved the bot's
  updates/s in bench/updates_bench.py.
- TLS trusts certifi's CA bundle, as httpx did: a host without system CA certificates still reaches
  api.telegram.org.

What a call raises is what PTB's HTTPXRequest raises, with aiohttp's exception as `__cause__` (the retry
layer, bot.telegram_retry, decides on it):
- no connection within the pool + connect timeouts, or a refused or unresolvable connection: the request
  never left this machine (`NOT_SENT_ERRORS`) → TimedOut / NetworkError;
- no answer within the read timeout → TimedOut (Telegram may have carried the call out);
- any other transport failure → NetworkError.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import certifi
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_TYPE = "application/json"
# The request never left this machine: nothing at Telegram can have happened (bot.telegram_retry).
NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
NOT_SENT_MESSAGE = ("No connection to Telegram within the pool and connect timeouts: the request was *not* sent. "
                    "Consider adjusting the connection pool size or the pool timeout.")


class AiohttpRequest(BaseRequest):
    """PTB's BaseRequest over one aiohttp ClientSession (opened by `initialize`, closed by `shutdown`).

    The timeouts mean what they mean for HTTPXRequest: `connect_timeout` to open a connection,
    `pool_timeout` to wait for a free one of the `connection_pool_size`, `read_timeout` for the answer,
    `write_timeout` (files: `media_write_timeout`) to send the request. aiohttp has no write timeout of its
    own; the write is bounded with the read in the call's total (write + read)."""

    def __init__(self, connection_pool_size: int = 1, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0):
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout, "media_write": media_write_timeout}
        self._session: aiohttp.ClientSession | None = None
        self.ssl_context = ssl.create_default_context(cafile=certifi.where())
        self._proxies: dict[str, str | None] = {}     # Bot API URL up to the method -> proxy or None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=self.ssl_context),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, files: bool, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        def given(value: Any, name: str) -> float | None:
            return self._timeouts[name] if isinstance(value, DefaultValue) else value

        read, connect, pool = given(read, "read"), given(connect, "connect"), given(pool, "pool")
        write = given(write, "media_write" if files else "write")
        # aiohttp's `connect` covers waiting for a pooled connection and opening a new one
        wait = None if connect is None and pool is None else (connect or 0.0) + (pool or 0.0)
        total = None if read is None or write is None else read + write
        # (aiohttp starts the read timer once the body is written: an upload is bounded by the total)
        return aiohttp.ClientTimeout(total=total, connect=wait, sock_connect=connect, sock_read=read)

    def _proxy_for(self, url: str) -> str | None:
        base = url.rsplit("/", 1)[0]
        if base not in self._proxies:
            parts = urlsplit(url)
            bypass = not parts.hostname or urllib.request.proxy_bypass(parts.hostname)
            self._proxies[base] = None if bypass else urllib.request.getproxies().get(parts.scheme)
        return self._proxies[base]

    @staticmethod
    def _body(request_data: RequestData | None, files: dict[str, Any]) -> tuple[Any, dict[str, str]]:
        if request_data is None:
            return None, {}
        if not files:
            return (json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode(),
                    {"Content-Type": JSON_TYPE})
        form = aiohttp.FormData(quote_fields=False)     # names and file names as UTF-8, as httpx sent them
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in files.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form, {}

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else {}
        body, headers = self._body(request_data, files)
        timeout = self._timeout(bool(files), read_timeout, write_timeout, connect_timeout, pool_timeout)
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout,
                                             proxy=self._proxy_for(url)) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut(message=NOT_SENT_MESSAGE) from err
        except asyncio.TimeoutError as err:           # aiohttp's read timeout is one too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
