"""The README's first command on a fresh machine with no token ends with the bot answering (issue 14).

`branchbot init && branchbot run` at a terminal, no TELEGRAM_BOT_TOKEN: `run` says a token serves real
Telegram and runs the demo against the built-in emulator. Driven through a real pseudo-terminal, as a
new user types. (Not a terminal: the one-line error and exit 2 stay, see tests/test_demo.py.)
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANCHBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(ROOT), BRANCHBOT_LANGUAGE="en", TERM="dumb")
    return env


def _read_until(fd: int, wanted: str, seen: list[str], timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:   # the child closed the terminal
                return wanted in "".join(seen)
            if not chunk:
                return wanted in "".join(seen)
            seen.append(chunk.decode("utf-8", "replace"))
        if wanted in "".join(seen):
            return True
    return False


def test_run_at_a_terminal_without_a_token_runs_the_demo_and_the_bot_answers(tmp_path):
    env = _env()
    init = subprocess.run([*BRANCHBOT, "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert init.returncode == 0, init.stderr
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([*BRANCHBOT, "run"], cwd=tmp_path, env=env, stdin=child_fd, stdout=child_fd,
                            stderr=child_fd, close_fds=True)
    os.close(child_fd)
    seen: list[str] = []
    try:
        assert _read_until(main_fd, "Type /start to begin", seen), "".join(seen)
        os.write(main_fd, b"/start\n")
        # The member's menu: the bot answered through the emulator.
        assert _read_until(main_fd, "Check-in", seen), "".join(seen)
        os.write(main_fd, b"/quit\n")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
    out = "".join(seen)
    assert "No bot token (TELEGRAM_BOT_TOKEN) is set, so this is the demo" in out
    assert "serves real Telegram" in out
    assert "Traceback" not in out


def test_run_without_a_token_and_no_terminal_keeps_the_error(monkeypatch, capsys):
    """The function itself, with isatty patched to False: CliError (exit 2), never a demo."""
    import argparse

    import pytest

    from bot.cli import CliError
    from bot.cli import run as run_cli

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("BRANCHBOT_LANGUAGE", "en")
    monkeypatch.setattr(run_cli, "_interactive", lambda: False)
    called = []
    monkeypatch.setattr(run_cli, "_demo", lambda *a: called.append(a) or 0)
    with pytest.raises(CliError, match="@BotFather"):
        run_cli.cmd_run(argparse.Namespace(webhook=None, db=None, verbose=False))
    assert called == []
    monkeypatch.setattr(run_cli, "_interactive", lambda: True)
    assert run_cli.cmd_run(argparse.Namespace(webhook=None, db=None, verbose=False)) == 0
    assert called == [(None, "member")]
    assert "serves real Telegram" in capsys.readouterr().out
