"""The CLI as a new operator meets it: pipes that close, lists into files, formats, defaults, help texts."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import env, make_id, roster, run, tree  # noqa: F401  (fixtures reused)

ROOT = Path(__file__).resolve().parents[1]
N_MEMBERS = 25   # more than one page of 20
BRANCHBOT = str(Path(sys.executable).with_name("branchbot"))   # the console script pip installed


def name(i: int) -> str:
    """The i-th fictional member (1-based): 王XA, 王XB … sorted as numbered."""
    return f"王X{chr(64 + i)}"


@pytest.fixture
def many(tree, env):  # noqa: F811
    """25 members in 创意园党支部 (org 3): 王XA … 王XY (names hold letters only), mobiles 13800000001 …"""
    rows = [[i, name(i), "男" if i % 2 else "女", "汉族", "", "1985.03", "大学本科",
             make_id("19850312", f"{i:03d}"), "2008.07", "2009.07", "创意园", f"138{i:08d}", ""]
            for i in range(1, N_MEMBERS + 1)]
    assert tree("import", str(roster(env / "roster.xlsx", rows)), "--branch", "3")[0] == 0
    return tree


def cli_env(env: Path) -> dict[str, str]:  # noqa: F811
    out = {k: v for k, v in os.environ.items() if not k.startswith(("BRANCHBOT_", "TELEGRAM_"))}
    out.update(BRANCHBOT_AUDIT_KEY_FILE=str(env / "keys" / "audit.key"), BRANCHBOT_LANGUAGE="en",
               BRANCHBOT_DATABASE=str(env / "branch.db"), PYTHONPATH=str(ROOT))
    return out


# --- a closed pipe --------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["member", "list"],
    ["member", "list", "--format", "json"],
    ["org", "list", "--format", "csv"],
    ["scan", "--dry-run"],
    ["--help"],
])
def test_a_closed_pipe_ends_the_command_quietly(many, env, argv):  # noqa: F811
    # The read end is closed before the child writes anything: its first write (at the latest the final
    # flush) gets EPIPE, as `branchbot member list | head -0` would.
    proc = subprocess.Popen([BRANCHBOT, *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=env, env=cli_env(env))
    proc.stdout.close()
    err = proc.stderr.read().decode()
    # argparse itself swallows a failed write of --help (its _print_message ignores OSError): quiet as well
    assert proc.wait(timeout=60) in ((141, 0) if argv == ["--help"] else (141,)), err
    assert err == ""                                    # no traceback, no "Exception ignored …"
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_head_takes_the_first_lines_and_the_rest_is_dropped(many, env):  # noqa: F811
    out = subprocess.run(f"{BRANCHBOT} member list --format csv | head -3; echo \"rc=${{PIPESTATUS[0]}}\"",
                         shell=True, executable="/bin/bash", capture_output=True, text=True, cwd=env,
                         env={**cli_env(env), "PATH": os.path.dirname(sys.executable) + ":" + os.environ["PATH"]},
                         timeout=60)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ID,Name") and lines[1].startswith("1,王XA")
    assert lines[-1] in ("rc=0", "rc=141")   # 0 when the 27 lines fit in the pipe before head quit
    assert out.stderr == ""


# --- everything into a pipe or file; formats read back -------------------------------------------------

def test_member_list_into_a_pipe_prints_every_row(many):
    code, out, _ = many("member", "list", "--branch", "3")
    assert code == 0
    names = [line.split()[1] for line in out.splitlines()[1:-1]]
    assert names == [name(i) for i in range(1, N_MEMBERS + 1)]   # ordered by name, all 25
    assert out.splitlines()[-1] == f"{N_MEMBERS} members"
    code, out, _ = many("member", "list", "--page", "2")
    assert [line.split()[1] for line in out.splitlines()[1:-1]] == [name(i) for i in range(21, 26)]
    assert "Page 2 of 2 (25 members)" in out


def test_member_list_csv_reads_back(many):
    code, out, _ = many("member", "list", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == N_MEMBERS
    first = rows[0]
    # 王XA (no. 1): odd → 男; mobile 138 00000001 masked to 3 + 4 stars + last 4; ID number 4 + 10 stars + 4
    wang = make_id("19850312", "001")
    assert first["Name"] == "王XA" and first["Gender"] == "Male" and first["Mobile"] == "138****0001"
    assert first["ID number"] == wang[:4] + "*" * 10 + wang[-4:]
    assert first["Branch"] == "3" and first["Type"] == "Full member"
    assert all(wang not in v for r in rows for v in r.values())


def test_member_list_json_reads_back_with_code_keys(many):
    code, out, _ = many("member", "list", "--format", "json", "--branch", "3")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == N_MEMBERS
    assert rows[1] == {"id": 2, "name": "王XB", "gender": "female", "id_number": rows[1]["id_number"],
                       "mobile": "138****0002", "type": "full", "branch_id": 3, "last_contact_on": None}
    assert "*" * 10 in rows[1]["id_number"]
    assert json.loads(many("member", "list", "--format", "json", "--branch", "4")[1]) == []


def test_csv_into_a_file_starts_with_a_bom_for_excel(many, env):  # noqa: F811
    path = env / "members.csv"
    with path.open("w") as fh:
        subprocess.run([BRANCHBOT, "member", "list", "--format", "csv"], stdout=fh,
                       cwd=env, env=cli_env(env), check=True, timeout=60)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Name"] for r in rows] == [name(i) for i in range(1, N_MEMBERS + 1)]


def test_org_list_formats_read_back(many):
    rows = json.loads(many("org", "list", "--format", "json")[1])
    # tree(): 1 组织部门 → 2 党工委 → 3 创意园党支部 (25 members), 4 XX社区党支部
    assert [(r["id"], r["parent_id"], r["depth"], r["members"]) for r in rows] == \
        [(1, None, 0, 0), (2, 1, 1, 0), (3, 2, 2, 25), (4, 2, 2, 0)]
    assert rows[2]["level"] == "branch" and rows[2]["category"] == "private"
    table = list(csv.DictReader(io.StringIO(many("org", "list", "--format", "csv")[1])))
    assert table[3]["Name"] == "XX社区党支部" and table[3]["Category"] == "Street or community"


def test_a_terminal_gets_a_page_and_a_hint(many, env):  # noqa: F811
    master, slave = pty.openpty()
    proc = subprocess.Popen([BRANCHBOT, "member", "list"], stdout=slave,
                            stderr=subprocess.PIPE, cwd=env, env=cli_env(env))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:   # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    lines = b"".join(chunks).decode().splitlines()
    assert len(lines) == 1 + 20 + 2                 # heading, 20 rows, the page line, the hint
    assert "Page 1 of 2 (25 members)" in lines[-2] and "--all" in lines[-1]


# --- org add --------------------------------------------------------------------------------------

def test_org_add_defaults_to_a_branch_and_lists_the_categories(tree):  # noqa: F811
    code, _, err = tree("org", "add", "XX新支部")
    assert code == 2
    lines = err.splitlines()
    assert "--category" in lines[0]
    # the nine 党组织类别 of the 填表说明, code and wording
    assert len(lines) == 10
    assert lines[1].split()[:4] == ["1", "①", "soe", "国有企业"]
    assert lines[9].split()[:4] == ["9", "⑨", "other", "其他"]
    assert "街道社区" in lines[7]
    code, out, _ = tree("org", "add", "XX新支部", "--category", "7", "--parent", "2")
    assert code == 0 and "(Party branch)" in out


# --- help texts through gettext ----------------------------------------------------------------------

def literal_help_strings(root: Path) -> list[str]:
    """`help=` / `description=` keywords whose value is a literal string (not a gettext call)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg in ("help", "description", "epilog") and isinstance(kw.value, (ast.Constant,
                                                                                            ast.JoinedStr)):
                        if not (isinstance(kw.value, ast.Constant) and kw.value.value is None):
                            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_cli_help_string_goes_through_gettext(tmp_path):
    assert literal_help_strings(ROOT / "bot" / "cli") == []
    # and the check does catch one
    (tmp_path / "x.py").write_text('p.add_argument("--now", help="act as if it were now")\n')
    assert len(literal_help_strings(tmp_path)) == 1


def test_scan_help_is_in_chinese_by_default(env, capsys, monkeypatch):  # noqa: F811
    from bot.cli import main

    monkeypatch.delenv("BRANCHBOT_LANGUAGE")
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    out = capsys.readouterr().out
    assert "--dry-run" in out and "run the contact scan" not in out
