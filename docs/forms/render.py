"""Render the first page of every form, filled for the fictional committee of the tests, as a PNG.

    .venv/bin/python docs/forms/render.py            # from the repository root

Needs LibreOffice (soffice), pdftoppm (poppler-utils) and a CJK font (fonts-noto-cjk) on THIS machine only:
the PNGs are committed, so CI never installs LibreOffice. All data is made up (tests/forms_world.py).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.clock import FrozenClock  # noqa: E402
from bot.forms.registry import FormRequest  # noqa: E402
from bot.services.context import OPERATOR, Services  # noqa: E402
from bot.services import transfers_in  # noqa: E402
from bot.services.forms import export_form  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.forms_world import AS_OF, NOW, build_world  # noqa: E402

OUT = Path(__file__).resolve().parent

# (png name, form, scope, format, variant, member key)
PAGES = (
    ("roster", "roster", "branch", "xlsx", None, None),
    ("flow", "flow", "committee", "xlsx", None, None),
    ("lost", "lost", "committee", "xlsx", None, None),
    ("found", "found", "branch", "xlsx", None, None),
    ("found-detailed", "found", "branch", "xlsx", "detailed", None),
    ("unreachable", "unreachable", "committee", "xlsx", None, None),
    ("receipts", "receipts", "branch", "xlsx", None, None),
    ("member-card", "member-card", "branch", "docx", None, "周XX"),
    ("member-card-full", "member-card", "branch", "docx", "full", "周XX"),
    ("search-record", "search-record", "branch", "docx", None, "王XX"),
    ("case-record", "case-record", "branch", "docx", None, "王XX"),
)


async def export_all(work: Path) -> list[tuple[str, Path]]:
    db = Database(work / "forms.db", b"docs-render-key", FrozenClock(NOW))
    await db.open()
    try:
        w = await build_world(db)
        svc = Services(db, db.clock)
        await transfers_in.set_province(svc, OPERATOR, w.committee, "浙江")
        await transfers_in.record_transfer_in(svc, OPERATOR, w.ids["周XX"], AS_OF.replace(month=3), "南京XX党支部",
                                              "江苏", AS_OF.replace(month=3, day=5))
        files = []
        for name, form, scope, fmt, variant, member in PAGES:
            org = w.branch if scope == "branch" else w.committee
            members = (w.ids[member],) if member else ()
            path = work / f"{name}.{fmt}"
            await export_form(svc, OPERATOR, FormRequest(form, org, AS_OF, fmt=fmt, variant=variant,
                                                         member_ids=members, preparer="李XX",
                                                         phone="0571-00000000"), path)
            files.append((name, path))
        return files
    finally:
        await db.close()


def main() -> None:
    if not (shutil.which("soffice") and shutil.which("pdftoppm")):
        sys.exit("needs soffice (LibreOffice) and pdftoppm (poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, path in asyncio.run(export_all(work)):
            subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(path)],
                           check=True, capture_output=True)
            pdf = path.with_suffix(".pdf")
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(OUT / name)], check=True)
            print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
