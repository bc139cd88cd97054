"""Reading the seeds' printed labels, to compare the forms' header rows with them."""

from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def squash(text: str) -> str:
    return "".join(str(text or "").split())


def tab_cells(text: str, after: str, first: str, count: int) -> list[str]:
    """`count` table cells of a tab-laid seed (a cell starts with a tab; untabbed lines continue it),
    from the cell reading `first` after the line `after`; whitespace removed."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == after.strip())
    cells: list[str] = []
    started = False
    for line in lines[start + 1:]:
        if not started:
            if line.startswith("\t") and squash(line) == squash(first):
                started = True
                cells.append(squash(line))
            continue
        if line.startswith("\t"):
            if len(cells) == count:
                break
            cells.append(squash(line))
        elif line.strip():
            cells[-1] += squash(line)
    return cells[:count]


def block(text: str, start: str, end: str, occurrence: int = 1) -> str:
    """The squashed text from `start` to `end` inclusive (the n-th time `start` appears)."""
    flat = squash(text)
    i = -1
    for _ in range(occurrence):
        i = flat.index(squash(start), i + 1)
    j = flat.index(squash(end), i) + len(squash(end))
    return flat[i:j]
