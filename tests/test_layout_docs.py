"""The README's layout section names every folder of bot/ (and no folder that is gone), so the map a
newcomer reads is the tree they will find."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## How it is built"):]
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def test_the_readme_layout_matches_the_tree():
    tree = {str(p.relative_to(ROOT)) + "/" for p in (ROOT / "bot").rglob("*")
            if p.is_dir() and p.name != "__pycache__"}
    named = set(re.findall(r"^(bot/[\w/]*/)", layout_block(), flags=re.MULTILINE))
    assert "bot/handlers/wizard/" in tree, "the tree was read"
    assert tree - named == set(), "folders the README does not describe"
    assert named - tree == set(), "folders the README describes that are not there"


def test_the_flow_example_in_the_conventions_runs_and_is_the_real_dues_flow():
    from bot.handlers.flows import records
    from bot.handlers.wizard import Registry

    text = (ROOT / "docs" / "CONVENTIONS.md").read_text(encoding="utf-8")
    section = text[text.index("## How to add a flow in one file"):]
    code = section[section.index("```python") + len("```python"):section.index("```", section.index("```python") + 9)]
    namespace: dict = {}
    exec(compile(code, "CONVENTIONS.md", "exec"), namespace)   # noqa: S102 (our own documentation)
    [example] = Registry(namespace["FLOWS"])
    real = records.DUES_FLOW
    assert (example.code, example.title, example.command, example.start_data) == \
        (real.code, real.title, real.command, real.start_data)
    assert [(s.key, s.kind, s.prompt) for s in example.steps] == [(s.key, s.kind, s.prompt) for s in real.steps]
