-- The summary tables (附件6, 附件7, 统计表 A–X) aggregate in SQL with CASE buckets over whole subtrees.
-- The fields they bucket live in the Member JSON record; these VIRTUAL generated columns expose them
-- as plain columns, so the queries stay portable SQL (on PostgreSQL the same names would be STORED
-- generated columns over jsonb) and no repository has to keep copies in step: they cannot drift from
-- the record. VIRTUAL costs nothing at write time; the JSON is read only for the rows a query selects.
ALTER TABLE members ADD COLUMN rec_gender TEXT GENERATED ALWAYS AS (json_extract(record, '$.gender')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_ethnicity TEXT GENERATED ALWAYS AS (json_extract(record, '$.ethnicity')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_education TEXT GENERATED ALWAYS AS (json_extract(record, '$.education')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_occupation TEXT GENERATED ALWAYS AS (json_extract(record, '$.occupation')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_party_post TEXT GENERATED ALWAYS AS (json_extract(record, '$.party_post')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_confirmed_on TEXT GENERATED ALWAYS AS (json_extract(record, '$.confirmed_on')) VIRTUAL;
ALTER TABLE members ADD COLUMN rec_flow_left_on TEXT GENERATED ALWAYS AS (json_extract(record, '$.flow.left_on')) VIRTUAL;
-- The latest case of a member (附件7 and 统计表 read one case per member).
CREATE INDEX cases_member_latest ON cases(member_id, id);
