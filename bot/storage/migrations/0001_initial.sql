-- The register. Instants are UTC ISO-8601 text; calendar dates are ISO dates.

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,             -- OrgLevel
    category    TEXT NOT NULL,             -- OrgCategory
    parent_id   INTEGER REFERENCES orgs(id),
    card_note   TEXT,
    settings    TEXT NOT NULL DEFAULT '{}' -- per-branch thresholds, scan time, policy, language
);
CREATE INDEX orgs_parent ON orgs(parent_id);

CREATE TABLE members (
    id               INTEGER PRIMARY KEY,
    branch_id        INTEGER NOT NULL REFERENCES orgs(id),
    name             TEXT NOT NULL,
    id_number        TEXT UNIQUE,
    mobile           TEXT,
    member_type      TEXT NOT NULL,
    birth_date       TEXT,
    record           TEXT NOT NULL,        -- the whole Member as JSON (pydantic)
    active           INTEGER NOT NULL DEFAULT 1,   -- 0 once out of the Party (出党) or transferred and landed
    is_flow          INTEGER NOT NULL DEFAULT 0,
    officer_id       INTEGER REFERENCES members(id), -- 指定专人 for a flow member
    last_contact_on  TEXT,                 -- any contact event (drives 失控/失联)
    last_meeting_on  TEXT,                 -- last 组织生活 (official lost-contact time)
    last_dues_on     TEXT,                 -- last 党费
    contact_level    INTEGER NOT NULL DEFAULT 0,   -- ContactLevel.code last flagged by the scan
    level_since      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX members_branch_name ON members(branch_id, name);
CREATE INDEX members_scan ON members(active, last_contact_on);
CREATE INDEX members_officer ON members(officer_id);

CREATE TABLE contact_events (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    kind        TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    note        TEXT,
    amount      TEXT,
    recorded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX contact_events_member ON contact_events(member_id, on_date);

CREATE TABLE status_reports (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    kind        TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);
CREATE INDEX status_reports_member ON status_reports(member_id, on_date);

CREATE TABLE transfers (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    kind         TEXT NOT NULL,
    to_org       TEXT NOT NULL,
    destination  TEXT NOT NULL,
    phone        TEXT NOT NULL,
    wechat       TEXT,
    backup_name  TEXT NOT NULL,
    backup_phone TEXT NOT NULL,
    sent_on      TEXT NOT NULL,
    receipt_on   TEXT,
    receipt_note TEXT,
    flagged_on   TEXT,                     -- when the scan raised the no-回执 flag
    created_at   TEXT NOT NULL
);
CREATE INDEX transfers_open ON transfers(receipt_on, sent_on);
CREATE INDEX transfers_member ON transfers(member_id);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members(id),
    opened_on       TEXT NOT NULL,
    reason          TEXT,                  -- LostContactReason
    reason_note     TEXT,
    state           TEXT NOT NULL,         -- disposition state
    outcome         TEXT,                  -- proposed / decided Outcome
    regained_on     TEXT,
    suspended_since TEXT,                  -- 2019 rule: 停止党籍 because unreachable
    closed_on       TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX cases_member ON cases(member_id);
CREATE INDEX cases_state ON cases(state);

CREATE TABLE case_steps (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    outcome     TEXT,
    approve     INTEGER NOT NULL,
    opinion     TEXT,
    actor       TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX case_steps_case ON case_steps(case_id);

CREATE TABLE search_attempts (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER REFERENCES cases(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    on_date       TEXT NOT NULL,
    method        TEXT NOT NULL,
    contacted     TEXT NOT NULL,
    contact_phone TEXT,
    narrative     TEXT NOT NULL,
    result        TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX search_attempts_member ON search_attempts(member_id, on_date);
CREATE INDEX search_attempts_case ON search_attempts(case_id, on_date);

CREATE TABLE search_signers (
    attempt_id INTEGER NOT NULL REFERENCES search_attempts(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (attempt_id, member_id)
);

-- Telegram users: bound to a member through a one-time invite.
CREATE TABLE users (
    tg_id      INTEGER PRIMARY KEY,
    member_id  INTEGER UNIQUE REFERENCES members(id),
    locale     TEXT,                       -- /lang override; NULL follows Telegram's language_code
    lang_code  TEXT,                       -- the language_code Telegram last sent for this user
    blocked_at TEXT,                       -- the user blocked the bot (403)
    created_at TEXT NOT NULL
);

CREATE TABLE roles (
    tg_id   INTEGER NOT NULL REFERENCES users(tg_id),
    role    TEXT NOT NULL,                 -- Role
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (tg_id, role, org_id)
);
CREATE INDEX roles_org ON roles(org_id, role);

CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,          -- sha256 of the code: the code itself is never stored
    member_id   INTEGER REFERENCES members(id),
    role        TEXT,
    org_id      INTEGER REFERENCES orgs(id),
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER,
    created_at  TEXT NOT NULL
);

CREATE TABLE invite_failures (
    tg_id INTEGER NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX invite_failures_user ON invite_failures(tg_id, at);

-- Reminders: written in the same transaction as the flag they come from; the sender delivers them.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,      -- idempotency key: who, what, period
    chat_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,             -- JSON: msgid + params, rendered in the recipient's language at send time
    created_at  TEXT NOT NULL,
    not_before  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT 'pending',  -- pending / sending / sent / failed / blocked
    sent_at     TEXT,
    last_error  TEXT
);
CREATE INDEX outbox_due ON outbox(state, not_before);

CREATE TABLE job_runs (
    job      TEXT NOT NULL,
    scope    TEXT NOT NULL DEFAULT '',
    last_run TEXT NOT NULL,
    PRIMARY KEY (job, scope)
);

CREATE TABLE campaign_deadlines (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    stage       TEXT NOT NULL,             -- study_deploy / central_check / dispose / summarize
    title       TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    responsible INTEGER REFERENCES users(tg_id),
    done_on     TEXT
);

-- Conversation state and PTB persistence (our own, not pickle).
CREATE TABLE persistence (
    kind  TEXT NOT NULL,                   -- conversation:<name> / user_data / chat_data / bot_data / callback_data
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);

-- The audit trail: append-only, chained with HMAC-SHA256 under a key kept outside the database.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT,
    action     TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The chain's head, MAC'd, so cutting rows off the end is noticed too.
CREATE TABLE audit_head (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    mac       TEXT NOT NULL
);
