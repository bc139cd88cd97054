"""Telegram adapters. `register_all(app)` adds every handler module that exists, in order.

Groups (details in bot.handlers.common): -100 the private-chat guard; 0 every feature handler in
the order below, then the core catch-alls last; 1+ free for observers.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from telegram.ext import Application, BaseHandler

# Each module defines register(app). Feature modules not written yet are skipped.
CORE_MODULES = ("bot.handlers.onboarding", "bot.handlers.profile", "bot.handlers.commands_menu")
FEATURE_MODULES = (
    "bot.handlers.member_reports",
    "bot.handlers.secretary_members",
    "bot.handlers.secretary_search",
    "bot.handlers.secretary_records",
    "bot.handlers.reminders_settings",
    "bot.handlers.cases",
)


def _import(name: str, optional: bool) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if optional and exc.name == name:
            return None
        raise


def loaded_modules() -> list[str]:
    """The handler modules present in this checkout, in registration order."""
    return [n for n in (*CORE_MODULES, *FEATURE_MODULES) if _import(n, optional=n in FEATURE_MODULES)]


def register_all(app: Application) -> None:
    from bot.app import app_state
    from bot.handlers import onboarding

    onboarding.register_guard(app)          # group -100: nothing personal outside private chats
    for name in (*CORE_MODULES, *FEATURE_MODULES):
        module = _import(name, optional=name in FEATURE_MODULES)
        if module is not None:
            module.register(app)
    before = len(app.handlers.get(0, []))
    onboarding.register_catch_alls(app)     # group 0, last: only what no feature handler took
    app_state(app).extras["catch_alls"] = app.handlers[0][before:]


def add_feature_handler(app: Application, handler: BaseHandler) -> None:
    """Add a group-0 handler after register_all (tests, late modules): it goes before the core
    catch-alls, which would otherwise take its updates first."""
    from bot.app import app_state

    app.add_handler(handler, group=0)   # PTB's bookkeeping (persistent conversations) happens here
    group = app.handlers[0]
    group.remove(handler)
    catch_alls = app_state(app).extras.get("catch_alls", [])
    index = next((i for i, h in enumerate(group) if any(h is c for c in catch_alls)), len(group))
    group.insert(index, handler)
