"""The HTTP client under PTB's Bot, without the work a Bot API client does not need (issue 13).

PTB's HTTPXRequest is httpx with its defaults. Profiled in bench/updates_bench.py, three of those defaults
cost the bot more than a tenth of its CPU per update, none of it the bot's own work:

- Form bodies. PTB posts every call as application/x-www-form-urlencoded: each parameter JSON-encoded, then
  percent-encoded byte by byte (a Chinese reply of 300 characters is 900 `%XX`), and decoded again on the
  other side. The Bot API takes application/json just as well (its documentation lists it beside the form
  encodings, for every call without a file), so a call without files goes as one UTF-8 JSON document.
  Calls with files stay multipart, as PTB builds them.
- The cookie jar. httpx looks for Set-Cookie on every response, building urllib request and response
  wrappers to ask http.cookiejar; the Bot API sets no cookies, and a bot has no use for any.
- The idle-connection check. Before every request the connection pool asks each idle connection whether
  the server closed it ("is the socket readable?"). Through anyio that question builds a dict of all the
  socket's attributes, with a getpeername() system call, for each idle connection, twice per request;
  with 8 updates in flight that was 9% of the bot's CPU. `_LeanStream` answers it with one poll() on the
  socket, as httpcore itself would (`httpcore._utils.is_socket_readable`). Everything else (connect, TLS,
  reads, writes, timeouts) is httpcore's and anyio's own. The pool's own bookkeeping was quadratic in the
  connections (`_LeanPool`).

What a call does and what it raises is unchanged: the same timeouts, the same TimedOut / NetworkError
translation as PTB's (bot.telegram_retry relies on the httpx exception kept as `__cause__`).
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import typing
from typing import Any

import httpcore
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}


def _readable(sock: socket.socket | None) -> bool:
    """Whether reading the socket would not block: on an idle keep-alive connection, the server closed it.
    A socket already closed (no descriptor) counts as readable, as in httpcore."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _LeanStream(httpcore.AsyncNetworkStream):
    """httpcore's stream with the idle check asked of the socket directly (see the module docstring)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream):
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _LeanStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class _LeanBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, its streams wrapped in _LeanStream."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return _LeanStream(await self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return _LeanStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _LeanPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with its bookkeeping in one pass over the connections.

    `_assign_requests_to_connections` runs at least twice per request (a request queued, a response closed).
    httpcore 1.0 builds, for each idle connection, a list of every connection just to count them, and
    two more lists per queued request: O(n²) calls with n connections, ~55 calls per run with the 8 of 8
    updates in flight. This is the same method with the same decisions in the same order (close the closed,
    the expired and the idle ones beyond max_keepalive_connections; give each queued request the first
    available connection, else a new one, else replace the first idle one), counting once.
    Used only with the httpcore it was written against (`LEAN_POOL`); any other version gets httpcore's own.
    """

    def _assign_requests_to_connections(self) -> list[Any]:
        closing = []
        count = len(self._connections)
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
                count -= 1
            elif connection.has_expired() or (connection.is_idle() and count > self._max_keepalive_connections):
                self._connections.remove(connection)
                count -= 1
                closing.append(connection)
        for pool_request in [request for request in self._requests if request.is_queued()]:
            origin = pool_request.request.url.origin
            reuse = next((c for c in self._connections if c.can_handle_request(origin) and c.is_available()), None)
            if reuse is not None:
                pool_request.assign_to_connection(reuse)
                continue
            if len(self._connections) >= self._max_connections:
                idle = next((c for c in self._connections if c.is_idle()), None)
                if idle is None:
                    continue            # stays queued until a connection is released
                self._connections.remove(idle)
                closing.append(idle)
            connection = self.create_connection(origin)
            self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing


LEAN_POOL = httpcore.__version__.startswith("1.0.")


class _LeanTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (request mapping, exception mapping) over a pool that uses _LeanBackend."""

    def __init__(self, limits: httpx.Limits, http1: bool, http2: bool):
        # Not super().__init__: it would build a pool (and an SSL context) only to be replaced.
        pool = _LeanPool if LEAN_POOL else httpcore.AsyncConnectionPool
        self._pool = pool(
            ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            http1=http1, http2=http2, network_backend=_LeanBackend())


class _NoCookies(httpx.Cookies):
    """A cookie jar that never holds anything, and does not look for cookies to hold."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class _CookielessClient(httpx.AsyncClient):
    """httpx's client whose cookie jar is a _NoCookies of its own."""

    def __init__(self, **kwargs: Any):
        self._no_cookies = _NoCookies()
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, value: Any) -> None:
        return None   # nothing to keep


class LeanHTTPXRequest(HTTPXRequest):
    """PTB's HTTPXRequest posting JSON, without a cookie jar, with the cheap idle-connection check."""

    def _build_client(self) -> httpx.AsyncClient:
        kwargs = dict(self._client_kwargs)
        if kwargs.get("transport") is None and kwargs.get("proxy") is None:
            # (socket options or a proxy keep PTB's own transport: neither is used by this bot)
            kwargs["transport"] = _LeanTransport(kwargs["limits"], bool(kwargs.get("http1", True)),
                                                 bool(kwargs.get("http2", False)))
        return _CookielessClient(**kwargs)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if request_data is None or request_data.multipart_data:
            return await super().do_request(url, method, request_data, read_timeout, write_timeout,
                                            connect_timeout, pool_timeout)
        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        defaults = self._client.timeout
        timeout = httpx.Timeout(
            connect=defaults.connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            read=defaults.read if isinstance(read_timeout, DefaultValue) else read_timeout,
            write=defaults.write if isinstance(write_timeout, DefaultValue) else write_timeout,
            pool=defaults.pool if isinstance(pool_timeout, DefaultValue) else pool_timeout)
        body = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            res = await self._client.request(method=method, url=url, timeout=timeout, content=body,
                                             headers={"User-Agent": self.USER_AGENT, **JSON_HEADERS})
        except httpx.TimeoutException as err:   # PTB's translation (HTTPXRequest.do_request), word for word
            if isinstance(err, httpx.PoolTimeout):
                raise TimedOut(message=(
                    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
                    "to Telegram. Consider adjusting the connection pool size or the pool timeout.")) from err
            raise TimedOut from err
        except httpx.HTTPError as err:
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        return res.status_code, res.content
