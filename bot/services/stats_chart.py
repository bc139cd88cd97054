"""The /stats chart: a PNG drawn with matplotlib's Agg backend, labels in the reader's language.

Chinese labels need a CJK font. `cjk_font()` looks for one among the fonts matplotlib knows; with none,
`render_png` returns None and the caller sends the numbers alone (a chart of empty boxes helps nobody).
The bot reports a missing font once at start-up (`warn_if_no_cjk_font`).
"""

from __future__ import annotations

import functools
import io
import logging
import warnings
from typing import Any

from bot.i18n import N_
from bot.services.stats import NodeStats

log = logging.getLogger(__name__)

# Families known to carry the CJK Unified Ideographs, most common on Linux first.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Source Han Sans SC", "Source Han Sans CN", "Droid Sans Fallback", "AR PL UMing CN",
                "AR PL UKai CN", "SimHei", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Serif CJK SC")
_PROBE = "党员失联"


class MissingGlyph(RuntimeError):
    """matplotlib drew a box for a character the font does not have."""


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font family on this machine that has Chinese glyphs, or None."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    found = _first_with_glyphs(font_manager.fontManager.ttflist, FT2Font)
    if found is None:
        # matplotlib's font cache predates a font installed since (the CI step installs one): add the
        # system's CJK font files to it and look again.
        for path in font_manager.findSystemFonts():
            if any(k in path.lower() for k in ("cjk", "wqy", "hei", "han", "droid", "uming", "ukai")):
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # noqa: BLE001 - an unreadable file is no font
                    continue
        found = _first_with_glyphs(font_manager.fontManager.ttflist, FT2Font)
    return found


def _first_with_glyphs(fonts: list, ft2font: type) -> str | None:
    by_name = {f.name: f.fname for f in fonts}
    candidates = [(name, by_name[name]) for name in CJK_FAMILIES if name in by_name]
    candidates += [(f.name, f.fname) for f in fonts
                   if any(k in f.name for k in ("CJK", "Hei", "Han Sans", "Ming", "Kai", "Song"))]
    for name, path in candidates:
        try:
            font = ft2font(path)
            if all(font.get_char_index(ord(ch)) for ch in _PROBE):
                return name
        except Exception:  # an unreadable font file is no font  # noqa: BLE001
            continue
    return None


def warn_if_no_cjk_font() -> bool:
    """Log once that charts are off because no CJK font is installed; True if a font was found."""
    if cjk_font() is None:
        log.warning("No CJK font found: /stats sends numbers without a chart. Install one, e.g. "
                    "apt-get install fonts-wqy-microhei (see README, set-up).")
        return False
    return True


def _bars(stats: NodeStats, tr: Any) -> list[tuple[str, int, str]]:
    bars = [
        (tr.gettext(N_("Members on the register")), stats.members, "#4c72b0"),
        (tr.gettext(N_("In contact")), stats.in_contact, "#55a868"),
        (tr.gettext(N_("Out of contact over one month")), stats.out_of_control, "#dd8452"),
        (tr.gettext(N_("Lost contact over six months")), stats.lost, "#c44e52"),
        (tr.gettext(N_("Flow members")), stats.flow, "#8172b3"),
        (tr.gettext(N_("Transfers without receipt")), stats.transfers_without_receipt, "#937860"),
        (tr.gettext(N_("Search attempts this month")), stats.attempts_this_month, "#64b5cd"),
    ]
    for state, n in sorted(stats.open_cases.items()):
        bars.append((tr.gettext(N_("Open cases: {state}"), state=state_label(state, tr)), n, "#da8bc3"))
    return bars


def state_label(state: str, tr: Any) -> str:
    """A case state in the reader's language (an unknown state is shown as stored)."""
    labels = {"searching": N_("searching"), "reached": N_("reached"), "unreachable": N_("unreachable"),
              "investigated": N_("investigated"), "proposed": N_("proposed"), "regained": N_("reached"),
              "pre_reviewed": N_("pre-reviewed"), "dept_pre_reviewed": N_("pre-reviewed by the department"),
              "resolved": N_("resolved by the branch meeting"), "approved": N_("approved")}
    return tr.gettext(labels[state]) if state in labels else state


def render_png(stats: NodeStats, tr: Any, font: str | None = None) -> bytes | None:
    """The chart as PNG bytes, or None when no CJK font is installed.

    Raises MissingGlyph if matplotlib reports a character the font lacks (never send boxes).
    """
    font = font or cjk_font()
    if font is None:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bars = _bars(stats, tr)
    fig = Figure(figsize=(7, 0.45 * len(bars) + 1.4), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [b[0] for b in bars][::-1]
    values = [b[1] for b in bars][::-1]
    ax.barh(labels, values, color=[b[2] for b in bars][::-1])
    for y, v in enumerate(values):
        ax.text(v, y, f" {v}", va="center", fontsize=9, fontfamily=font)
    ax.set_title(tr.gettext(N_("{org} on {date}"), org=stats.org_name, date=stats.as_of.isoformat()),
                 fontfamily=font)
    for label in ax.get_yticklabels():
        label.set_fontfamily(font)
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    buf = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:   # matplotlib warns on each glyph it cannot draw
        warnings.simplefilter("always")
        fig.tight_layout()
        fig.savefig(buf, format="png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    if missing:
        raise MissingGlyph(missing[0])
    return buf.getvalue()
