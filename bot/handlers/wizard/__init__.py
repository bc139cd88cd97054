"""The one wizard engine of every guided conversation (see docs/CONVENTIONS.md, "How to add a flow").

- model.py     Step, Flow, Home, Listing, the step kinds and navigation: data, no Telegram
- render.py    how each kind of step and the summary look (text and keyboard)
- screen.py    Screen: what a flow's save/after hooks may do to the chat (progress, documents)
- registry.py  Registry: the flows one conversation runs, by code, start button and command
- engine.py    build_conversation(registry): the one persistent ConversationHandler
"""

from bot.handlers.wizard.model import (
    CHECKLIST, CHOICE, CONFIRM, DATE, PER_PAGE, PHONE, PICK, TEXT, Draft, Flow, Home, Item, Listing, Option, Result,
    Rows, Step, enum_options, fixed_options,
)
from bot.handlers.wizard.registry import Registry

__all__ = ["CHECKLIST", "CHOICE", "CONFIRM", "DATE", "PER_PAGE", "PHONE", "PICK", "TEXT", "Draft", "Flow", "Home",
           "Item", "Listing", "Option", "Registry", "Result", "Rows", "Step", "enum_options", "fixed_options"]
