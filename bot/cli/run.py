"""`branchbot run` (the bot: polling, or a webhook behind a reverse proxy) and `branchbot demo`
(the bot against a local emulator, with a terminal chat: no token needed)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from typing import Any
from urllib.parse import urlparse

from telegram import Update

from bot.cli.common import CliError, database, operator_tr
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import N_, translator

SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# PTB's own start-up calls (getMe, deleteWebhook/setWebhook) are retried this many times, on top of the
# request layer's retries of each call (bot.telegram_retry): about a minute of a Bot API outage at start.
BOOTSTRAP_RETRIES = 20


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings()
    tr = translator(settings.default_language)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
    if not token:
        if _interactive() and not args.webhook:
            # The README's first command on a fresh machine: show the bot answering rather than exit 2.
            print(tr.gettext(N_("No bot token (TELEGRAM_BOT_TOKEN) is set, so this is the demo: the bot runs against"
                                " a built-in Telegram emulator on a fictional branch. With a token from @BotFather "
                                "the same command serves real Telegram.")), flush=True)
            return _demo(None, "member")
        raise CliError(tr.gettext(N_("No bot token: create a bot with @BotFather in Telegram, then set "
                                     "TELEGRAM_BOT_TOKEN (in the environment or .env); or try “branchbot demo”, "
                                     "which needs no token.")))
    clock = Clock(settings.timezone)
    db, _path = database(args, settings, tr, clock)
    webhook = _webhook_options(args, settings, tr)

    from bot.app import build_application, configure_logging

    configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    # One event loop for the database and PTB: aiosqlite futures belong to the loop that opened it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(db.open())
        app = build_application(settings, db, clock, token=token, base_url=settings.telegram_api_base_url,
                                base_file_url=settings.telegram_api_file_url)
        if webhook is None:
            app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False, bootstrap_retries=BOOTSTRAP_RETRIES)
        else:
            try:
                app.run_webhook(close_loop=False, allowed_updates=Update.ALL_TYPES, bootstrap_retries=BOOTSTRAP_RETRIES,
                                **webhook)
            except RuntimeError as exc:
                if "webhooks" in str(exc):
                    raise CliError(tr.gettext(N_("Webhook mode needs the webhooks extra: pip install "
                                                 "\"python-telegram-bot[webhooks]\""))) from None
                raise
    finally:
        if not loop.is_closed():
            loop.run_until_complete(db.close())
            loop.close()
        asyncio.set_event_loop(None)
    return 0


def _webhook_options(args: argparse.Namespace, settings: Settings, tr: Any) -> dict[str, Any] | None:
    if not args.webhook:
        return None
    url = urlparse(args.webhook)
    if url.scheme != "https" or not url.netloc:
        raise CliError(tr.gettext(N_("The webhook URL must be an https:// URL (Telegram calls it)")))
    secret = args.secret or settings.webhook_secret
    if not secret or not SECRET_TOKEN.match(secret):
        raise CliError(tr.gettext(N_("Webhook mode needs --secret (or BRANCHBOT_WEBHOOK_SECRET): 1–256 characters "
                                     "A–Z, a–z, 0–9, _ and -")))
    return {
        "listen": args.listen,
        "port": args.port,
        "url_path": args.url_path if args.url_path is not None else url.path.strip("/"),
        "webhook_url": args.webhook,
        "secret_token": secret,
    }


def _interactive() -> bool:
    """Someone at a terminal (not a service manager, a pipe or a test runner's captured stdin)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _demo(language: str | None, persona: str) -> int:
    from bot.demo import run_demo

    try:
        return asyncio.run(run_demo(language=language, persona=persona))
    except KeyboardInterrupt:
        return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return _demo(args.lang, args.as_persona)


def register(sub: Any) -> None:
    """Add `run` and `demo` to the `branchbot` parser."""
    h = operator_tr().gettext
    p = sub.add_parser("run", help=h(N_("run the bot (polling, or --webhook behind a reverse proxy)")))
    p.add_argument("--webhook", metavar="URL", help=h(N_("the public https URL Telegram posts updates to")))
    p.add_argument("--secret", metavar="TOKEN", help=h(N_("the webhook's secret token (checked on every request)")))
    p.add_argument("--listen", default="127.0.0.1", help=h(N_("address the webhook server listens on")))
    p.add_argument("--port", type=int, default=8443, help=h(N_("port the webhook server listens on")))
    p.add_argument("--url-path", default=None, help=h(N_("path the webhook server answers (default: the URL's)")))
    p.add_argument("--verbose", action="store_true", help=h(N_("log our own debug messages")))
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help=h(N_("try the bot in this terminal, on a fictional branch, without a token")))
    p.add_argument("--lang", default=None, choices=["zh_CN", "en"], help=h(N_("the demo users' language")))
    p.add_argument("--as", dest="as_persona", default="member", choices=["member", "secretary"],
                   help=h(N_("whom you type as first")))
    p.set_defaults(func=cmd_demo)

