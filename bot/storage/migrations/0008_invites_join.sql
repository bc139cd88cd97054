-- Issue 15: bringing a whole branch in.
-- Member invites that can be printed again: the code is re-derived from `nonce` with a key kept outside the
-- database (see bot.storage.invites.derive_code), so the database alone still holds no usable code.
ALTER TABLE invites ADD COLUMN nonce TEXT;
-- Set when a newer invite replaced this one (--renew) or the member was unbound: the link stops working.
ALTER TABLE invites ADD COLUMN revoked_at TEXT;
CREATE INDEX invites_member ON invites(member_id, used_at, revoked_at);

-- One link per branch to post in the branch's group chat (seed 004 measure 三): expires, revocable.
CREATE TABLE join_links (
    id          INTEGER PRIMARY KEY,
    branch_id   INTEGER NOT NULL REFERENCES orgs(id),
    code_hash   TEXT NOT NULL UNIQUE,      -- sha256 of the code
    nonce       TEXT NOT NULL,             -- re-derives the code to print it again
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX join_links_branch ON join_links(branch_id, revoked_at, expires_at);

-- Every identification tried through a join link (the throttle counts them per user and per branch).
-- What was typed is never stored: only who tried, where, when, and whether it matched.
CREATE TABLE join_attempts (
    id         INTEGER PRIMARY KEY,
    branch_id  INTEGER NOT NULL,
    tg_id      INTEGER NOT NULL,
    at         TEXT NOT NULL,
    matched    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX join_attempts_user ON join_attempts(tg_id, at);
CREATE INDEX join_attempts_branch ON join_attempts(branch_id, at);

-- A join attempt that matched exactly one unbound member, waiting for a secretary's one tap.
CREATE TABLE join_requests (
    id          INTEGER PRIMARY KEY,
    branch_id   INTEGER NOT NULL REFERENCES orgs(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    tg_id       INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',   -- pending / accepted / refused / superseded
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT
);
CREATE INDEX join_requests_member ON join_requests(member_id, state);
CREATE INDEX join_requests_branch ON join_requests(branch_id, state);
