"""Joining through the branch's join link: a member identifies themself with their name, the last six
characters of their ID number and the mobile number on the register.

When all three match exactly one unbound member of that branch, a join request goes to the branch's
secretaries (outbox, with accept / refuse buttons `j:ok:<id>` / `j:no:<id>`), or the member is bound at once
when the branch lets exact matches in (setting `join_auto_accept`). Whatever was typed, the joining user gets
the SAME answer unless they got in at once: nothing about the register can be learnt by guessing. Attempts are
throttled per user and per branch, and what was typed is never stored, logged or echoed.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import utc_iso

from bot.domain.codes import Role
from bot.domain.errors import DomainError, PermissionDenied
from bot.domain.phone import normalise_mobile
from bot.i18n import N_, translator
from bot.services.context import Actor, Services, require_branch
from bot.services.invites import AUTO_ACCEPT
from bot.services.roster import mask_id
from bot.services.scan.messages import esc
from bot.storage import invites as invite_repo
from bot.storage import join_requests as request_repo
from bot.storage import orgs as org_repo
from bot.storage import outbox as outbox_repo
from bot.storage import users as user_repo
from bot.storage.db import Database, Tx

USER_ATTEMPTS, USER_WINDOW = 5, timedelta(hours=1)
BRANCH_ATTEMPTS, BRANCH_WINDOW = 30, timedelta(hours=1)
CODE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LAST_SIX = re.compile(r"^[0-9]{5}[0-9X]$")
MENU_DATA = "c:menu"          # the core's "open the main menu" button (bot.handlers.common.MENU)

LINK_INVALID = N_("This join link is no longer valid: ask your branch secretary for the current one")
ALREADY_BOUND = N_("Your Telegram account is already connected to a member record.")
TOO_MANY = N_("Too many attempts: please wait an hour and try again")
BRANCH_BUSY = N_("Too many attempts through this link: please try again in an hour")
T_REQUEST = N_("<b>Join request for {branch}</b>\n{name} (ID number {masked}) asks to connect the Telegram "
               "account {account} to their record. The name, the last six characters of the ID number and the "
               "mobile number given match the register.")
T_ACCEPT = N_("✅ Accept")
T_REFUSE = N_("✖ Refuse")
T_ACCEPTED = N_("Welcome, {name}! The branch secretary confirmed you: you are now connected to {branch}.")
T_JOINED_AUTO = N_("Welcome, {name}! You are now connected to {branch}.")
T_REFUSED = N_("Your request to join {branch} was not accepted. If this is a mistake, speak to your branch "
               "secretary.")
T_OPEN_MENU = N_("Open the menu")


@dataclass(frozen=True)
class JoinStart:
    branch_id: int
    branch_name: str


@dataclass(frozen=True)
class JoinOutcome:
    """`joined`: bound at once (auto-accept); otherwise the one answer for every other case."""

    joined: bool
    branch_name: str
    member_id: int | None = None
    member_name: str | None = None


@dataclass(frozen=True)
class Decision:
    request_id: int
    accepted: bool
    member_id: int
    member_name: str
    tg_id: int
    branch_id: int


def clean_name(text: str) -> str:
    """Names compare without spaces and in NFKC (全角 letters, a stray space between two characters)."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def clean_last_six(text: str) -> str:
    """The last six characters of an ID number as typed: NFKC, no spaces, x → X."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).upper()


def valid_last_six(text: str) -> bool:
    return bool(LAST_SIX.fullmatch(clean_last_six(text)))


async def _link(db: Database | Tx, code: str, now: datetime) -> tuple[int, str]:
    """(branch id, branch name) of a join link in force, else the one refusal."""
    row = await invite_repo.join_link_of(db, code) if CODE.fullmatch(code or "") else None
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= utc_iso(now):
        raise DomainError(LINK_INVALID, field="join")
    org = await org_repo.get(db, row["branch_id"])
    return row["branch_id"], org.name if org else "—"


async def _throttle(db: Database | Tx, tg_id: int, branch_id: int, now: datetime) -> None:
    if await request_repo.attempts_since(db, now - USER_WINDOW, tg_id=tg_id) >= USER_ATTEMPTS:
        raise DomainError(TOO_MANY, field="throttled")
    if await request_repo.attempts_since(db, now - BRANCH_WINDOW, branch_id=branch_id) >= BRANCH_ATTEMPTS:
        raise DomainError(BRANCH_BUSY, field="throttled")


async def start_join(svc: Services, tg_id: int, code: str) -> JoinStart:
    """Check a join link opened by a Telegram user before asking them anything."""
    branch_id, name = await _link(svc.db, code, svc.clock.now())
    user = await user_repo.get_user(svc.db, tg_id)
    if user is not None and user.member_id is not None:
        raise DomainError(ALREADY_BOUND, field="bound")
    await _throttle(svc.db, tg_id, branch_id, svc.clock.now())
    return JoinStart(branch_id, name)


async def _matching_member(tx: Tx, branch_id: int, name: str, last_six: str, mobile: str) -> tuple[int, str] | None:
    """The one unbound active member of the branch matching all three, else None (none, or several)."""
    try:
        phone = normalise_mobile(mobile)
    except DomainError:
        phone = ""          # never echoed: a malformed number is just a mismatch
    six = clean_last_six(last_six)
    wanted = clean_name(name)
    rows, _total = await invite_repo.unbound_members(tx, [branch_id])
    found = []
    for member_id, _branch, member_name, id_number, member_mobile in rows:
        # compare_digest on each field: the time taken does not tell which field was wrong.
        same = [hmac.compare_digest(clean_name(member_name).encode(), wanted.encode()),
                hmac.compare_digest((id_number or "")[-6:].upper().encode(), six.encode()),
                hmac.compare_digest((member_mobile or "").encode(), phone.encode())]
        if all(same) and phone and len(six) == 6:
            found.append((member_id, member_name))
    return found[0] if len(found) == 1 else None


async def _bind(tx: Tx, tg_id: int, member_id: int, via: str) -> None:
    await user_repo.ensure_user(tx, tg_id)
    await tx.execute("UPDATE users SET member_id = ? WHERE tg_id = ?", (member_id, tg_id))
    await tx.audit("user", tg_id, "bind", None, {"member_id": member_id, "via": via})
    await request_repo.supersede_pending(tx, member_id)


async def _notice(tx: Tx, tg_id: int, key: str, msgid: str, buttons: list[tuple[str, str]], **params: str) -> None:
    """A message to one user through the outbox, in their language."""
    tr = translator(await user_repo.effective_locale(tx, tg_id))
    rows = [[{"text": tr.gettext(label), "callback_data": data} for label, data in buttons]] if buttons else None
    await outbox_repo.enqueue(tx, key, tg_id, "join", tr.gettext(msgid, **params), rows)


async def _deciders(tx: Tx, branch_id: int) -> list[int]:
    """The branch's secretaries and organizers; if it has none, the committee users nearest above it."""
    found = await user_repo.officers_of(tx, branch_id)
    if found:
        return found
    for org_id in (await org_repo.ancestors(tx, branch_id))[1:]:
        found = await user_repo.officers_of(tx, org_id, (Role.COMMITTEE, Role.SECRETARY, Role.ORGANIZER))
        if found:
            return found
    return []


async def submit_join(svc: Services, tg_id: int, code: str, name: str, last_six: str, mobile: str,
                      account: str = "") -> JoinOutcome:
    """One identification through a join link. `account` is how the Telegram user calls themself (shown to
    the secretaries). Raises DomainError only for a dead link or the throttle, never for a mismatch."""
    branch_id, branch_name = await _link(svc.db, code, svc.clock.now())
    async with svc.db.write(f"tg:{tg_id}") as tx:
        user = await user_repo.get_user(tx, tg_id)
        if user is not None and user.member_id is not None:
            raise DomainError(ALREADY_BOUND, field="bound")
        await _throttle(tx, tg_id, branch_id, tx.now)
        match = await _matching_member(tx, branch_id, name, last_six, mobile)
        await request_repo.record_attempt(tx, branch_id, tg_id, match is not None)
        if match is None:
            return JoinOutcome(False, branch_name)
        member_id, member_name = match
        if bool((await org_repo.get_settings(tx, branch_id)).get(AUTO_ACCEPT)):
            await _bind(tx, tg_id, member_id, "join_link")
            return JoinOutcome(True, branch_name, member_id, member_name)
        request_id, created = await request_repo.open_request(tx, branch_id, member_id, tg_id)
        if created:
            masked = mask_id((await tx.fetchone("SELECT id_number FROM members WHERE id = ?", (member_id,)))[0])
            for officer in await _deciders(tx, branch_id):
                await _notice(tx, officer, f"join:{request_id}:{officer}", T_REQUEST,
                              [(T_ACCEPT, f"j:ok:{request_id}"), (T_REFUSE, f"j:no:{request_id}")],
                              branch=esc(branch_name), name=esc(member_name), masked=masked or "—",
                              account=esc(account[:64] or str(tg_id)))
    return JoinOutcome(False, branch_name)


async def decide_join(svc: Services, actor: Actor, request_id: int, accept: bool) -> Decision:
    """A secretary (or an officer above) accepts or refuses a join request with one tap; the joining user
    is told through the outbox. Re-checked here: callback data is untrusted."""
    row = await request_repo.get_request(svc.db, int(request_id))
    if row is None:
        raise PermissionDenied(N_("You are not allowed to do that"))
    await require_branch(svc.db, actor, row["branch_id"])
    async with svc.db.write(actor.label) as tx:
        row = await request_repo.get_request(tx, int(request_id))
        if row["state"] != request_repo.PENDING:
            raise DomainError(N_("This request has already been decided"), field="request")
        member = await tx.fetchone("SELECT name, active FROM members WHERE id = ?", (row["member_id"],))
        org = await org_repo.get(tx, row["branch_id"])
        branch = esc(org.name if org else "—")
        conflict = False
        if accept:
            user = await user_repo.get_user(tx, row["tg_id"])
            taken = await tx.fetchone("SELECT tg_id FROM users WHERE member_id = ?", (row["member_id"],))
            conflict = taken is not None or not member["active"] or (user is not None and user.member_id is not None)
        if conflict:
            await request_repo.decide(tx, row["id"], request_repo.SUPERSEDED)
        elif accept:
            await request_repo.decide(tx, row["id"], request_repo.ACCEPTED)   # before _bind closes the others
            await _bind(tx, row["tg_id"], row["member_id"], "join_request")
            await _notice(tx, row["tg_id"], f"join:{row['id']}:answer", T_ACCEPTED, [(T_OPEN_MENU, MENU_DATA)],
                          name=esc(member["name"]), branch=branch)
        else:
            await request_repo.decide(tx, row["id"], request_repo.REFUSED)
            await _notice(tx, row["tg_id"], f"join:{row['id']}:answer", T_REFUSED, [], branch=branch)
    if conflict:   # raised after the commit: the request is closed as superseded
        raise DomainError(N_("This member is already connected to a Telegram account"), field="member")
    return Decision(row["id"], accept, row["member_id"], member["name"], row["tg_id"], row["branch_id"])


__all__ = ["JoinStart", "JoinOutcome", "Decision", "start_join", "submit_join", "decide_join", "valid_last_six",
           "clean_name", "clean_last_six", "T_JOINED_AUTO", "T_OPEN_MENU"]
