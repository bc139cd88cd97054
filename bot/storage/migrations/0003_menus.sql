-- The "/" menu a user's own chat was last given (NULL: none of its own, the default menus apply;
-- 'officer:<locale>': the member and officer commands in that language). A role granted or revoked from
-- the CLI, which cannot reach Telegram, is then noticed at the user's next message or the next start.
ALTER TABLE users ADD COLUMN menu TEXT;
