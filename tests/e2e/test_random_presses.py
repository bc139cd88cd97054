"""Random presses and hostile text against the whole bot, as issue 12 found them (bot in-process, emulator).

Three seeds × 1,000 actions — presses of the newest and of older buttons, forged callback data, commands,
hostile and random text, contacts, junk files — by a stranger, a bound member, an officer, a committee
user, and a member and an officer in a group, all at once. Then the same with 10 % of all Bot API calls
failing 502. Each run must end with:
  0 calls the emulator refused (e.g. 400 "message is not modified", 400 "query is too old" for a
    callback query answered twice), 0 callback queries unanswered, 0 unhandled exceptions, no ERROR
    logged, and 0 updates left without a reply.
"""

from __future__ import annotations

import logging

import pytest

from bot.telegram_retry import Backoff, RetryPolicy, retry_stats
from tests.e2e.harness import BotEnv
from tests.e2e.monkey import Monkey, Persona

ACTIONS = 1000
# Retries as in production but quicker (10 ms doubling to 50 ms): the test waits on every 502 it injects.
FAST_RETRY = RetryPolicy(max_tries=6, backoff=Backoff(base=0.01, cap=0.05), deadline=5.0)


async def world(env: BotEnv) -> list[Persona]:
    wang = await env.add_member("王XX")
    member = await env.bind_member(wang)
    officer = await env.add_secretary("李XX")
    committee = await env.add_committee_user()
    for name in ("赵XX", "孙XX", "周XX"):            # people to pick in lists and signers
        await env.add_member(name)
    stranger = env.stranger()
    group = env.group("创意园党员之家", member, officer)
    env.emu.skip_pending(member)
    return [Persona("stranger", stranger), Persona("member", member), Persona("officer", officer),
            Persona("committee", committee), Persona("member@group", member, group),
            Persona("officer@group", officer, group)]


async def run_presses(tmp_path, seed: int, caplog, fault_rate: float = 0.0) -> None:
    caplog.set_level(logging.WARNING)
    env = BotEnv(tmp_path, retry_policy=FAST_RETRY, callback_answer_window=15.0)
    await env.start()
    try:
        personas = await world(env)
        if fault_rate:
            env.emu.inject_faults_at_random("502", fault_rate, seed=seed)
        monkey = Monkey(env, seed)
        await monkey.run(personas, ACTIONS)
        await env.settle()
        fired = len(env.emu.faults_fired)
        stats = retry_stats(env.app.bot)
    finally:
        env.emu.faults.clear()
        await env.close()
    problems = env.problems()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    summary = f"seed {seed}: {monkey.counts}, 502s injected {fired}, retried {stats.retried}, gave up {stats.gave_up}"
    assert sum(p.actions for p in personas) == ACTIONS
    assert problems == [], summary + "\n" + "\n".join(problems[:40])
    assert [f"{r.name}: {r.getMessage()}" for r in errors] == [], summary
    assert "Traceback" not in caplog.text
    assert [f"{n.persona}: {n.action}" for n in monkey.no_reply] == [], summary
    assert monkey.counts.get("press", 0) > ACTIONS // 4       # it did press buttons, a lot
    if fault_rate:
        # every 502 was retried (none reached a handler), and no call ran out of tries
        assert fired > 50 and stats.retried == fired and stats.gave_up == 0
    print(summary)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_presses(tmp_path, seed, caplog):
    await run_presses(tmp_path, seed, caplog)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_presses_with_502s(tmp_path, seed, caplog):
    await run_presses(tmp_path, seed, caplog, fault_rate=0.1)
