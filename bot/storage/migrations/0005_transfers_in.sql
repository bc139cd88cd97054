-- Transfers IN (党员组织关系转入) for the yearly 回执 statistics table (seed 001 附件4): when the
-- relationship arrived, from which organization, its province (省内 / 省外 against the branch's province
-- setting, orgs.settings.province), and when the 回执 was sent back.
CREATE TABLE transfers_in (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members(id),
    received_on     TEXT NOT NULL,
    from_org        TEXT NOT NULL,
    province        TEXT NOT NULL,
    receipt_sent_on TEXT,
    note            TEXT,
    recorded_by     TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX transfers_in_member ON transfers_in(member_id);
CREATE INDEX transfers_in_received ON transfers_in(received_on);

-- Transfers OUT: the receiving organization's province, so the same table can split 省内 / 省外.
ALTER TABLE transfers ADD COLUMN province TEXT;
