"""Every guided conversation of the bot, declared as data (bot.handlers.wizard) and run by the one wizard
conversation. A new flow is a module here with a FLOWS tuple, added to the list below; see
docs/CONVENTIONS.md, "How to add a flow in one file".
"""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers import commands_menu
from bot.handlers.flows import cases, export, invites, member_reports, records, search, summaries
from bot.handlers.wizard import Flow, Registry
from bot.handlers.wizard.engine import build_conversation

# The order is the order of the officers' "/" menu.
FLOWS: tuple[Flow, ...] = (*member_reports.FLOWS, *search.FLOWS, *records.FLOWS, *invites.FLOWS, *cases.FLOWS,
                           *summaries.FLOWS, *export.FLOWS)


def registry() -> Registry:
    """A Registry of every flow (built anew: registering checks codes, buttons and commands are unique)."""
    return Registry(FLOWS)


def register(app: Application) -> None:
    """The wizard conversation of every flow, and the flows' commands in the "/" menu."""
    flows = registry()
    app.add_handler(build_conversation(flows))
    for flow in flows:
        if flow.command and flow.command_help:
            commands_menu.add_command(flow.command, flow.command_help)
