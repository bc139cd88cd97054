"""The reminder texts (gettext msgids) and how one message is put together for one recipient.

Messages are HTML, like every message of the bot (bot.app sets parse_mode HTML): every parameter
is escaped when the line is rendered, so a name or a title typed by a user is shown as typed and
never read as markup. A message that lists members is split so that no part grows past a
readable length (and far below Telegram's 4,096 characters).
"""

from __future__ import annotations

import html
from datetime import date
from functools import lru_cache
from string import Formatter
from json.encoder import encode_basestring
from typing import Any, Callable

from bot.i18n import N_, translator

LINES_PER_MESSAGE = 30

# kind → header msgid; {params} come from the group (thresholds of the branch …).
HEADERS: dict[str, str] = {
    "out_of_control": N_("No contact for more than {months} month(s): please reach these members and "
                         "record the contact in the bot."),
    "lost": N_("No contact for more than {months} months: these members are now in the lost-contact "
               "register and a lost-contact case has been opened for each. A formal search must begin: "
               "record every attempt in the bot."),
    "transfer_no_receipt": N_("Transfers out with no receipt after {days} days: please confirm with the "
                              "receiving Party organization that the relationship has landed. These members "
                              "are marked at risk of becoming “pocket” members."),
    "case_idle": N_("Lost-contact cases with no search attempt logged in the last {days} days:"),
    "flow_contact": N_("Flow members with no contact recorded this month ({month}): please reach them "
                       "and record the contact:"),
    "removal_ahead": N_("Membership suspended because the member cannot be reached: removal as having "
                        "left the Party becomes due soon, unless contact is regained:"),
    "removal_due": N_("Two years of suspension without contact have passed: removal as having left the "
                      "Party is now due for:"),
    "deadline": N_("Campaign deadlines ahead:"),
    "blocked": N_("These people have blocked the bot, so its reminders no longer reach them. Please keep "
                  "in touch another way:"),
    "checked_in": N_("These members checked in through the bot, but their lost-contact case is still "
                     "open: record the contact regained on the case:"),
}

PART = N_("(part {part} of {parts})")

LINE_LAST_CONTACT = N_("{name}: last contact {date} ({days} days ago)")
LINE_NO_CONTACT = N_("{name}: no contact on record (entered {date})")
LINE_TRANSFER = N_("{name}: transferred to {org} on {date}")
LINE_CASE_ATTEMPT = N_("{name}: case opened {opened}, last search attempt {last}")
LINE_CASE_NO_ATTEMPT = N_("{name}: case opened {opened}, no search attempt yet")
LINE_REMOVAL = N_("{name}: suspended since {since}, removal due {due}")
LINE_DEADLINE = N_("{stage}: {title}, due {date} (in {days} days)")
LINE_DEADLINE_TODAY = N_("{stage}: {title}, due today ({date})")
LINE_NAME = N_("{name}")
LINE_BLOCKED_USER = N_("Telegram user {tg_id}")

CHECK_IN_TEXT = N_("Hello {name}, we have not heard from you for a while. Tap the button below to let "
                   "your branch know you are well, or write to your branch secretary if anything has changed.")
CHECK_IN_BUTTON = N_("I'm fine (check in)")

STAGES = {
    "study_deploy": N_("Study and deployment"),
    "central_check": N_("Central check"),
    "dispose": N_("Disposition"),
    "summarize": N_("Summary and consolidation"),
}


@lru_cache(maxsize=None)
def template(locale: str, msgid: str) -> str:
    """The translated message (cached: the scan renders many lines with a handful of templates)."""
    return translator(locale).gettext(msgid)


@lru_cache(maxsize=None)
def formatter(locale: str, msgid: str, fields: tuple[str, ...]) -> Callable[[tuple], str]:
    """The translated template as a function of the values of `fields`, in that order: what
    `.format(**dict(zip(fields, values)))` gives, at half the cost where every placeholder is a plain
    {field} (then it is a %-format: the backlog formats 150,000 lines); values must be escaped."""
    text = template(locale, msgid)
    fmt, order = [], []
    for literal, field, spec, conversion in Formatter().parse(text):
        fmt.append(literal.replace("%", "%%"))
        if field is None:
            continue
        if spec or conversion or field not in fields:      # not plain: format it the usual way
            return lambda values: text.format_map(dict(zip(fields, values)))
        fmt.append("%s")
        order.append(fields.index(field))
    percent = "".join(fmt)
    if order == list(range(len(fields))):
        return percent.__mod__
    return lambda values: percent % tuple([values[i] for i in order])     # a translation reorders them


class DaysSince(dict):
    """Days from each ISO date to `today`, computed once per date (a chunk of 20,000 members has a few
    hundred distinct last-contact dates): the {days} of a list line."""

    def __init__(self, today: date):
        super().__init__()
        self.today = today

    def __missing__(self, iso: str) -> int:
        days = self[iso] = (self.today - date.fromisoformat(iso)).days
        return days


class Line:
    """One item of a list message, rendered in each recipient's language.

    `params` must already be escaped for HTML (build lines with `line()`, which escapes; the scan's
    hot path escapes the one user-typed value itself). `translate` names parameters that are msgids
    themselves (a campaign stage), translated per recipient.
    """

    __slots__ = ("msgid", "params", "translate")

    def __init__(self, msgid: str, params: dict[str, Any], translate: tuple[str, ...] = ()):
        self.msgid = msgid
        self.params = params
        self.translate = translate

    def render(self, locale: str) -> str:
        params = self.params
        if self.translate:
            params = {**params, **{k: esc(template(locale, params[k])) for k in self.translate}}
        return template(locale, self.msgid).format_map(params)


def line(msgid: str, translate: tuple[str, ...] = (), **params: Any) -> Line:
    return Line(msgid, {k: esc(v) for k, v in params.items()}, translate)


def item(locale: str | None, msgid: str, fields: tuple[str, ...], values: tuple) -> Line | str:
    """A list item: the text at once when it goes to one recipient (`locale`: theirs, the usual case:
    one secretary, one officer), else a Line rendered for each. `values` are escaped already (`esc` on
    text typed by users; dates and numbers need none). The scan's checks list tens of thousands."""
    if locale is not None:
        return formatter(locale, msgid, fields)(values)
    return Line(msgid, dict(zip(fields, values)))


def esc(value: Any) -> Any:
    """Escape text for parse_mode HTML (numbers pass through for their format specs)."""
    if value.__class__ is str and ("&" in value or "<" in value or ">" in value):
        return html.escape(value, quote=False)
    return value


def render_list(locale: str, kind: str, header_params: dict[str, Any], lines: list[Line | str]) -> list[str]:
    """The message(s) listing `lines` under the header of `kind`, split into parts."""
    header = _header(locale, kind, tuple(header_params.items()))
    chunks = [lines[i:i + LINES_PER_MESSAGE] for i in range(0, len(lines), LINES_PER_MESSAGE)] or [[]]
    out = []
    for n, chunk in enumerate(chunks, 1):
        head = header if len(chunks) == 1 else f"{header} {translator(locale).gettext(PART, part=n, parts=len(chunks))}"
        # A str item was rendered for this recipient already (see run._contact_line).
        texts = [item if item.__class__ is str else item.render(locale) for item in chunk]
        out.append(f"{head}\n\n• " + "\n• ".join(texts) if texts else f"{head}\n")
    return out


@lru_cache(maxsize=4096)
def _header(locale: str, kind: str, params: tuple[tuple[str, Any], ...]) -> str:
    """A list's header in `locale` (the scan's thousands of lists share a few: same kind, same thresholds)."""
    return translator(locale).gettext(HEADERS[kind], **{k: esc(v) for k, v in params})


@lru_cache(maxsize=None)
def _check_in_button(locale: str) -> str:
    """The JSON of the check-in's button up to the member id, per locale."""
    return (', "buttons": [[{"text": ' + encode_basestring(translator(locale).gettext(CHECK_IN_BUTTON))
            + ', "callback_data": "r:ok:')


def check_in_payload(locale: str, name: str, member_id: int) -> str:
    """The outbox payload (bot.storage.outbox.payload_json of render_check_in) without building the
    message's objects: the scan queues tens of thousands of check-ins at once."""
    text = formatter(locale, CHECK_IN_TEXT, ("name",))((esc(name),))
    return '{"text": ' + encode_basestring(text) + _check_in_button(locale) + str(int(member_id)) + '"}]]}'


def render_check_in(locale: str, name: str, member_id: int) -> tuple[str, list[list[dict[str, str]]]]:
    tr = translator(locale)
    return (tr.gettext(CHECK_IN_TEXT, name=esc(name)),
            [[{"text": tr.gettext(CHECK_IN_BUTTON), "callback_data": f"r:ok:{member_id}"}]])
