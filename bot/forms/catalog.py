"""Every form the bot and the CLI can fill, by number: the one list (`branchbot export --list`, /export).

A new form is a module with its FormSpec, added to FORMS below (the summary tables add theirs here).
"""

from __future__ import annotations

from bot.domain.errors import DomainError
from bot.forms.records import case_record, member_card, search_record
from bot.forms.registers import flow, lost_registers, receipts, roster
from bot.forms.registry import FormSpec
from bot.i18n import N_

FORMS: tuple[FormSpec, ...] = (
    roster.SPEC, flow.SPEC, lost_registers.LOST, lost_registers.FOUND, lost_registers.UNREACHABLE,
    member_card.SPEC, search_record.SPEC, case_record.SPEC, receipts.SPEC,
)


def catalog() -> list[FormSpec]:
    """Every form, by number."""
    return sorted(FORMS, key=lambda s: s.number)


def get(name: str) -> FormSpec:
    """The form called `name` (its CLI name), or a DomainError naming the list."""
    spec = next((s for s in FORMS if s.name == name), None)
    if spec is None:
        raise DomainError(N_("No form called “{name}”: see “branchbot export --list”"), field="form", name=name[:40])
    return spec
