-- Issue 15: the certificate page's verification section asks where its newest statement is in
-- the log (`SELECT MIN(log_index) FROM log_entries WHERE event_seq = $1`). With only an index on
-- `event_seq`, PostgreSQL without statistics on the table (a registry whose log was just filled,
-- before autovacuum's first ANALYZE) walked the primary key in `log_index` order and filtered:
-- 11.8 ms at 100,000 entries, growing with the log. The index on both columns answers it in one
-- descent whatever the statistics, and still serves every lookup by `event_seq`. Forward-only;
-- `IF [NOT] EXISTS` so that a registry where an operator made the index by hand upgrades too.
CREATE INDEX IF NOT EXISTS log_entries_event_index ON log_entries (event_seq, log_index);
DROP INDEX IF EXISTS log_entries_event;
