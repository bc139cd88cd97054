"""What the running bot keeps besides Telegram: the AppState of an Application (settings, services, errors).

Handlers, the reminders and the CLI's `run` reach it through `app_state(app)`. This module imports nothing
above the services, so every layer that needs the application's state can import it without importing
`bot.app` (which builds the Application and imports every handler module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot.clock import Clock
from bot.config import Settings
from bot.services.context import Services
from bot.storage.db import Database


@dataclass
class AppState:
    """What handlers need besides Telegram: not persisted, rebuilt at every start."""

    settings: Settings = field(repr=False)  # holds the token: never in a repr
    services: Services
    persistence: Any = None                 # the SqlitePersistence (bot.handlers.persistence), for the harness
    # Unhandled exceptions (handlers, jobs, persistence): the e2e harness fails a test on any.
    errors: list[BaseException] = field(default_factory=list)
    # Anything a feature module wants to keep for the life of the process (not persisted).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def clock(self) -> Clock:
        return self.services.clock


class BranchApplication(Application):
    """An Application with a typed, non-persisted `branch` attribute (see `app_state`)."""

    branch: AppState


def app_state(app: Application) -> AppState:
    """The AppState of an Application built by `bot.app.build_application`."""
    state = getattr(app, "branch", None)
    if state is None:
        raise RuntimeError("this Application was not built by bot.app.build_application")
    return state
