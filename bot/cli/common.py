"""What every `branchbot` command shares: the one place that opens the database (from --db or the settings),
and the one way an error reaches the operator — a single localized line on stderr and exit code 2.

A command module (admin, members, run, scan …) imports from here, never from another command module, and
`bot.cli` (the package) imports the command modules: the arrows point one way.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sqlite3
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import DomainError
from bot.i18n import N_, Translator, translator
from bot.services.context import Services
from bot.storage.db import Database

EXIT_ERROR = 2
NO_DATABASE = N_("No database at {path}: run “branchbot init” first")
NOT_USABLE = N_("The database could not be used: {reason}")
NOT_SQLITE = N_("{path} is not an SQLite database")
NO_AUDIT_KEY = N_("The audit key file {path} is missing: set BRANCHBOT_AUDIT_KEY or restore the key file")


class CliError(Exception):
    """An error to report in one line with a non-zero exit code (the message is already localized)."""


def operator_tr() -> Translator:
    """The operator's language (BRANCHBOT_LANGUAGE): every line a command prints is in it."""
    return translator(Settings().default_language)


@dataclass
class Ctx:
    """What a command runs with: settings, the operator's translator, the open database."""

    settings: Settings
    tr: Translator
    db_path: Path
    svc: Services

    @property
    def db(self) -> Database:
        return self.svc.db


def db_path(args: argparse.Namespace, settings: Settings) -> Path:
    """--db, else BRANCHBOT_DATABASE (default data/branchbot.db)."""
    return Path(args.db) if getattr(args, "db", None) else Path(settings.database)


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def check_database_file(path: Path, tr: Translator, *, create: bool = False) -> None:
    """Refuse a missing database (unless `create`) or a file that is not SQLite, with a one-line reason."""
    if not create and not path.exists():
        raise CliError(tr.gettext(NO_DATABASE, path=str(path)))
    if path.is_file() and path.stat().st_size and not is_sqlite(path):
        # Checked here because a connection that fails its first PRAGMA is left open and keeps the process alive.
        raise CliError(tr.gettext(NOT_USABLE, reason=tr.gettext(NOT_SQLITE, path=str(path))))


def database(args: argparse.Namespace, settings: Settings, tr: Translator, clock: Clock, *,
             create: bool = False) -> tuple[Database, Path]:
    """The Database of --db / the settings, checked and with its audit key, not opened yet (`run` opens it
    on PTB's event loop). Raises CliError with the reason in the operator's language."""
    path = db_path(args, settings)
    check_database_file(path, tr, create=create)
    try:
        key = settings.audit_key_bytes(create=False)
    except FileNotFoundError:
        raise CliError(tr.gettext(NO_AUDIT_KEY, path=str(settings.audit_key_file))) from None
    return Database(path, key, clock), path


@asynccontextmanager
async def session(args: argparse.Namespace, create: bool = False, clock: Clock | None = None) -> AsyncIterator[Ctx]:
    """Open the database (it must exist unless `create`) with the audit key; close it afterwards."""
    settings = Settings()
    tr = translator(settings.default_language)
    clock = clock or Clock(settings.timezone)
    db, path = database(args, settings, tr, clock, create=create)
    try:
        await db.open()
        yield Ctx(settings, tr, path, Services(db, clock))
    finally:
        await db.close()


def as_cli_error(exc: BaseException) -> CliError | None:
    """A DomainError or an unusable database as a one-line CliError in the operator's language."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, DomainError):
        return CliError(exc.localized(operator_tr()))
    if isinstance(exc, sqlite3.DatabaseError):   # not a database file, a locked or read-only one …
        return CliError(operator_tr().gettext(NOT_USABLE, reason=exc))
    return None


def command(coro: Callable[[argparse.Namespace], Awaitable[int | None]]) -> Callable[[argparse.Namespace], int]:
    """Run an async command; a DomainError or a database error becomes a one-line CliError."""

    @functools.wraps(coro)
    def run(args: argparse.Namespace) -> int:
        try:
            return int(asyncio.run(coro(args)) or 0)
        except (DomainError, sqlite3.DatabaseError) as exc:
            raise as_cli_error(exc) from None  # type: ignore[misc]

    return run


# ---- printing ----------------------------------------------------------------------------------------

def display_width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def parse_code(enum: Any, value: str, tr: Translator) -> Any:
    """A code table value typed by the operator (key or official code), or a CliError naming it."""
    try:
        return enum.parse(value)
    except DomainError as exc:
        raise CliError(exc.localized(tr)) from None
