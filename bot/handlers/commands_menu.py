"""The "/" menu of Telegram clients: setMyCommands per language and per role.

Members' commands go to the default scope, once per language ("zh", "en") and once without a
language (the deployment's default language). Officers get, in their own chat
(BotCommandScopeChat), the member commands followed by the officer commands, in their language.
`users.menu` records what each chat was given, so a change is published once: when a role is granted
through an invite or the language changes, and, for a role granted or revoked from the CLI (which cannot
reach Telegram), at the user's next message (`sync_menu`, called by ctx_of) and at every start.

Feature modules add their commands from their register(app):
    commands_menu.add_command("members", N_("Member list"), audience="officer")
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from bot.domain.codes import OFFICER_ROLES
from bot.i18n import N_, Translator, resolve_locale, translator
from bot.runtime import app_state
from bot.storage import users as user_repo
from bot.storage.db import Database

log = logging.getLogger(__name__)

MEMBER = "member"
OFFICER = "officer"
# Telegram language codes the menu is published in, and our locale for each.
MENU_LANGUAGES = (("zh", "zh_CN"), ("en", "en"))


@dataclass(frozen=True)
class MenuCommand:
    command: str        # a-z, 0-9, _ ; at most 32
    description: str    # a msgid, translated when published
    audience: str       # MEMBER or OFFICER


_COMMANDS: list[MenuCommand] = [
    MenuCommand("start", N_("Main menu"), MEMBER),
    MenuCommand("me", N_("My record as the branch holds it"), MEMBER),
    MenuCommand("card", N_("Contact card of my branch"), MEMBER),
    MenuCommand("lang", N_("Choose the language"), MEMBER),
    MenuCommand("help", N_("What this bot can do"), MEMBER),
    MenuCommand("cancel", N_("Cancel what I am doing"), MEMBER),
]


def add_command(command: str, description: str, audience: str = OFFICER) -> None:
    """Add a command to the published menus (idempotent: the same command is listed once)."""
    if audience not in (MEMBER, OFFICER):
        raise ValueError(f"audience must be {MEMBER!r} or {OFFICER!r}")
    if not command.isascii() or not command.replace("_", "").isalnum() or not command.islower() or len(command) > 32:
        raise ValueError(f"not a Telegram command name: {command!r}")
    if all(c.command != command for c in _COMMANDS):
        _COMMANDS.append(MenuCommand(command, description, audience))


def registered(audience: str | None = None) -> list[MenuCommand]:
    """The commands of one audience (or all), in menu order."""
    return [c for c in _COMMANDS if audience is None or c.audience == audience]


def commands_for(is_officer: bool, tr: Translator) -> list[BotCommand]:
    wanted = (MEMBER, OFFICER) if is_officer else (MEMBER,)
    return [BotCommand(c.command, tr.gettext(c.description)[:256]) for c in _COMMANDS if c.audience in wanted]


def menu_for(is_officer: bool, locale: str) -> str | None:
    """What `users.menu` should say for this user (None: no menu of their own)."""
    return f"{OFFICER}:{locale}" if is_officer else None


async def refresh_commands_for(bot: Bot, tg_id: int, is_officer: bool, locale: str) -> bool:
    """An officer's own menu (member + officer commands in their language); others: the default.
    False when Telegram refused (the menu is a convenience: nothing else depends on it)."""
    scope = BotCommandScopeChat(tg_id)
    try:
        if is_officer:
            await bot.set_my_commands(commands_for(True, translator(locale)), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:  # e.g. the user never opened the chat
        log.warning("could not set the commands of an officer chat: %s", type(exc).__name__)
        return False
    return True


async def sync_menu(bot: Bot, db: Database, tg_id: int, is_officer: bool, locale: str,
                    current: str | None, *, force: bool = False) -> None:
    """Publish the user's chat menu if it is not what `users.menu` says they were given (or `force`)."""
    wanted = menu_for(is_officer, locale)
    if wanted == current and not force:
        return
    if await refresh_commands_for(bot, tg_id, is_officer, locale) and wanted != current:
        async with db.write("menu") as tx:
            await user_repo.set_menu(tx, tg_id, wanted)


async def publish_all(app: Application) -> None:
    """At start: the default menus per language, and every officer's own menu."""
    state = app_state(app)
    bot = app.bot
    for code, locale in MENU_LANGUAGES:
        await bot.set_my_commands(commands_for(False, translator(locale)), scope=BotCommandScopeDefault(),
                                  language_code=code)
    await bot.set_my_commands(commands_for(False, translator(state.settings.default_language)),
                              scope=BotCommandScopeDefault())
    # Officers are re-published every start (a new release may bring new commands); a user whose menu
    # is on record but who holds no officer role any more (revoked from the CLI) gets it removed.
    officer_roles = ",".join(f"'{r.value}'" for r in OFFICER_ROLES)
    rows = await state.db.fetchall(
        "SELECT * FROM (SELECT u.tg_id, u.locale, u.lang_code, u.menu, EXISTS (SELECT 1 FROM roles r"
        f" WHERE r.tg_id = u.tg_id AND r.role IN ({officer_roles})) AS officer FROM users u"
        " WHERE u.blocked_at IS NULL) WHERE menu IS NOT NULL OR officer")
    for tg_id, override, lang_code, menu, is_officer in rows:
        locale = resolve_locale(override, lang_code, state.settings.default_language)
        await sync_menu(bot, state.db, tg_id, bool(is_officer), locale, menu, force=bool(is_officer))


def register(app: Application) -> None:
    """Nothing to handle: the menus are published by bot.app.startup."""
    return None
