-- Issue 15 item 4: a search with a rare lifecycle state on PostgreSQL. Forward-only.
--
-- With the search's words in memory (`keurmerk_store::sql::words`), a page with a state filter
-- is read from the words' candidates, the rows deciding the state. For a state few labels are
-- in (suspended: 2,117 of 1,000,000 in the bench registry) that reads thousands of candidates
-- in vain, and the full-text index's path walked the newest 4,096 documents and then a bitmap of
-- every match of the words (18 ms for `camera` and `suspended` at 1,000,000). The labels in such
-- a state are read by this index instead and intersected with the candidates in memory; the
-- rows still decide.
CREATE INDEX IF NOT EXISTS certificates_state ON certificates (state);
