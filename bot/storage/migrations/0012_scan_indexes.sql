-- Issue 13: the scan's indexes hold exactly the members the scan looks at (scan_repo.scannable(): active
-- and not under a decided 保留组织关系 / 停止党籍), so its reads never leave the index to test status_hold.
-- (Issue 10 added that condition after 0006: the old indexes made every candidate a table lookup, and
-- the candidates read three times as long.)
DROP INDEX IF EXISTS members_contact;
DROP INDEX IF EXISTS members_no_contact;

-- The daily scan's window: last contacts between the previous run's cutoff and today's. The name and
-- the officer are in the index so that a crossing's message is written from the index alone.
CREATE INDEX members_scan_contact ON members(last_contact_on, branch_id, name, officer_id)
    WHERE active = 1 AND status_hold IS NULL;
-- Members with no contact on record count from the day they were entered (a small subset).
CREATE INDEX members_scan_new ON members(created_at, branch_id)
    WHERE last_contact_on IS NULL AND active = 1 AND status_hold IS NULL;
-- The first scan's backlog, read branch by branch in member order straight from the index: one pass
-- gives each chunk its whole branches, and the table is read only for members with no contact on record.
CREATE INDEX members_scan_branch ON members(branch_id, id, last_contact_on, name, officer_id)
    WHERE active = 1 AND status_hold IS NULL;

-- The scan opens tens of thousands of cases at once: each index of cases costs an insert per case. Two
-- were the prefix of another (an index entry ends with the rowid, so (member_id) already orders by id;
-- (state) is the head of (state, decided_on)), and kept nothing the planner could not get from the other.
DROP INDEX IF EXISTS cases_member_latest;
DROP INDEX IF EXISTS cases_state;
