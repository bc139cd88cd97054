"""`branchbot demo` driven as a subprocess with scripted stdin, as a new user would try it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The `branchbot` entry point, run by this interpreter (`python -m bot.cli` would load bot.cli twice).
BRANCHBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def run_demo(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([*BRANCHBOT, "demo", *args], input=script, text=True,
                          capture_output=True, timeout=120, cwd=cwd, env=env)


def test_the_demo_in_chinese_as_a_member_then_as_the_secretary(tmp_path):
    result = run_demo("/start\n/me\n#2\n/card\n/as secretary\n/start\n/quit\n", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr
    assert "陈XX › /start" in out
    assert "[1] 外出流动  [2] 返回" in out                       # buttons numbered, one row per line
    assert re.search(r"身份证号码: 1101\*{10}\d{3}[\dX]", out)    # /me masks the ID number
    assert "✎ 请选择要办理的事项" in out                           # #2 on /me pressed 菜单: the message edited
    assert "支部书记: 李XX 13800000001" in out                     # the 联心卡
    assert "李XX › /start" in out and "[10] 支部工作" in out        # the secretary's menu has officer work


def test_the_demo_in_english_ends_at_end_of_input(tmp_path):
    result = run_demo("/start\n#9\n#42\n/as nobody\n", "--lang", "en", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Contact card · 创意园党支部" in out
    assert "There is no button 42 on the last message." in out
    assert "Type /as member or /as secretary." in out


def test_run_without_a_token_says_how_to_get_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["BRANCHBOT_LANGUAGE"] = "en"
    # stdin not a terminal (a service manager, a pipe): the clear error stays; a terminal gets the demo
    # (tests/test_first_run.py).
    result = subprocess.run([*BRANCHBOT, "run"], text=True, capture_output=True, timeout=60,
                            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == ""
    assert "@BotFather" in lines[0] and "TELEGRAM_BOT_TOKEN" in lines[0] and "branchbot demo" in lines[0]
