"""What the reminders' answers do: a member's 报平安 check-in, and a user found to have blocked the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.codes import ContactKind
from bot.domain.errors import PermissionDenied
from bot.i18n import DEFAULT_LOCALE, N_
from bot.services.context import Actor, Services
from bot.services.scan.batch import Batch, Contacts
from bot.services.scan.messages import LINE_BLOCKED_USER, LINE_NAME, line
from bot.storage import members as member_repo
from bot.storage import scan_repo
from bot.storage import users as user_repo


@dataclass
class CheckInResult:
    member_id: int
    name: str
    case_open: bool


async def check_in(services: Services, actor: Actor, member_id: int,
                   default_locale: str = DEFAULT_LOCALE) -> CheckInResult:
    """The member taps 报平安: a CHECK_IN contact event for today (their level goes back to in contact).

    Only the member bound to the pressing Telegram account may check in for `member_id` (the callback
    data is untrusted). If the member has an open lost-contact case, whoever answers for the branch is
    told, since a check-in is the contact regained the case has to record.
    """
    if actor.member_id is None or actor.member_id != member_id:
        raise PermissionDenied(N_("This button is for another member."))
    row = await member_repo.get_row(services.db, member_id)
    if row is None or not row["active"]:
        raise PermissionDenied(N_("This button is for another member."))
    today = services.clock.today()
    async with services.db.write(actor.label) as tx:
        await member_repo.record_contact(tx, member_id, ContactKind.CHECK_IN, today)
        case = await tx.fetchone("SELECT id FROM cases WHERE member_id = ? AND closed_on IS NULL"
                                 " AND state NOT IN ('regained', 'closed') ORDER BY id DESC LIMIT 1", (member_id,))
        if case is not None:
            orgs, roles = await scan_repo.contacts_rows(tx)
            contacts = Contacts(orgs, roles, default_locale)
            batch = Batch(today)
            batch.add("checked_in", row["branch_id"], contacts.responsible(row["branch_id"]), {},
                      line(LINE_NAME, name=row["name"]), f"case:{case[0]}")
            await batch.flush(tx)
    return CheckInResult(member_id, row["name"], case is not None)


async def note_blocked(services: Services, tg_id: int, default_locale: str = DEFAULT_LOCALE) -> bool:
    """Telegram answered 403 for this user: mark them blocked and tell who answers for them, once.

    Returns False if the user was already marked (nobody is told twice for the same blocking). The
    runtime clears the mark when the user writes to the bot again (users.set_blocked(False)).
    """
    today = services.clock.today()
    async with services.db.write("sender") as tx:
        row = await tx.fetchone("SELECT u.tg_id, u.member_id, u.blocked_at, m.name, m.branch_id FROM users u"
                                " LEFT JOIN members m ON m.id = u.member_id WHERE u.tg_id = ?", (tg_id,))
        if row is None or row["blocked_at"]:
            return False
        await user_repo.set_blocked(tx, tg_id, True)
        orgs, roles = await scan_repo.contacts_rows(tx)
        contacts = Contacts(orgs, roles, default_locale)
        if row["branch_id"] is not None:
            to_tell = [(row["branch_id"], contacts.responsible(row["branch_id"]))]
            item = line(LINE_NAME, name=row["name"])
        else:
            # A role holder who is not a member: tell whoever answers for the node above their role.
            held = await tx.fetchall("SELECT org_id FROM roles WHERE tg_id = ?", (tg_id,))
            to_tell = [(r[0], contacts.responsible(contacts.parent[r[0]]))
                       for r in held if contacts.parent.get(r[0]) is not None]
            item = line(LINE_BLOCKED_USER, tg_id=tg_id)
        batch = Batch(today)
        for org_id, recipients in to_tell:
            batch.add("blocked", org_id, [r for r in recipients if r.tg_id != tg_id], {}, item, f"user:{tg_id}")
        await batch.flush(tx)
    return True

