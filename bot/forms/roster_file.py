"""Kept for existing imports (`bot.cli.admin` writes the template from here): the roster lives in `bot.forms.roster`."""

from bot.forms.roster import *  # noqa: F401,F403
from bot.forms.roster import __all__  # noqa: F401
