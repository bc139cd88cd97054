-- Telegram updates whose change to the register is committed. The first audited change made while an
-- update is handled writes its update_id here in the same transaction, so an update Telegram delivers
-- again after a crash (the bot died before confirming it with the next getUpdates offset) is recognised
-- and not applied a second time. Rows older than Telegram keeps updates (24 h) are pruned at start.
CREATE TABLE applied_updates (
    update_id  INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
CREATE INDEX applied_updates_at ON applied_updates (applied_at);
