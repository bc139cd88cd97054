"""Reminders in the chat: the member's one-tap 报平安, and the secretary's reminder settings.

Callback data (prefix r:, untrusted — the services re-check who may do what):
    r:ok:<member_id>                 the check-in button of the 失控 reminder (only that member may press it)
    r:v:<org_id>                     show the reminder settings of a branch
    r:set:<org_id>:<code>:<value>    set one setting to an absolute value (a repeated tap changes nothing)
Command: /reminders — the settings of the branch(es) the user is secretary of (a committee user: their
node, whose settings the branches below inherit); /reminders <setting> <value> for an exact value.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain.codes import Role
from bot.domain.errors import DomainError
from bot.handlers.common import HandlerCtx, answer, edit_or_reply, member_required, officer_required, reply
from bot.handlers.markup import esc, int_part, parse_cb
from bot.i18n import N_
from bot.services.scan.checkin import check_in
from bot.services.scan.settings import BOUNDS, ReminderSettings, change_reminder_setting, reminder_settings
from bot.storage import orgs as org_repo

# Short codes keep callback data under 64 bytes.
CODES = {"st": "scan_time", "oc": "out_of_control_months", "lm": "lost_months", "rd": "receipt_days",
         "ci": "case_idle_days", "fd": "flow_reminder_day", "rl": "removal_lead_days", "dw": "digest_weekday"}
KEYS = {v: k for k, v in CODES.items()}
STEPS = {"out_of_control_months": 1, "lost_months": 1, "receipt_days": 5, "case_idle_days": 1,
         "flow_reminder_day": 1, "removal_lead_days": 5, "digest_weekday": 1}
LABELS = {
    "scan_time": N_("Daily scan at"),
    "out_of_control_months": N_("Out of contact after (months)"),
    "lost_months": N_("Lost contact after (months)"),
    "receipt_days": N_("Transfer receipt expected within (days)"),
    "case_idle_days": N_("Idle case reminder after (days)"),
    "flow_reminder_day": N_("Flow members: monthly reminder on day"),
    "removal_lead_days": N_("Removal warning (days ahead)"),
    "digest_weekday": N_("Weekly summary on"),
}
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
            N_("Sunday"))
T_TITLE = N_("Reminder settings for {org}")
T_HINT = N_("Tap − or + to change a value, or send an exact one, e.g. /reminders scan_time 08:30.")
T_NONE = N_("You are not the secretary of a branch.")
T_PICK = N_("Which branch?")
T_USAGE = N_("Settings: {names}")
T_THANKS = N_("Thank you, {name}! Your branch now knows you are well.")
T_THANKS_CASE = N_("Thank you, {name}! Your branch now knows you are well and will be in touch.")


async def _settable_orgs(ctx: HandlerCtx) -> list[int]:
    """Nodes whose settings this user may change: where they are secretary, or a committee user."""
    return sorted({org for role, org in ctx.actor.roles if role in (Role.SECRETARY, Role.COMMITTEE)})


def _value_text(ctx: HandlerCtx, key: str, value: Any) -> str:
    if key == "digest_weekday":
        return ctx._(WEEKDAYS[int(value) % 7])
    return str(value)


def _shift_time(hhmm: str, minutes: int) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    total = max(6 * 60, min(22 * 60, h * 60 + m + minutes))
    return f"{total // 60:02d}{total % 60:02d}"


def _settings_view(ctx: HandlerCtx, org_id: int, org_name: str, conf: ReminderSettings) -> tuple[str, list]:
    lines = [ctx._(T_TITLE, org=esc(org_name)), ""]
    rows: list[list[tuple[str, str]]] = []
    for key, label in LABELS.items():
        value = getattr(conf, key)
        lines.append(f"{ctx._(label)}: <b>{esc(_value_text(ctx, key, value))}</b>")
        code = KEYS[key]
        if key == "scan_time":
            rows.append([("−1h", f"r:set:{org_id}:{code}:{_shift_time(value, -60)}"),
                         ("−15m", f"r:set:{org_id}:{code}:{_shift_time(value, -15)}"),
                         ("+15m", f"r:set:{org_id}:{code}:{_shift_time(value, 15)}"),
                         ("+1h", f"r:set:{org_id}:{code}:{_shift_time(value, 60)}")])
            continue
        low, high = BOUNDS[key]
        step = STEPS[key]
        if key == "digest_weekday":
            down, up = (value - 1) % 7, (value + 1) % 7
        else:
            down, up = max(low, value - step), min(high, value + step)
        rows.append([(f"{ctx._(label)} − → {_value_text(ctx, key, down)}", f"r:set:{org_id}:{code}:{down}"),
                     (f"+ → {_value_text(ctx, key, up)}", f"r:set:{org_id}:{code}:{up}")])
    lines += ["", ctx._(T_HINT)]
    return "\n".join(lines), rows


async def _show(update: Update, ctx: HandlerCtx, org_id: int, *, edit: bool) -> None:
    conf = await reminder_settings(ctx.services, ctx.actor, org_id, ctx.settings.timezone)
    org = await org_repo.get(ctx.db, org_id)
    text, rows = _settings_view(ctx, org_id, org.name if org else str(org_id), conf)
    if edit:
        await edit_or_reply(update, ctx, text, rows)
    else:
        await reply(update, ctx, text, rows)


@officer_required
async def cmd_reminders(update: Update, context: Any, ctx: HandlerCtx) -> None:
    orgs = await _settable_orgs(ctx)
    if not orgs:
        await reply(update, ctx, ctx._(T_NONE))
        return
    args = list(context.args or [])
    if args:
        org_id = orgs[0]
        if len(args) == 3 and args[0].isdigit():
            org_id = int(args.pop(0))
        if len(args) != 2 or args[0] not in KEYS:
            await reply(update, ctx, ctx._(T_USAGE, names=", ".join(KEYS)))
            return
        try:
            await change_reminder_setting(ctx.services, ctx.actor, org_id, args[0], args[1], ctx.settings.timezone)
        except DomainError as err:
            await reply(update, ctx, "⚠️ " + ctx.error_text(err))
            return
        await _show(update, ctx, org_id, edit=False)
        return
    if len(orgs) == 1:
        await _show(update, ctx, orgs[0], edit=False)
        return
    names = []
    for org_id in orgs[:20]:
        org = await org_repo.get(ctx.db, org_id)
        names.append([(org.name if org else str(org_id), f"r:v:{org_id}")])
    await reply(update, ctx, ctx._(T_PICK), names)


@officer_required
async def on_settings_button(update: Update, context: Any, ctx: HandlerCtx) -> None:
    parts = parse_cb(update.callback_query.data)
    org_id = int_part(parts, 2)
    if org_id is None:
        await answer(update, ctx)
        return
    try:
        if parts[1] == "set":
            key = CODES.get(parts[3] if len(parts) > 3 else "")
            raw = parts[4] if len(parts) > 4 else ""
            if key is None:
                await answer(update, ctx)
                return
            value = f"{raw[:2]}:{raw[2:]}" if key == "scan_time" and len(raw) == 4 else raw
            await change_reminder_setting(ctx.services, ctx.actor, org_id, key, value, ctx.settings.timezone)
        await _show(update, ctx, org_id, edit=True)
    except DomainError as err:
        await answer(update, ctx, ctx.error_text(err)[:190], alert=True)


@member_required
async def on_check_in(update: Update, context: Any, ctx: HandlerCtx) -> None:
    member_id = int_part(parse_cb(update.callback_query.data), 2)
    if member_id is None:
        await answer(update, ctx)
        return
    try:
        result = await check_in(ctx.services, ctx.actor, member_id, ctx.settings.default_language)
    except DomainError as err:
        await answer(update, ctx, ctx.error_text(err)[:190], alert=True)
        return
    thanks = T_THANKS_CASE if result.case_open else T_THANKS
    await edit_or_reply(update, ctx, ctx._(thanks, name=esc(result.name)))
    if result.case_open:   # the secretary's notice was queued: send it now rather than at the next poll
        from bot.reminders import reminders_of

        reminders = reminders_of(context.application)
        if reminders is not None:
            reminders.sender.kick()


def register(app: Application) -> None:
    app.add_handler(CommandHandler("reminders", cmd_reminders))
    app.add_handler(CallbackQueryHandler(on_check_in, pattern=r"^r:ok:"))
    app.add_handler(CallbackQueryHandler(on_settings_button, pattern=r"^r:(v|set):"))
