"""The PatientGate (bot/update_gate.py): quick updates one at a time, side by side once one waits, in
arrival order, never more than the limit, and a cancelled waiter gives its place back."""

from __future__ import annotations

import asyncio

import pytest

from bot.update_gate import PatientGate


class Recorder:
    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.started: list[int] = []

    async def handle(self, gate: PatientGate, n: int, work: float) -> None:
        async with gate.admitted():
            self.started.append(n)
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await asyncio.sleep(work)
            finally:
                self.running -= 1


async def test_quick_updates_run_one_at_a_time_in_arrival_order() -> None:
    gate, rec = PatientGate(limit=8, patience=10.0), Recorder()
    await asyncio.gather(*(rec.handle(gate, n, 0) for n in range(6)))
    assert rec.most == 1
    assert rec.started == list(range(6))
    assert gate.running == 0


async def test_a_waiting_update_lets_the_others_in_up_to_the_limit() -> None:
    gate, rec = PatientGate(limit=3, patience=0.01), Recorder()
    # The first waits long (as on Telegram): after the patience the others start beside it, three at most.
    await asyncio.gather(*(rec.handle(gate, n, 0.2 if n == 0 else 0.05) for n in range(6)))
    assert rec.most == 3
    assert rec.started == list(range(6))


async def test_a_cancelled_waiter_gives_its_place_back() -> None:
    gate = PatientGate(limit=1, patience=10.0)
    token = await gate.acquire()
    waiter = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.release(token)
    assert gate.running == 0
    again = await asyncio.wait_for(gate.acquire(), 1.0)    # the place is free: admitted at once
    gate.release(again)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        PatientGate(limit=0)
    with pytest.raises(ValueError):
        PatientGate(limit=2, patience=-1)
