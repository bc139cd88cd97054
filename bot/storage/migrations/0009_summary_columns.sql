-- The summary tables (附件6, 附件7, 统计表 A–X) aggregate in SQL with CASE buckets over whole subtrees.
-- The fields they bucket live in the Member JSON record; these columns copy them out, so the queries
-- stay plain portable SQL over columns. Measured (bench/summary_bench.py): json_extract costs ~10 µs a
-- row, so reading 职业 from the JSON of a million members took ~10 s; from a column, a fraction of one.
-- Triggers keep the copies in step with `record` whatever code writes it (no repository has to know);
-- on PostgreSQL the same names would be STORED generated columns over jsonb.
ALTER TABLE members ADD COLUMN rec_gender TEXT;
ALTER TABLE members ADD COLUMN rec_ethnicity TEXT;
ALTER TABLE members ADD COLUMN rec_education TEXT;
ALTER TABLE members ADD COLUMN rec_occupation TEXT;
ALTER TABLE members ADD COLUMN rec_party_post TEXT;
ALTER TABLE members ADD COLUMN rec_confirmed_on TEXT;
ALTER TABLE members ADD COLUMN rec_flow_left_on TEXT;

UPDATE members SET
    rec_gender = json_extract(record, '$.gender'), rec_ethnicity = json_extract(record, '$.ethnicity'),
    rec_education = json_extract(record, '$.education'), rec_occupation = json_extract(record, '$.occupation'),
    rec_party_post = json_extract(record, '$.party_post'), rec_confirmed_on = json_extract(record, '$.confirmed_on'),
    rec_flow_left_on = json_extract(record, '$.flow.left_on');

CREATE TRIGGER members_summary_update AFTER UPDATE OF record ON members
BEGIN
    UPDATE members SET
        rec_gender = json_extract(NEW.record, '$.gender'), rec_ethnicity = json_extract(NEW.record, '$.ethnicity'),
        rec_education = json_extract(NEW.record, '$.education'),
        rec_occupation = json_extract(NEW.record, '$.occupation'),
        rec_party_post = json_extract(NEW.record, '$.party_post'),
        rec_confirmed_on = json_extract(NEW.record, '$.confirmed_on'),
        rec_flow_left_on = json_extract(NEW.record, '$.flow.left_on')
    WHERE id = NEW.id;
END;

-- A new row: touching its record runs the trigger above (one copy of the extraction, not two).
CREATE TRIGGER members_summary_insert AFTER INSERT ON members
BEGIN
    UPDATE members SET record = record WHERE id = NEW.id;
END;

-- 排查前在册 by (branch, 职业) reads this index only, never the wide rows.
CREATE INDEX members_summary ON members(branch_id, rec_occupation, member_type, active, is_flow);
-- The unreachable (about 5 %) are found by their last contact, whatever their active flag.
CREATE INDEX members_last_contact ON members(last_contact_on);
-- The latest case of a member (附件7 and 统计表 read one case per member).
CREATE INDEX cases_member_latest ON cases(member_id, id);
