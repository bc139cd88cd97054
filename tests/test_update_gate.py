"""The update gate (bot.update_gate): one update at a time while each is quick, side by side once one waits.

The handlers here are stand-ins: a quick one yields a few times, a slow one sleeps as a Telegram round trip or
an export would. What is asserted is who ran beside whom and in which order, never how fast.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.update_gate import PatientGate


class Recorder:
    def __init__(self, gate: PatientGate):
        self.gate = gate
        self.started: list[str] = []
        self.most = 0

    async def run(self, name: str, seconds: float = 0.0) -> None:
        token = await self.gate.acquire()
        try:
            self.started.append(name)
            self.most = max(self.most, self.gate.running)
            if seconds:
                await asyncio.sleep(seconds)
            else:
                for _ in range(3):
                    await asyncio.sleep(0)
        finally:
            self.gate.release(token)


async def test_quick_updates_run_one_after_another_in_arrival_order():
    rec = Recorder(PatientGate(limit=8, patience=0.5))
    await asyncio.gather(*(rec.run(f"u{i}") for i in range(20)))
    assert rec.most == 1
    assert rec.started == [f"u{i}" for i in range(20)]


async def test_an_update_that_waits_lets_the_others_run_beside_it_up_to_the_limit():
    # 王XX's export takes a while; the nine members' taps behind it must not wait for it to finish.
    rec = Recorder(PatientGate(limit=4, patience=0.05))
    slow = asyncio.create_task(rec.run("export", seconds=2.0))
    await asyncio.sleep(0)
    quick = [asyncio.create_task(rec.run(f"tap{i}", seconds=0.2)) for i in range(9)]
    await asyncio.gather(*quick)
    assert not slow.done()                       # every tap was handled while the export still ran
    assert rec.most == 4                         # never more than the limit at once
    assert rec.started == ["export"] + [f"tap{i}" for i in range(9)]
    await slow


async def test_patience_zero_is_plain_concurrency():
    rec = Recorder(PatientGate(limit=3, patience=0))
    await asyncio.gather(*(rec.run(f"u{i}", seconds=0.05) for i in range(6)))
    assert rec.most == 3


async def test_a_cancelled_waiter_takes_no_place_and_the_next_one_runs():
    gate = PatientGate(limit=2, patience=10)
    first = await gate.acquire()
    waiter = asyncio.create_task(gate.acquire())
    after = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.release(first)
    token = await asyncio.wait_for(after, 1)
    assert gate.running == 1
    gate.release(token)
    assert gate.running == 0


def test_limits_are_checked():
    with pytest.raises(ValueError):
        PatientGate(limit=0)
    with pytest.raises(ValueError):
        PatientGate(limit=2, patience=-1)
