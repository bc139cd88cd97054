"""Bringing a whole branch in, over the emulator (issue 15): the secretary's 邀请党员, the sheet of every
unbound member, the join link and its requests, unbinding — in both languages, with no full ID number and no
phone number in any message to the joining user or in the logs."""

from __future__ import annotations

import io
import logging
import re

from openpyxl import load_workbook

from bot.i18n import translator

ZH = translator("zh_CN")
EN = translator("en")
LINK = re.compile(r"https://t\.me/branchbot_test_bot\?start=([A-Za-z0-9_-]+)")


def data_of(message) -> list[str]:
    return [b["callback_data"] for b in message.inline_buttons()]


async def id_and_mobile(bot_env, member_id: int) -> tuple[str, str]:
    row = await bot_env.db.fetchone("SELECT id_number, mobile FROM members WHERE id = ?", (member_id,))
    return row[0], row[1]


async def test_a_secretary_invites_one_member_who_binds_with_the_link(bot_env, caplog):
    caplog.set_level(logging.DEBUG)
    wang = await bot_env.add_member(name="王XX")
    await bot_env.add_member(name="李YY")
    secretary = await bot_env.add_secretary(name="李XX")
    branch = bot_env.branch_id

    [menu] = await bot_env.tap(secretary, "s:menu")
    # 王XX, 李YY and 李XX (the secretary) are active; only 李XX is bound.
    assert ZH.gettext("Connected to the bot: {bound}/{total}", bound=1, total=3) in menu.text
    assert "已绑定 1/3" in menu.text
    [invite_menu] = await bot_env.tap(secretary, "j:menu")          # one branch: straight to its menu
    assert "创意园党支部" in invite_menu.text and "1/3" in invite_menu.text
    [page] = await bot_env.tap(secretary, f"j:ul:{branch}:0")
    assert data_of(page)[1] == f"j:inv:{wang}" and f"j:find:{branch}" in data_of(page)
    labels = [b["text"] for b in page.inline_buttons()]
    assert labels[0].startswith("李YY") and labels[1].startswith("王XX")   # by name: 李 U+674E < 王 U+738B

    [picture] = await bot_env.tap(secretary, f"j:inv:{wang}", message=page)
    assert picture.document_name == f"invite-{wang}.png" and picture.document.startswith(b"\x89PNG")
    id_number, mobile = await id_and_mobile(bot_env, wang)
    assert id_number not in picture.caption and mobile not in picture.caption
    assert id_number[:4] + "*" * 10 + id_number[-4:] in picture.caption
    code = LINK.search(picture.caption).group(1)

    phone_owner = bot_env.user("王XX", "zh-hans")
    [welcome] = await bot_env.say(phone_owner, f"/start {code}")
    assert "王XX" in welcome.text and "m:menu:outflow" in data_of(welcome)
    assert await bot_env.member_id_of(phone_owner) == wang
    [back] = await bot_env.tap(secretary, f"j:menu:{branch}", message=page)   # « Back (the same message, edited)
    [menu] = await bot_env.tap(secretary, "s:menu", message=back)
    assert "已绑定 2/3" in menu.text
    assert id_number not in caplog.text and mobile not in caplog.text
