"""The docx writer: per-member forms, one document for a list of members with a page break between them."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Callable

from bot.forms import docx_kit
from bot.forms.model import FormDocument


def write_docx(doc: FormDocument, target: str | Path | IO[bytes],
               progress: Callable[[int, int | None], None] | None = None) -> int:
    """Render every record of the document; return how many were written."""
    assert doc.records is not None, doc.name
    records = doc.records
    out = docx_kit.new_document()
    out.core_properties.title = doc.title
    out.core_properties.author = "branchbot"
    for i, record in enumerate(records.records):
        if i:
            docx_kit.page_break(out)
        records.render(out, record, doc.meta)
        if progress and (i + 1) % 20 == 0:
            progress(i + 1, len(records.records))
    out.save(target if not isinstance(target, Path) else str(target))
    return len(records.records)
