"""`branchbot run --webhook` as deployed behind a reverse proxy: the real CLI in a subprocess, the emulator
setting its webhook and POSTing updates to it (standing in for Telegram and the proxy), the secret token
checked on every request.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from bot.clock import FrozenClock
from bot.domain.codes import OrgCategory, OrgLevel
from bot.domain.member import Member
from bot.domain.org import Organization
from bot.emulator import Emulator
from bot.storage import Database
from bot.storage import members as member_repo
from bot.storage import orgs as org_repo
from bot.storage import users as user_repo
from tests.e2e.harness import fictional_id_number

ROOT = Path(__file__).resolve().parent.parent
BRANCHBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
TOKEN = "5550001111:WEBHOOK-test-token"
SECRET = "s3cret_Token-for-tests"
KEY = "webhook-test-audit-key"
PUBLIC_URL = "https://bot.example.org/tg/hook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def register_member(path: Path, tg_id: int) -> None:
    clock = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    async with Database(path, KEY.encode(), clock) as db:
        async with db.write("cli:test") as tx:
            branch = await org_repo.add(tx, Organization(name="创意园党支部", level=OrgLevel.BRANCH,
                                                         category=OrgCategory.PRIVATE))
            member_id = await member_repo.insert(tx, Member(
                branch_id=branch, name="王XX", id_number=fictional_id_number(date(1985, 3, 9), 12),
                joined_on=date(2010, 7, 1), confirmed_on=date(2011, 7, 1)),
                # in contact today, by the real clock the bot runs on: its start-up scan must flag nobody
                last_contact_on=datetime.now(ZoneInfo("Asia/Shanghai")).date())
            await user_repo.ensure_user(tx, tg_id)
            await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (member_id, tg_id))


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_run_with_a_webhook_answers_updates_and_refuses_a_wrong_secret(tmp_path):
    port = free_port()
    async with Emulator(token=TOKEN, bot_username="branchbot_test_bot") as emu:
        user = emu.add_user(first_name="Wang", language_code="zh-hans", started=True)
        await register_member(tmp_path / "branchbot.db", user.id)
        emu.webhook_proxy = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
        env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=emu.base_url,
                   BRANCHBOT_DATABASE=str(tmp_path / "branchbot.db"), BRANCHBOT_AUDIT_KEY=KEY,
                   BRANCHBOT_WEBHOOK_SECRET=SECRET)
        proc = await asyncio.create_subprocess_exec(
            *BRANCHBOT, "run", "--webhook", PUBLIC_URL, "--port", str(port), cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await wait_until(lambda: emu.state.webhook.get("url") == PUBLIC_URL or proc.returncode is not None,
                             30, "setWebhook")
            assert proc.returncode is None, (await proc.stderr.read()).decode()
            assert emu.state.webhook["secret_token"] == SECRET

            # Telegram (through the proxy) delivers a message; the bot answers over the Bot API.
            await emu.send_text(user, "/me")
            await wait_until(lambda: emu.messages_to(user), 30, "the reply to /me")
            reply = emu.last_message_to(user)
            assert "王XX" in reply.text and "创意园党支部" in reply.text
            # (a first delivery may meet a server still starting, as with Telegram: it is retried)
            assert all(f.startswith("ClientConnectorError") for f in emu.webhook_failures), emu.webhook_failures
            assert emu.updates.pending == []
            assert emu.calls_of("getUpdates") == []                  # no polling in webhook mode

            # Anyone else posting to the bot's port without the secret is turned away, and nothing runs.
            sent_before = emu.call_count("sendMessage")
            forged = {"update_id": 1, "message": {"message_id": 9, "date": 0, "text": "/me",
                                                  "chat": {"id": user.id, "type": "private"},
                                                  "from": {"id": user.id, "is_bot": False, "first_name": "X"}}}
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(f"http://127.0.0.1:{port}/tg/hook", json=forged, headers=headers) as r:
                        assert r.status == 403
            await asyncio.sleep(0.5)
            assert emu.call_count("sendMessage") == sent_before
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, stderr.decode()[-2000:]
        assert "Traceback" not in stderr.decode()
        for secret in (TOKEN, SECRET, KEY):                          # nothing secret in the logs
            assert secret not in stderr.decode() and secret not in stdout.decode()
