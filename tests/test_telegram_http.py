"""The HTTP client under the Bot (bot.telegram_http): JSON bodies, files multipart, no cookie jar, a bounded
pool, and failures raised as PTB raises them. A real HTTP server records what arrives."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut

from bot.emulator import Emulator
from bot.telegram_http import NOT_SENT_ERRORS, AiohttpRequest
from bot.telegram_retry import RetryingRequest

TOKEN = "4440001234:http-test-token"
ME = {"id": 1, "is_bot": True, "first_name": "b", "username": "b_bot"}
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "您好"}


@dataclass
class Arrived:
    method: str
    content_type: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, object]


@asynccontextmanager
async def _server(arrived: list[Arrived], cookie: bool = False,
                  delay: Callable[[str], Awaitable[None]] | None = None) -> AsyncIterator[str]:
    async def api(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form: dict[str, object] = {}
        body = b""
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                form[part.name] = (part.filename, await part.read())
        else:
            body = await request.read()
        arrived.append(Arrived(method, request.content_type, dict(request.headers), body, form))
        if delay is not None:
            await delay(method)
        response = web.json_response({"ok": True, "result": ME if method == "getMe" else MESSAGE})
        if cookie:
            response.set_cookie("session", "abc")
        return response

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api)
    async with TestServer(app, host="127.0.0.1") as server:
        yield f"http://localhost:{server.port}/bot"      # a host name: aiohttp's own jar would keep its cookies


@pytest.fixture
async def arrived() -> list[Arrived]:
    return []


async def test_a_call_without_files_goes_as_one_utf8_json_document(arrived):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("报告更正", callback_data="m:menu:correction")]])
    async with _server(arrived) as url:
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
            await bot.send_message(42, "<b>我的档案</b> 王XX", parse_mode="HTML", reply_markup=keyboard)
    sent = arrived[-1]
    assert sent.method == "sendMessage" and sent.content_type == "application/json"
    assert "我的档案".encode() in sent.body                          # not \\u-escaped, not %-encoded
    body = json.loads(sent.body)
    assert body["chat_id"] == 42 and body["text"] == "<b>我的档案</b> 王XX" and body["parse_mode"] == "HTML"
    assert body["reply_markup"] == {"inline_keyboard": [[{"text": "报告更正", "callback_data": "m:menu:correction"}]]}
    assert sent.headers["User-Agent"].startswith("python-telegram-bot")


async def test_a_file_goes_multipart_with_its_name_and_the_other_parameters(arrived):
    async with _server(arrived) as url:
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
            await bot.send_document(42, b"PK\x03\x04 roster", filename="名册.xlsx", caption="十一月名册")
    sent = arrived[-1]
    assert sent.method == "sendDocument" and sent.content_type == "multipart/form-data"
    files = [v for v in sent.form.values() if v[0] is not None]
    assert files == [("名册.xlsx", b"PK\x03\x04 roster")]
    assert sent.form["chat_id"] == (None, b"42") and sent.form["caption"] == (None, "十一月名册".encode())


async def test_cookies_a_server_sets_are_not_kept(arrived):
    async with _server(arrived, cookie=True) as url:
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
            await bot.send_message(42, "一")
            await bot.send_message(42, "二")
    assert len(arrived) == 3 and all("Cookie" not in a.headers for a in arrived)


async def test_waiting_longer_than_the_pool_timeout_for_a_connection_is_a_timeout_that_sent_nothing(arrived):
    # One connection; the first call holds it for 0.5 s, the second waits for it 0.1 s and gives up.
    async def slow(method: str) -> None:
        if method == "sendMessage":
            await asyncio.sleep(0.5)

    async with _server(arrived, delay=slow) as url:
        request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.05)
        async with Bot(TOKEN, base_url=url, request=request, get_updates_request=AiohttpRequest()) as bot:
            first = asyncio.create_task(bot.send_message(42, "一"))
            await asyncio.sleep(0.05)
            with pytest.raises(TimedOut) as waited:
                await bot.send_message(42, "二")
            await first
    assert isinstance(waited.value.__cause__, NOT_SENT_ERRORS)
    assert [json.loads(a.body)["text"] for a in arrived if a.method == "sendMessage"] == ["一"]


async def test_an_answer_slower_than_the_read_timeout_is_a_timeout_that_may_have_been_carried_out(arrived):
    async def slow(method: str) -> None:
        await asyncio.sleep(0.4 if method == "sendMessage" else 0)

    async with _server(arrived, delay=slow) as url:
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(read_timeout=0.1),
                       get_updates_request=AiohttpRequest()) as bot:
            with pytest.raises(TimedOut) as late:
                await bot.send_message(42, "一")
    assert not isinstance(late.value.__cause__, NOT_SENT_ERRORS)
    assert [a.method for a in arrived] == ["getMe", "sendMessage"]


async def test_nobody_listening_is_a_network_error_that_sent_nothing():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert isinstance(refused.value.__cause__, NOT_SENT_ERRORS)


async def test_a_proxy_named_in_the_environment_carries_the_calls(arrived, monkeypatch):
    # The recording server stands in for the proxy; the Bot API host does not exist, so only a call that
    # went through the proxy can be answered.
    async with _server(arrived) as proxy_url:
        for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url.removesuffix("/bot"))
        url = "http://api.telegram.invalid/bot"
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
            await bot.send_message(42, "经代理")
    assert [a.method for a in arrived] == ["getMe", "sendMessage"]
    assert arrived[-1].headers["Host"] == "api.telegram.invalid"


async def test_a_host_in_no_proxy_is_reached_directly(arrived, monkeypatch):
    # The proxy named is a port nobody listens on: only a direct call can arrive.
    async with _server(arrived) as url:
        for name in ("no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "localhost")
        async with Bot(TOKEN, base_url=url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()) as bot:
            await bot.send_message(42, "直连")
    assert [a.method for a in arrived] == ["getMe", "sendMessage"]


async def test_the_environment_is_read_once_per_bot_api_url_not_per_call(arrived, monkeypatch):
    # aiohttp's own trust_env reads the environment and ~/.netrc on every request (half the bot's
    # updates/s in bench/updates_bench.py); the proxy is looked up once and remembered.
    import urllib.request

    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    reads = []
    real = urllib.request.getproxies
    monkeypatch.setattr(urllib.request, "getproxies", lambda: reads.append(1) or real())
    async with _server(arrived) as url:
        request = AiohttpRequest()
        async with Bot(TOKEN, base_url=url, request=request, get_updates_request=AiohttpRequest()) as bot:
            for i in range(5):
                await bot.send_message(42, f"第{i}条")
            assert request._session is not None and not request._session.trust_env     # noqa: SLF001
    assert len(arrived) == 6 and len(reads) == 1


def test_tls_trusts_certifis_bundle_not_only_the_hosts():
    import certifi

    trusted = AiohttpRequest().ssl_context.get_ca_certs()
    assert len(trusted) > 50                                  # certifi's roots, listed because loaded from a file
    assert AiohttpRequest().ssl_context.verify_mode == ssl.CERT_REQUIRED and certifi.where().endswith(".pem")


async def test_a_request_used_before_initialize_says_so():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:1/botX/getMe", "POST")


def _open_connections(request: AiohttpRequest) -> int:
    """Connections open now, idle or in use (aiohttp's connector keeps no public count)."""
    session = request._session                                                     # noqa: SLF001
    if session is None or session.closed:
        return 0
    connector = session.connector
    return sum(len(c) for c in connector._conns.values()) + len(connector._acquired)  # noqa: SLF001


async def test_the_bot_against_the_emulator_keeps_few_connections_and_delivers_everything():
    # Eight sends at once need eight connections at most; twenty after them reuse those.
    async with Emulator(token=TOKEN) as emu:
        user = emu.add_user("王XX", started=True)
        request = RetryingRequest(connection_pool_size=16)
        async with Bot(TOKEN, base_url=emu.base_url, request=request) as bot:
            await asyncio.gather(*(bot.send_message(user.id, f"第{i}条") for i in range(8)))
            for i in range(8, 28):
                await bot.send_message(user.id, f"第{i}条")
            assert 1 <= _open_connections(request) <= 8
        assert _open_connections(request) == 0                 # shutdown closed them
        assert sorted(m.text for m in emu.messages_to(user)) == sorted(f"第{i}条" for i in range(28))
        assert emu.call_count("sendMessage") == 28
