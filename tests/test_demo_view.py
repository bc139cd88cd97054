"""What the demo's terminal shows for what a phone shows: toasts, alerts, documents, edits in place."""

from __future__ import annotations

import io

from bot.demo import Terminal, file_size
from bot.emulator import BotMessage, Emulator
from bot.emulator.state import CallbackRecord
from bot.i18n import translator


def terminal() -> tuple[Terminal, io.StringIO, Emulator]:
    emu = Emulator(token="1:demo-view")
    member = emu.add_user("陈XX", started=True)
    out = io.StringIO()
    term = Terminal(emu, app=None, users={"member": member}, names={member.id: "陈XX"}, phones={},
                    tr=translator("zh_CN"), out=out)
    return term, out, emu


def test_a_document_shows_its_name_and_size_and_an_edit_is_marked():
    term, out, emu = terminal()
    uid = term.user.id
    # 2,560 bytes = 2.5 KB (2560 / 1024); the caption goes under the file
    doc = BotMessage(message_id=7, chat_id=uid, text=None, raw_text=None, parse_mode=None, caption="失联党员名册",
                     document=b"x" * 2560, document_name="名册.xlsx")
    term.show(doc, uid)
    edited = BotMessage(message_id=3, chat_id=uid, text="谢谢！", raw_text="谢谢！", parse_mode=None, event="edited")
    term.show(edited, uid)
    lines = out.getvalue().splitlines()
    assert lines[0] == "  🤖 📎 [文件 名册.xlsx，2.5 KB]"
    assert lines[1] == "     失联党员名册"
    assert lines[2] == "  🤖 ✎ 谢谢！"
    assert [file_size(n) for n in (900, 1024, 1536, 3 * 1024 * 1024)] == ["900 B", "1.0 KB", "1.5 KB", "3.0 MB"]


def test_callback_answers_show_as_a_toast_or_an_alert():
    term, out, emu = terminal()
    for qid, answer in (("1", {"text": "已保存"}), ("2", {"text": "至少两名正式党员", "show_alert": True}),
                        ("3", {})):
        emu.state.callbacks[qid] = CallbackRecord(qid, term.user, None, "x", 0.0, answered=True, answer=answer)
        term.show_answer(qid)
    assert out.getvalue().splitlines() == ["  💬 已保存", "  ⚠️ 至少两名正式党员  [确定]"]
