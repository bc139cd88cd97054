-- Issue 13: the first scan of a register brought in after years of neglect opens 150,000 cases at once,
-- and indexing each new case by its state cost that scan a tenth of a second of its writes (measured:
-- bench/scan_bench.py --spread stress). The index is kept for the decided cases (state and date of the
-- decision: what the summary tables count by), which are never written in bulk. Lookups of the cases
-- still in progress (state = 'searching': the idle-case check, the digest) read the table instead: in a
-- kept register those cases are a few hundred rows; after such an import they are nearly every row,
-- and reading the table is then what the index would have cost anyway.
DROP INDEX IF EXISTS cases_decided;
CREATE INDEX cases_decided ON cases(state, decided_on) WHERE decided_on IS NOT NULL;
