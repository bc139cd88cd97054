"""The wizard's model without Telegram: steps, flows, navigation, answers read from callback data, and the
registry of flows. (The engine itself runs over the emulator: tests/e2e/test_wizard_engine.py.)"""

from __future__ import annotations

import pytest

from bot.domain.codes import SearchResult
from bot.handlers.wizard.model import (
    CHECKLIST, CHOICE, CONFIRM, DATE, PICK, TEXT, Flow, Home, Listing, Step, answer_parts, clamp_page,
    enum_options, fixed_options, offered_option, page_count,
)
from bot.handlers.wizard.registry import Registry
from bot.i18n import translator
from tests.test_import_cycles import import_graph


class FakeCtx:
    """What option hooks use of a HandlerCtx: a translator."""

    def __init__(self, locale: str = "en"):
        self.tr = translator(locale)

    def _(self, msgid: str, **params: object) -> str:
        return self.tr.gettext(msgid, **params)


HOME = Home(prefix="t", guard=lambda ctx: None, menu=lambda ctx: ("menu", []), button=("Menu", "c:menu"),
            interrupted="Interrupted.")


async def _no_save(ctx, draft, screen):
    return "saved", []


async def _items(ctx, draft, query, page):
    return Listing("head", [(1, "王XX"), (2, "陈XX")])


def abroad_like() -> Flow:
    """left_on → purpose → keep (only for study/labour: dropped otherwise) → reason (optional)."""
    return Flow(code="ab", title="Going abroad", home=HOME, save=_no_save, steps=(
        Step("left_on", DATE, "When?"),
        Step("purpose", CHOICE, "Why?", options=fixed_options(("study", "Study"), ("other", "Other"))),
        Step("keep", CHOICE, "Keep?", options=fixed_options(("yes", "Yes"), ("no", "No")),
             skip_if=lambda d: d.get("purpose") != "study", drop_when_skipped=True),
        Step("reason", TEXT, "Reason?", optional=True),
    ))


# ---- navigation -------------------------------------------------------------------------------------

def test_next_and_previous_skip_the_steps_that_do_not_apply():
    flow = abroad_like()
    other = {"purpose": "other"}
    assert flow.next_step(None, other).key == "left_on"
    assert flow.next_step("purpose", other).key == "reason"          # keep is skipped for a visit
    assert flow.next_step("purpose", {"purpose": "study"}).key == "keep"
    assert flow.next_step("reason", other) is None                    # the end: the summary comes next
    assert flow.previous_step(None, other).key == "reason"            # from the summary
    assert flow.previous_step(CONFIRM, other).key == "reason"
    assert flow.previous_step("reason", other).key == "purpose"       # « Back skips keep too
    assert flow.previous_step("reason", {"purpose": "study"}).key == "keep"
    assert flow.previous_step("left_on", other) is None               # before the first: the menu


def test_settle_drops_an_answer_whose_step_no_longer_applies():
    flow = abroad_like()
    draft = {"left_on": "2026-11-20", "purpose": "study", "keep": "yes"}
    flow.settle(draft)
    assert draft["keep"] == "yes"
    draft["purpose"] = "other"          # the member went back and changed the purpose
    flow.settle(draft)
    assert "keep" not in draft and draft["purpose"] == "other"


def test_a_skipped_step_keeps_an_answer_given_at_start_unless_told_otherwise():
    flow = Flow(code="du", title="Dues", home=HOME, save=_no_save, steps=(
        Step("member_id", PICK, "Who?", items=_items, skip_if=lambda d: bool(d.get("_fixed"))),
        Step("amount", TEXT, "How much?"),
    ))
    draft = {"member_id": 7, "_fixed": True}
    flow.settle(draft)
    assert draft["member_id"] == 7 and flow.next_step(None, draft).key == "amount"


def test_missing_answers_mean_the_draft_was_lost():
    flow = abroad_like()
    assert flow.missing({"purpose": "other"})                                    # no left_on
    assert not flow.missing({"left_on": "2026-11-20", "purpose": "other"})       # reason is optional
    assert flow.missing({"left_on": "2026-11-20", "purpose": "study"})           # keep applies, unanswered
    assert flow.missing({"left_on": "", "purpose": "other"})


def test_states_name_the_flow_and_the_step_once():
    flow = abroad_like()
    assert flow.states() == ["ab.left_on", "ab.purpose", "ab.keep", "ab.reason", "ab.ok"]
    assert flow.state(CONFIRM) == "ab.ok"


# ---- declarations are checked when written ------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: Step("Left On", DATE, "x"), "a-z"),
    (lambda: Step("ok", TEXT, "x"), "a-z"),
    (lambda: Step("a", "slider", "x"), "unknown kind"),
    (lambda: Step("a", CHOICE, "x"), "needs options"),
    (lambda: Step("a", CHECKLIST, "x"), "needs items"),
    (lambda: Flow(code="Search", title="x", home=HOME, save=_no_save, steps=()), "flow code"),
    (lambda: Flow(code="ab", title="x", home=HOME, save=_no_save, steps=(Step("a", TEXT, "x"), Step("a", TEXT, "y"))),
     "share a key"),
])
def test_bad_declarations_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_flow_starts_from_s_go_code_unless_told_and_builds_its_id_buttons():
    flow = abroad_like()
    assert flow.start_data == "s:go:ab"
    with pytest.raises(ValueError):
        flow.start_with_id(42)                      # it takes no id

    async def start_with(ctx, draft, item_id):
        draft["case_id"] = item_id

    approve = Flow(code="ap", title="Approve", home=HOME, save=_no_save, steps=(), start="s:case:ap",
                   start_with=start_with)
    assert approve.start_with_id(42) == "s:case:ap:42"


# ---- answers from untrusted callback data ------------------------------------------------------------

def test_answer_parts_belong_to_one_flow_only():
    flow = abroad_like()
    assert answer_parts(flow, "t:ab:purpose:study") == ["purpose", "study"]
    assert answer_parts(flow, "t:ab:back") == ["back"]
    assert answer_parts(flow, "t:ab:ok") == ["ok"]
    assert answer_parts(flow, "t:abx:purpose:study") is None       # another flow whose code starts alike
    assert answer_parts(flow, "m:ab:purpose:study") is None        # another home's prefix
    assert answer_parts(flow, "t:ab") is None


def test_only_offered_options_are_taken():
    ctx = FakeCtx("en")
    options = enum_options(SearchResult)(ctx, {})
    assert ("reached", SearchResult.REACHED.label(ctx.tr)) in options
    assert offered_option(options, "reached") == "reached"
    assert offered_option(options, "reached'; DROP TABLE") is None
    some = enum_options(SearchResult, ("lead",))(ctx, {})
    assert [v for v, _label in some] == ["lead"]
    zh = fixed_options(("yes", "Yes, I request it"), ("no", "No"))(FakeCtx("zh_CN"), {})
    assert zh[0][0] == "yes" and zh[0][1] != "Yes, I request it"   # labelled in the user's language


def test_pages_are_counted_and_forged_page_numbers_clamped():
    # 17 members at ten a page: pages 0 and 1 (17 = 10 + 7)
    assert page_count(17) == 2 and page_count(20) == 2 and page_count(21) == 3 and page_count(0) == 1
    assert clamp_page(99, 17) == 1 and clamp_page(-3, 17) == 0 and clamp_page(1, 17) == 1


# ---- the registry -------------------------------------------------------------------------------------

def _flow(code: str, **kw) -> Flow:
    return Flow(code=code, title=code, home=HOME, save=_no_save, steps=(Step("name", TEXT, "x"),), **kw)


async def _with_id(ctx, draft, item_id):
    draft["id"] = item_id


def test_registry_looks_flows_up_by_button_and_command():
    reg = Registry([_flow("fd", command="find"), _flow("ss", start_with=_with_id), _flow("mv", start="m:menu:moved")])
    assert reg.by_start("s:go:fd") == (reg.get("fd"), None)
    assert reg.by_start("s:go:ss:42") == (reg.get("ss"), 42)
    assert reg.by_start("s:go:fd:42") == (None, None)           # fd takes no id
    assert reg.by_start("s:go:ss:abc") == (None, None)
    assert reg.by_start("m:menu:moved") == (reg.get("mv"), None)
    assert reg.by_command("FIND") is reg.get("fd") and reg.by_command("search") is None
    assert reg.commands() == ["find"]
    assert reg.get(["fd"]) is None                             # a draft's flow that is not even a string
    import re
    pattern = re.compile(reg.start_pattern())
    assert pattern.match("s:go:ss:42") and pattern.match("s:go:fd") and pattern.match("m:menu:moved")
    assert not pattern.match("s:go:fd:42") and not pattern.match("s:go:ssx") and not pattern.match("s:go:ss:4a")
    assert re.match(reg.answer_pattern(), "t:ss:name:x") and not re.match(reg.answer_pattern(), "c:menu")
    assert [s for s, _f, _k in reg.states()] == ["fd.name", "fd.ok", "ss.name", "ss.ok", "mv.name", "mv.ok"]


@pytest.mark.parametrize("flows, message", [
    ([_flow("fd"), _flow("fd")], "code"),
    ([_flow("fd", start="m:menu:x"), _flow("ss", start="m:menu:x")], "started by 'm:menu:x'"),
    ([_flow("fd", command="find"), _flow("ss", command="find")], "/find"),
])
def test_registry_refuses_ambiguous_flows(flows, message):
    with pytest.raises(ValueError, match=message):
        Registry(flows)


def test_registry_refuses_callback_data_that_could_exceed_64_bytes():
    long_home = Home(prefix="committee:approvals", guard=HOME.guard, menu=HOME.menu, button=HOME.button,
                     interrupted="x")
    # "committee:approvals:ap:" (23) + a 24-character key + ":" + 12 characters of value = 60: fits
    Registry([Flow(code="ap", title="x", home=long_home, save=_no_save, steps=(Step("a" * 24, TEXT, "x"),))])
    longer = Home(prefix="committee:approvals:queue", guard=HOME.guard, menu=HOME.menu, button=HOME.button,
                  interrupted="x")
    # 29 + 24 + 1 + 12 = 66 bytes: refused when the flow is registered, not when a user taps
    with pytest.raises(ValueError, match="64 bytes"):
        Registry([Flow(code="ap", title="x", home=longer, save=_no_save, steps=(Step("a" * 24, TEXT, "x"),))])


# ---- no Telegram in the model ---------------------------------------------------------------------------

def test_the_model_imports_nothing_of_telegram():
    """model.py and everything of bot/ it imports, followed through: no python-telegram-bot."""
    import ast
    from pathlib import Path

    graph = import_graph()
    root = Path(__file__).resolve().parents[1]
    seen, todo = set(), ["bot.handlers.wizard.model", "bot.handlers.wizard.registry"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(graph[module])
    assert "bot.handlers.common" not in seen and len(seen) >= 3
    for module in seen:
        path = root / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = root / module.replace(".", "/") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "telegram" for n in names), (module, names)
