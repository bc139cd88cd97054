"""The flows one wizard conversation runs, looked up by code, by the button that starts them, by command.

Built once from the explicit list in bot.handlers.flows; two flows may not share a code, a start button
or a command (the lookups would be ambiguous), and every callback data a flow can produce must fit
Telegram's 64 bytes (checked here for the longest step key, not when a user taps).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.handlers.wizard.model import CONFIRM, Flow

CALLBACK_DATA_MAX = 64
LONGEST_VALUE = 12     # "m<id>" / "t<id>" with an id up to 11 digits, "p<page>", "today"


class Registry:
    """An ordered set of flows (the order of the "/" menu and of nothing else)."""

    def __init__(self, flows: Iterable[Flow] = ()):
        self.flows: dict[str, Flow] = {}
        self._by_start: dict[str, Flow] = {}
        self._by_command: dict[str, Flow] = {}
        for flow in flows:
            self.add(flow)

    def add(self, flow: Flow) -> Flow:
        if flow.code in self.flows:
            raise ValueError(f"two flows with the code {flow.code!r}")
        if flow.start_data in self._by_start:
            raise ValueError(f"two flows started by {flow.start_data!r}")
        if flow.command and flow.command in self._by_command:
            raise ValueError(f"two flows started by /{flow.command}")
        for step in [*flow.steps]:
            longest = f"{flow.home.prefix}:{flow.code}:{step.key}:" + "x" * LONGEST_VALUE
            if len(longest.encode()) > CALLBACK_DATA_MAX:
                raise ValueError(f"flow {flow.code}, step {step.key}: callback data may exceed 64 bytes")
        self.flows[flow.code] = flow
        self._by_start[flow.start_data] = flow
        if flow.command:
            self._by_command[flow.command] = flow
        return flow

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.flows.values())

    def get(self, code: object) -> Flow | None:
        return self.flows.get(code) if isinstance(code, str) else None

    def by_start(self, data: str) -> tuple[Flow | None, int | None]:
        """The flow a start button names, and the id it carries ("s:go:ss:42" → search flow, 42)."""
        flow = self._by_start.get(data)
        if flow is not None:
            return flow, None
        head, _, tail = data.rpartition(":")
        flow = self._by_start.get(head)
        if flow is None or flow.start_with is None or not tail.isdigit():
            return None, None
        return flow, int(tail)

    def by_command(self, command: str) -> Flow | None:
        return self._by_command.get(command.lower())

    def commands(self) -> list[str]:
        return list(self._by_command)

    def start_pattern(self) -> str:
        """The regex of every start button ("s:go:ss", "s:go:ss:42" when the flow takes an id …)."""
        parts = [re.escape(f.start_data) + (r"(?::\d+)?" if f.start_with else "") for f in self]
        return "^(?:" + "|".join(parts) + ")$"

    def answer_pattern(self) -> str:
        """The regex of every answer button of every flow (any step, back, ok)."""
        prefixes = sorted({re.escape(f.home.prefix) for f in self})
        return "^(?:" + "|".join(prefixes) + "):"

    def states(self) -> list[tuple[str, Flow, str]]:
        """(state, flow, step key or CONFIRM) of every flow."""
        return [(flow.state(key), flow, key) for flow in self for key in [*(s.key for s in flow.steps), CONFIRM]]
