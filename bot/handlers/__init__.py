"""Telegram adapters. `register_all(app)` adds every handler module, in the order listed below.

Groups (details in bot.handlers.common): -100 the private-chat guard; 0 every feature handler in
the order below, then the core catch-alls last; 1+ free for observers.
"""

from __future__ import annotations

from telegram.ext import Application, BaseHandler

from bot.handlers import (
    cases, commands_menu, flows, invites, onboarding, profile, reminders_settings, secretary_members, secretary_search,
    stats,
)
from bot.runtime import app_state

# Each module defines register(app); the order is the order their handlers are tried in group 0.
CORE_MODULES = (onboarding, profile, commands_menu)
FEATURE_MODULES = (secretary_members, secretary_search, invites, flows, reminders_settings, cases, stats)


def register_all(app: Application) -> None:
    onboarding.register_guard(app)          # group -100: nothing personal outside private chats
    for module in (*CORE_MODULES, *FEATURE_MODULES):
        module.register(app)
    before = len(app.handlers.get(0, []))
    onboarding.register_catch_alls(app)     # group 0, last: only what no feature handler took
    app_state(app).extras["catch_alls"] = app.handlers[0][before:]


def add_feature_handler(app: Application, handler: BaseHandler) -> None:
    """Add a group-0 handler after register_all (tests, late modules): it goes before the core
    catch-alls, which would otherwise take its updates first."""
    app.add_handler(handler, group=0)   # PTB's bookkeeping (persistent conversations) happens here
    group = app.handlers[0]
    group.remove(handler)
    catch_alls = app_state(app).extras.get("catch_alls", [])
    index = next((i for i, h in enumerate(group) if any(h is c for c in catch_alls)), len(group))
    group.insert(index, handler)
