"""The 承诺书 (seed 004 measure 七) a member confirms before going out.

The 联心卡 (measure 六) the member receives afterwards is `bot.services.profile.branch_card`.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_

PLEDGE_VERSION = 1

# The promises of measure 七: fulfil a member's duties, observe discipline, keep in touch and report
# changes, take part in the inflow organization's life.
PLEDGE_POINTS = (
    N_("I will fulfil a Party member's duties wherever I am."),
    N_("I will observe the Party's discipline and the laws of the state."),
    N_("I will keep in touch with my branch and report every change of my work, study or residence."),
    N_("I will join the activities of the Party organization where I go, and pay my dues on time."),
)


def render_pledge(tr: Any) -> str:
    """The 承诺书 text to confirm (HTML, no user text in it)."""
    _ = tr.gettext
    body = "\n".join(f"{i}. {_(point)}" for i, point in enumerate(PLEDGE_POINTS, 1))
    return _("<b>Pledge of a member going out</b>") + "\n" + body
