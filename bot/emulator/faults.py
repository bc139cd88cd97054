"""Injected failures: the ways Telegram misbehaves that a bot must survive.

Each fault answers the next `count` matching calls instead of Telegram doing its
work: 429 with retry_after (what PTB turns into RetryAfter), 502 from the front
proxy (NetworkError), or a hang (the client's read timeout fires; the call is
then carried out anyway, as a slow Telegram would).
"""

from __future__ import annotations

from dataclasses import dataclass

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


class FaultInjector:
    def __init__(self) -> None:
        self.queue: list[Fault] = []
        self.fired: list[FiredFault] = []

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
        return None

    def clear(self) -> None:
        self.queue.clear()


BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
