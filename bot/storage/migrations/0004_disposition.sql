-- Disposition (issue 10): the case's findings, dates and variant; who took each step, at which level,
-- with the 党员大会's votes; removed members kept in the archive (active = 0) with the decision.

-- 经多方努力确实无法取得联系, declared by the branch
ALTER TABLE cases ADD COLUMN unreachable_on TEXT;
-- 'none' | 'unqualified' | 'violation'
ALTER TABLE cases ADD COLUMN findings TEXT;
-- 失联党员表现调查核实情况
ALTER TABLE cases ADD COLUMN findings_text TEXT;
-- 'transfer_out' (转出组织关系) | 'late_transfer' (补转)
ALTER TABLE cases ADD COLUMN outcome_variant TEXT;
-- set when the state becomes 'decided'
ALTER TABLE cases ADD COLUMN decided_on TEXT;
-- 2019 rule: 停止党籍 lifted, contact regained in time
ALTER TABLE cases ADD COLUMN restored_on TEXT;
-- 确认已死亡
ALTER TABLE cases ADD COLUMN died_on TEXT;

-- bot.domain.disposition step name ('branch_proposal' …)
ALTER TABLE case_steps ADD COLUMN step TEXT;
-- 1 for the first proposal's chain, 2 …
ALTER TABLE case_steps ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
-- who acted (NULL: the operator)
ALTER TABLE case_steps ADD COLUMN tg_id INTEGER;
-- the Role they acted in
ALTER TABLE case_steps ADD COLUMN role TEXT;
-- the node that role is held on
ALTER TABLE case_steps ADD COLUMN org_id INTEGER REFERENCES orgs(id);
-- 党员大会: 应到 full members with voting rights
ALTER TABLE case_steps ADD COLUMN votes_entitled INTEGER;
-- 实到
ALTER TABLE case_steps ADD COLUMN votes_present INTEGER;
-- 赞成
ALTER TABLE case_steps ADD COLUMN votes_for INTEGER;

-- left the active roster (出党 or death) on this date
ALTER TABLE members ADD COLUMN removed_on TEXT;
-- the decided Outcome that removed them
ALTER TABLE members ADD COLUMN removal_outcome TEXT;
-- a decided 特殊状态 that takes the member out of the contact scan: 'relationship_retained' (保留组织关系,
-- abroad for study or labour) or 'membership_suspended' (停止党籍); NULL for everyone else
ALTER TABLE members ADD COLUMN status_hold TEXT;

-- The sketch's states, renamed: a regained case now awaits its findings; a closed one is decided.
UPDATE cases SET state = 'reached', closed_on = NULL WHERE state = 'regained';
UPDATE cases SET state = 'decided', decided_on = closed_on WHERE state = 'closed';

CREATE INDEX cases_decided ON cases(state, decided_on);
CREATE INDEX case_steps_step ON case_steps(case_id, step, round);
