"""Domain errors carry an English message id and parameters; the edge translates them."""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A rule was broken. `message` is a gettext msgid with {placeholders}; `params` fill them."""

    def __init__(self, message: str, field: str | None = None, **params: Any):
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.field = field
        self.params = params

    def localized(self, tr: Any) -> str:
        return tr.gettext(self.message, **self.params)


class PermissionDenied(DomainError):
    """The acting user may not do this to this record."""


class NotFound(DomainError):
    """No such record (or not visible to the acting user)."""
