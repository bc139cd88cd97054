"""The forms the bot and the CLI can fill: one FormSpec per official form, named as the CLI names them.

A form module registers its spec at import; `catalog()` imports every module listed in FORM_MODULES
(the summary tables add theirs to that tuple). A spec's `build` receives a read-only `queries.Reader`, the request and the resolved scope (the
organization node and every node under it, from one recursive query) and returns a FormDocument whose
rows may be a lazy iterator over that reader; `bot.forms.output` writes it. Builders are synchronous:
the export use case runs build + write in a worker thread, off the bot's event loop.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from bot.domain.errors import DomainError
from bot.i18n import N_

REGISTER, PER_MEMBER, SUMMARY = "register", "per_member", "summary"

FORM_MODULES = (
    "bot.forms.registers.roster",
    "bot.forms.registers.flow",
    "bot.forms.registers.lost_registers",
    "bot.forms.registers.receipts",
    "bot.forms.records.member_card",
    "bot.forms.records.search_record",
    "bot.forms.records.case_record",
    "bot.forms.summary.forms",          # lost-summary, disposition-summary, disposition-stats (issue 11)
)


@dataclass(frozen=True)
class Scope:
    """The organization node a form is filled for, and the branches under it (itself if a branch)."""

    org_id: int
    name: str
    level: str
    category: str
    org_ids: tuple[int, ...]            # the node and every node below it
    names: dict[int, str]               # org id → name, for "所在党支部" columns
    categories: dict[int, str]          # org id → OrgCategory key (党组织类别)
    province: str | None = None         # the node's province setting, or the nearest above (省内 / 省外)
    parent_name: str | None = None      # the node above (the 名册's "党（工）委" line)

    @property
    def is_subtree(self) -> bool:
        """More than one node: registers then name each member's branch."""
        return len(self.org_ids) > 1


@dataclass(frozen=True)
class FormRequest:
    form: str
    org_id: int
    as_of: date                                  # 填表日期
    fmt: str = "xlsx"
    member_ids: tuple[int, ...] = ()             # per-member forms: these members (empty: every one that qualifies)
    variant: str | None = None
    since: date | None = None                    # start of the period a register covers (found, receipts)
    preparer: str = ""                           # 填表人
    phone: str = ""                              # 联系电话 of the 填表人
    by_branch: bool = False                      # summaries: one row per branch (csv)


Builder = Callable[[Any, FormRequest, Scope], Any]


@dataclass(frozen=True)
class FormSpec:
    number: int
    name: str
    title: str
    seed: str
    kind: str
    formats: tuple[str, ...]
    build: Builder
    variants: tuple[str, ...] = ()
    needs_member: bool = False          # per-member forms: a member must be picked (or all that qualify)

    @property
    def default_format(self) -> str:
        return self.formats[0]


_FORMS: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    _FORMS[spec.name] = spec
    return spec


def catalog() -> list[FormSpec]:
    """Every registered form, by number (imports the form modules on first use)."""
    # By name, at first use: each form module imports this one to register itself, so importing them here
    # at the top would be a cycle. Every module listed must exist: nothing is skipped.
    for module in FORM_MODULES:
        importlib.import_module(module)
    return sorted(_FORMS.values(), key=lambda s: s.number)


def get(name: str) -> FormSpec:
    catalog()
    spec = _FORMS.get(name)
    if spec is None:
        raise DomainError(N_("No form called “{name}”: see “branchbot export --list”"), field="form", name=name[:40])
    return spec


def check_request(spec: FormSpec, req: FormRequest) -> None:
    """The format and variant must be ones the form offers."""
    if req.fmt not in spec.formats:
        raise DomainError(N_("The form {name} comes as {formats}, not {fmt}"), field="format", name=spec.name,
                          formats=", ".join(spec.formats), fmt=req.fmt[:10])
    if req.variant and req.variant not in spec.variants:
        raise DomainError(N_("The form {name} has no variant “{variant}”"), field="variant", name=spec.name,
                          variant=req.variant[:20])
