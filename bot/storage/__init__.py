"""Persistence: one connection factory, numbered migrations, repositories and the audit trail."""

from bot.storage.db import Database, Tx

__all__ = ["Database", "Tx"]
