"""Injected failures: the ways Telegram misbehaves that a bot must survive.

Each fault answers the next `count` matching calls instead of Telegram doing its
work: 429 with retry_after (what PTB turns into RetryAfter), 502 from the front
proxy (NetworkError), or a hang (the client's read timeout fires; the call is
then carried out anyway, as a slow Telegram would).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS = ("429", "502", "timeout")


@dataclass
class Fault:
    kind: str
    count: int
    method: str | None = None  # lower-case; None matches every method
    retry_after: int = 1
    delay: float = 30.0

    def matches(self, method: str) -> bool:
        return self.count > 0 and (self.method is None or self.method == method.lower())


@dataclass
class FiredFault:
    kind: str
    method: str


@dataclass
class RandomFaults:
    """A share of all calls (or of some methods) fails, drawn from a seeded generator: a flaky Bot API."""

    kind: str
    probability: float
    rng: random.Random
    methods: frozenset[str] | None = None     # lower-case; None: every method
    exclude: frozenset[str] = field(default_factory=frozenset)
    retry_after: int = 1
    delay: float = 30.0

    def draw(self, method: str) -> Fault | None:
        low = method.lower()
        if low in self.exclude or (self.methods is not None and low not in self.methods):
            return None
        if self.rng.random() >= self.probability:
            return None
        return Fault(self.kind, 1, low, self.retry_after, self.delay)


class FaultInjector:
    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.fired: list[FiredFault] = []
        self.random: RandomFaults | None = None

    def at_random(self, kind: str, probability: float, *, seed: int = 0, methods: list[str] | None = None,
                  exclude: list[str] = (), retry_after: int = 1, delay: float = 30.0) -> RandomFaults:
        """From now on each call (of `methods`, or any but `exclude`) fails with `probability`; 0 stops it."""
        if str(kind) not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r}")
        self.random = RandomFaults(str(kind), probability, random.Random(seed),
                                   frozenset(m.lower() for m in methods) if methods is not None else None,
                                   frozenset(m.lower() for m in exclude), retry_after, delay) \
            if probability > 0 else None
        return self.random

    def add(self, kind: str, count: int = 1, method: str | None = None,
            retry_after: int = 1, delay: float = 30.0) -> Fault:
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {kind!r}")
        fault = Fault(kind, count, method.lower() if method else None, retry_after, delay)
        self.queue.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        for fault in self.queue:
            if fault.matches(method):
                fault.count -= 1
                self.fired.append(FiredFault(fault.kind, method))
                if fault.count == 0:
                    self.queue.remove(fault)
                return fault
        if self.random is not None:
            fault = self.random.draw(method)
            if fault is not None:
                self.fired.append(FiredFault(fault.kind, method))
                return fault
        return None

    def clear(self) -> None:
        self.queue.clear()
        self.random = None


BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
