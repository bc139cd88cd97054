-- Reminders: indexes for the daily scan, per-item reminder marks, and delivery bookkeeping for the outbox.

-- The scan asks "who at level L has a last contact before the cutoff", branch by branch (so that one
-- transaction, and one message per recipient, covers whole branches): the cutoff is checked on the
-- index entries, the table row is read only for the members it selects.
CREATE INDEX members_level_contact ON members(active, contact_level, branch_id, last_contact_on);
-- Flow members whose officer has not recorded contact this month (a small subset: a partial index).
CREATE INDEX members_flow_contact ON members(active, last_contact_on) WHERE is_flow = 1;

-- One row per item a reminder was raised for ("case_idle:12:2026-12-07", "deadline:3:7" …): a batched
-- message lists several items, so "told once" is kept per item here, and per message by outbox.key.
CREATE TABLE reminder_marks (
    key        TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);

-- Outbox delivery: what a message is about (for operators and tests), when the sender claimed it,
-- and the Telegram message id once Telegram accepted it.
ALTER TABLE outbox ADD COLUMN ref TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
ALTER TABLE outbox ADD COLUMN message_id INTEGER;
-- The sender picks the oldest pending message of each chat (per-chat order, fairness across chats).
CREATE INDEX outbox_pending_chat ON outbox(chat_id, id) WHERE state = 'pending';
