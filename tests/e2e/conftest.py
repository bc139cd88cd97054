"""The `bot_env` fixture: a running bot, an emulator, a database and a fictional org tree.

Mark a test `@pytest.mark.reminders` to also start the reminders (bot.reminders.start_reminders).
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import BotEnv


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reminders: start bot.reminders in the e2e bot_env")


@pytest.fixture
async def bot_env(tmp_path, request):
    env = BotEnv(tmp_path, reminders=request.node.get_closest_marker("reminders") is not None)
    await env.start()
    try:
        yield env
    finally:
        await env.close()
    problems = env.problems()
    if problems:
        pytest.fail("end-to-end checks failed:\n  " + "\n  ".join(problems), pytrace=False)
