-- Issue 13: the 2019 rule's removal check (bot.storage.scan_repo.suspended_cases) runs in every daily
-- scan and read the whole cases table for the few cases under 停止党籍: after a neglected register's
-- first scan that table holds 150,000 cases, and the read was a tenth of the stress daily scan (23 ms
-- of its 0.3 s, measured: bench/scan_bench.py --spread stress). This index holds only those cases; the
-- cases the scan opens in bulk are never suspended and never written to it.
CREATE INDEX IF NOT EXISTS cases_suspended ON cases(id) WHERE suspended_since IS NOT NULL AND regained_on IS NULL;
