-- A software list's signed record (docs/FORMATS.md §14): the manufacturer signs the list's
-- SHA-256 when it attaches it, and the registry appends the record to the transparency log. A
-- list without a record that verifies is not on record: its version reads as not monitored, so a
-- list inserted or replaced by hand never turns a label's "not monitored" into "valid".
ALTER TABLE sboms ADD COLUMN record BYTEA;

-- Every software list record the registry queued for the log (a list attached again replaces
-- its row in `sboms`, never its record here), so an integrity check knows the log entries that
-- have no event for what they are.
CREATE TABLE software_list_records (
    queue_id BIGINT PRIMARY KEY,
    version_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- The lists stored before this migration have no record: the update's trigger (migration 0021)
-- clears the stored status of every certificate of their products, which is evaluated again.
UPDATE sboms SET record = NULL;
