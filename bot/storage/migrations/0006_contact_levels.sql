-- The level the scan last flagged moves out of the wide members table into a narrow table of its own.
--
-- Flagging 145,000 scattered members used to rewrite most pages of members and of an index keyed on the
-- level (a 233 MB WAL for one UPDATE); a row here is (member, level, since), about 20 bytes. A member
-- in contact (level 0) has no row: the scan inserts rows in member order, a newer contact deletes one.
CREATE TABLE contact_levels (
    member_id INTEGER PRIMARY KEY,   -- members.id; no REFERENCES: the check cost a lookup in the wide members
                                     -- table per row (a third of the insert), and only the scan writes rows,
                                     -- for members it has just read (members are never deleted)
    level     INTEGER NOT NULL CHECK (level IN (1, 2)),   -- ContactLevel.code: 1 失控, 2 失联
    since     TEXT NOT NULL                               -- the day the scan flagged it (ISO date)
);
INSERT INTO contact_levels (member_id, level, since)
    SELECT id, contact_level, COALESCE(level_since, substr(updated_at, 1, 10)) FROM members
    WHERE contact_level > 0 ORDER BY id;

-- The old columns go, so no reader can keep reading a level nobody updates any more.
DROP INDEX members_level_contact;
ALTER TABLE members DROP COLUMN contact_level;
ALTER TABLE members DROP COLUMN level_since;

-- The scan's ranges: a last contact before a cutoff (or, for the daily scan, between yesterday's cutoff
-- and today's), read from the index alone (branch_id included: the scan works branch by branch).
DROP INDEX members_scan;
CREATE INDEX members_contact ON members(active, last_contact_on, branch_id);
-- Members with no contact on record count from the day they were entered (a small subset).
CREATE INDEX members_no_contact ON members(active, created_at, branch_id) WHERE last_contact_on IS NULL;
-- The daily scan rechecks the members whose record changed since its last run (a contact entered with a
-- past date, an import, a move to another branch): they may have crossed a threshold outside the window.
CREATE INDEX members_updated ON members(updated_at);

-- What the daily scan's window starts from: per node, the cutoffs of its last run (JSON).
ALTER TABLE job_runs ADD COLUMN state TEXT;
