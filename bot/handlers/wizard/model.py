"""What a guided conversation is, as data: steps, flows, the draft, and how to move between steps.

No Telegram here (no `telegram` import): the engine (bot.handlers.wizard.engine) runs these, the renderer
(bot.handlers.wizard.render) draws them, and the flows (bot.handlers.flows) declare them.

A flow is a list of steps and a handful of hooks. The draft is a JSON-able dict kept in user_data (it is
persisted with the conversation, see bot.handlers.persistence): {"flow": <code>, <step key>: <answer>, …}.
Keys starting with "_" are not answers: "_ui" is the engine's (the page and the typed search of the step on
screen), others a flow's own (e.g. "_fixed": the member was given by the button that started the flow).
The conversation state (PTB's, persisted) is "<flow code>.<step key>" or "<flow code>.ok" on the summary:
the step on screen is kept there and only there.

Hooks take `ctx` (bot.handlers.common.HandlerCtx: services, actor, translator) and the draft; a hook refuses
by raising bot.domain.errors.DomainError (its `field` names the step to ask again).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.domain.codes import CodedEnum
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.handlers.common import HandlerCtx
    from bot.handlers.wizard.screen import Screen
else:
    HandlerCtx = Any
    Screen = Any

# Step kinds (each has its renderer in bot.handlers.wizard.render).
PICK = "pick"            # one item of a list (paged), or type to search it
CHECKLIST = "checklist"  # tick items of a list (paged), then Done
CHOICE = "choice"        # one of a few options (buttons)
DATE = "date"            # a typed date, or Today / Yesterday (/ Skip)
TEXT = "text"            # typed text (one line, or multiline up to max_len)
PHONE = "phone"          # a mobile number: typed, or the user's own contact shared (a reply keyboard)
KINDS = (PICK, CHECKLIST, CHOICE, DATE, TEXT, PHONE)
TYPED = (TEXT, DATE, PHONE)       # kinds whose answer is typed (a photo there: "answer the question")

CONFIRM = "ok"           # the summary's place in the state, and its button's word in callback data
DRAFT = "wizard"         # user_data key of the draft
UI = "_ui"               # the draft's engine-only part: {"page": n, "query": text}
PER_PAGE = 10

Draft = dict[str, Any]
Item = tuple[int, str]                    # (id, plain-text label) offered by a PICK or CHECKLIST step
Option = tuple[str, str]                  # (value, display text) offered by a CHOICE step
Rows = list[list[tuple[str, str]]]        # inline keyboard rows of (label, callback data)
Result = tuple[str, Rows]                 # an HTML text and its keyboard

CODE = re.compile(r"^[a-z][a-z0-9]{0,5}$")
STEP_KEY = re.compile(r"^[a-z][a-z_]{0,23}$")


@dataclass(frozen=True)
class Listing:
    """What a PICK/CHECKLIST step offers now: a line above the buttons and the items.

    With `total` None, `items` is the whole list and the engine pages it (PER_PAGE a page). A hook whose
    service pages by itself returns the requested page only, with `total` the size of the whole list."""

    head: str
    items: list[Item]
    total: int | None = None


@dataclass(frozen=True)
class Home:
    """Where a family of flows starts from and returns to (the member menu, the branch work menu …).

    prefix   callback data of the family's answers: <prefix>:<flow>:<step>:<value>, <prefix>:<flow>:back|ok
    guard    who may run these flows: (ctx) → None, or the msgid of the refusal (may be async)
    menu     (ctx) → (text, rows): the screen « Back on the first step returns to
    button   (label msgid, callback data): the one button back home under a result or a refusal
    interrupted   msgid shown (with the menu) when a draft was lost
    Starting a flow of another home while one is open closes it with a note; within a home, a new start
    simply replaces the open flow (the user chose it from the same menu)."""

    prefix: str
    guard: Callable[[HandlerCtx], Any]
    menu: Callable[[HandlerCtx], Result]
    button: tuple[str, str]
    interrupted: str


# ---- hooks' signatures (documentation; plain callables) --------------------------------------------
Parse = Callable[[Any, HandlerCtx, Draft], Any]                  # value (text/ISO date) → value, or raise
Items = Callable[[HandlerCtx, Draft, "str | None", int], Awaitable[Listing]]   # (ctx, draft, query, page)
Accept = Callable[[HandlerCtx, Draft, Any], Awaitable[None]]     # re-check the answer, fill the draft
Options = Callable[[HandlerCtx, Draft], list[Option]]


@dataclass(frozen=True)
class Step:
    """One question. `key` names the draft field, the state and the callback data (a-z and _)."""

    key: str
    kind: str
    prompt: str                                  # msgid; "{max}" becomes max_len
    optional: bool = False                       # TEXT/DATE: a skip button (the answer is then None)
    skip_label: str = N_("Skip")
    max_len: int = 200                           # TEXT (DATE and PHONE: 40)
    multiline: bool = False                      # TEXT
    quick: bool = True                           # DATE: Today / Yesterday buttons
    allow_future: bool = False                   # DATE
    options: Options | None = None               # CHOICE
    per_row: int = 1                             # buttons per row (CHOICE, PICK; CHECKLIST uses 2)
    parse: Parse | None = None                   # TEXT/PHONE: cleaned text → value; DATE: ISO date → value
    items: Items | None = None                   # PICK, CHECKLIST
    accept: Accept | None = None                 # any kind: runs on the draft with the answer in it
    preset: Callable[[HandlerCtx, Draft, list[Item]], list[int]] | None = None   # CHECKLIST: ticked at first
    bulk: bool = False                           # CHECKLIST: Tick all / Untick all
    note: Callable[[HandlerCtx, Draft], str] | None = None    # HTML under the prompt (e.g. the pledge)
    skip_if: Callable[[Draft], bool] | None = None            # not asked when true (e.g. given at start)
    drop_when_skipped: bool = False              # a skipped step's earlier answer is removed from the draft

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"step {self.key}: unknown kind {self.kind!r}")
        if not STEP_KEY.match(self.key) or self.key == CONFIRM:
            raise ValueError(f"step key {self.key!r}: a-z and _, at most 24, not {CONFIRM!r}")
        if self.kind == CHOICE and self.options is None:
            raise ValueError(f"step {self.key}: a CHOICE needs options")
        if self.kind in (PICK, CHECKLIST) and self.items is None:
            raise ValueError(f"step {self.key}: a {self.kind} needs items")

    def applies(self, draft: Draft) -> bool:
        return not (self.skip_if and self.skip_if(draft))


@dataclass(frozen=True)
class Flow:
    """A guided conversation: steps, the summary to confirm, and the hooks around them.

    code       a-z0-9, ≤ 6: in callback data and in the state
    title      msgid, on top of every step
    home       the Home (menu, guard, callback prefix) it belongs to
    summary    (ctx, draft) → HTML lines of the summary (escape user text)
    save       async (ctx, draft, screen) → (text, rows): the result message; raise DomainError to refuse
    start      callback data that starts it (default "s:go:<code>"; with start_with, also "<start>:<id>")
    command    a /command that starts it (its arguments are typed into the first PICK/TEXT step)
    command_help   msgid for the "/" menu (officers' menu)
    guard      overrides home.guard (e.g. a role at an organization level)
    start_with async (ctx, draft, id): the id of the button that started it (re-check it!)
    init       async (ctx, draft): before the first step
    after      async (ctx, draft, screen): after the result is shown (e.g. the 联心卡 after an outflow)
    confirm    False: save right after the last step (a search, a one-tap report)
    aliases    DomainError field → step key to ask again
    """

    code: str
    title: str
    home: Home
    steps: tuple[Step, ...]
    save: Callable[[HandlerCtx, Draft, Screen], Awaitable[Result]]
    summary: Callable[[HandlerCtx, Draft], list[str]] = lambda ctx, draft: []
    start: str | None = None
    command: str | None = None
    command_help: str | None = None
    guard: Callable[[HandlerCtx], Any] | None = None
    start_with: Callable[[HandlerCtx, Draft, int], Awaitable[None]] | None = None
    init: Callable[[HandlerCtx, Draft], Awaitable[None]] | None = None
    after: Callable[[HandlerCtx, Draft, Screen], Awaitable[None]] | None = None
    confirm: bool = True
    aliases: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not CODE.match(self.code):
            raise ValueError(f"flow code {self.code!r}: a-z then a-z0-9, at most 6")
        keys = [s.key for s in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"flow {self.code}: two steps share a key")
        if self.start is None:
            object.__setattr__(self, "start", f"s:go:{self.code}")

    @property
    def start_data(self) -> str:
        assert self.start is not None
        return self.start

    def start_with_id(self, item_id: int) -> str:
        """The callback data of a button that starts this flow on `item_id` (needs start_with)."""
        if self.start_with is None:
            raise ValueError(f"flow {self.code} has no start_with")
        return f"{self.start_data}:{int(item_id)}"

    def step(self, key: str | None) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def next_step(self, after: str | None, draft: Draft) -> Step | None:
        """The first step after `after` (None: from the start) that applies to the draft; None: the end."""
        keys = [s.key for s in self.steps]
        start = keys.index(after) + 1 if after in keys else 0
        return next((s for s in self.steps[start:] if s.applies(draft)), None)

    def previous_step(self, before: str | None, draft: Draft) -> Step | None:
        """The step before `before` (None or CONFIRM: the last one) that applies; None: before the first."""
        keys = [s.key for s in self.steps]
        end = keys.index(before) if before in keys else len(keys)
        return next((s for s in reversed(self.steps[:end]) if s.applies(draft)), None)

    def settle(self, draft: Draft) -> None:
        """Remove the answers of steps that no longer apply and say so (drop_when_skipped)."""
        for s in self.steps:
            if s.drop_when_skipped and not s.applies(draft):
                draft.pop(s.key, None)

    def missing(self, draft: Draft) -> bool:
        """A required answer is missing (a draft lost or tampered with): the flow must start again."""
        return any(draft.get(s.key) in (None, "") and not s.optional for s in self.steps if s.applies(draft))

    def state(self, step_key: str) -> str:
        """The conversation state of a step (or of the summary: CONFIRM)."""
        return f"{self.code}.{step_key}"

    def states(self) -> list[str]:
        return [self.state(s.key) for s in self.steps] + [self.state(CONFIRM)]


# ---- answers to steps, read from untrusted callback data -------------------------------------------

def answer_parts(flow: Flow, data: str) -> list[str] | None:
    """The parts after "<prefix>:<code>:" of callback data meant for this flow, or None (another flow's,
    another family's, or forged)."""
    head = f"{flow.home.prefix}:{flow.code}:"
    if not data.startswith(head):
        return None
    return data[len(head):].split(":")


def offered_option(options: Sequence[Option], value: str) -> str | None:
    """A tapped CHOICE value if this step offers it now, else None."""
    return value if any(v == value for v, _label in options) else None


def enum_options(enum: type[CodedEnum], keys: Sequence[str] = ()) -> Options:
    """CHOICE options from a code table (all its members, or those with these keys), labelled in the
    user's language."""

    def options(ctx: HandlerCtx, draft: Draft) -> list[Option]:
        return [(m.value, m.label(ctx.tr)) for m in enum if not keys or m.value in keys]

    return options


def fixed_options(*pairs: tuple[str, str]) -> Options:
    """CHOICE options from (value, msgid) pairs."""

    def options(ctx: HandlerCtx, draft: Draft) -> list[Option]:
        return [(value, ctx._(msgid)) for value, msgid in pairs]

    return options


def page_count(total: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-total // per_page))


def clamp_page(page: int, total: int, per_page: int = PER_PAGE) -> int:
    """A page number (possibly forged) within 0 … pages-1."""
    return min(max(page, 0), page_count(total, per_page) - 1)
