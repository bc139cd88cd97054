"""HTTP front of the emulator: Telegram's URL layout, body formats and error shape.

    /bot<token>/<method>         JSON, urlencoded or multipart; GET or POST
    /file/bot<token>/<file_path> downloads of stored files
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import messaging as _messaging  # noqa: F401  (registers the message methods)
from . import methods as _methods  # noqa: F401  (registers the other methods)
from .checks import CHAT_ID_EMPTY, TEXT_EMPTY, ApiError
from .faults import BAD_GATEWAY_HTML
from .ratelimit import LIMITED_METHODS
from .registry import HANDLERS
from .spec import coerce_params
from .state import Upload

if TYPE_CHECKING:
    from .emulator import Emulator

EMULATOR_KEY: web.AppKey[Emulator] = web.AppKey("emulator")
_dumps = partial(json.dumps, ensure_ascii=False)

# What Telegram answers when one of these is missing, instead of a generic text.
_MISSING = {"chat_id": CHAT_ID_EMPTY, "text": TEXT_EMPTY}


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[EMULATOR_KEY] = emu
    app.router.add_route("*", "/bot{token}/{method}", handle_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file)
    return app


def _reply(body: dict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def canonical_name(emu: Emulator, method: str) -> str:
    entry = HANDLERS.get(method.lower())
    if entry:
        return entry[0]
    spec_method = emu.spec.method(method)
    return spec_method["name"] if spec_method else method


async def read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError.bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("JSON object expected as request body")
        params.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
    return params


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def handle_api(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMULATOR_KEY]
    name = canonical_name(emu, request.match_info["method"])
    if request.match_info["token"] != emu.token:
        err = ApiError(401, "Unauthorized")
        emu.record_error(name, {}, err)
        return _reply(err.to_json(), err.code)

    params: dict[str, Any] = {}
    decode_error: ApiError | None = None
    try:
        params = await read_params(request)
        params = coerce_params(params, emu.spec.kinds(name))
    except ApiError as exc:
        decode_error = exc
    emu.calls.append((name, params))
    emu.call_counts[name.lower()] += 1

    fault = emu.faults.take(name)
    if fault is not None:
        if fault.kind == "429":
            return _reply(ApiError.too_many_requests(fault.retry_after).to_json(), 429)
        if fault.kind == "502":
            return web.Response(status=502, text=BAD_GATEWAY_HTML, content_type="text/html")
        await emu.sleep_unless_stopped(fault.delay)

    try:
        if decode_error is not None:
            raise decode_error
        result = await dispatch(emu, name, params)
    except ApiError as err:
        # A superseded long poll whose client already hung up is not an answer anyone saw.
        if not (err.code == 409 and _client_gone(request)):
            emu.record_error(name, params, err)
        return _reply(err.to_json(), err.code)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in the emulator must not look like Telegram's answer
        emu.record_error(name, params, ApiError(500, f"Internal Server Error: emulator bug: {exc!r}"))
        raise
    return _reply({"ok": True, "result": result})


async def dispatch(emu: Emulator, name: str, params: dict[str, Any]) -> Any:
    if emu.spec.available and emu.spec.method(name) is None:
        raise ApiError.bad_request(f"method not found: {name} is not a Bot API method")
    for field in emu.spec.required(name):
        if params.get(field) in (None, ""):
            raise ApiError.bad_request(_MISSING.get(field, f'parameter "{field}" is required'))
    entry = HANDLERS.get(name.lower())
    if entry is None:
        raise ApiError.bad_request(f"method not emulated: {name}")
    if name.lower() in LIMITED_METHODS:
        chat = emu.state.find_chat(params.get("chat_id") or 0)
        if chat is not None:
            retry_after = emu.limits.check(name, chat.id, chat.type == "private")
            if retry_after:
                raise ApiError.too_many_requests(retry_after)
    return await entry[1](emu, params)


async def handle_file(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMULATOR_KEY]
    if request.match_info["token"] != emu.token:
        return _reply(ApiError(401, "Unauthorized").to_json(), 401)
    stored = emu.state.files_by_path.get(request.match_info["file_path"])
    if stored is None:
        return _reply({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
