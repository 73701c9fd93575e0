-- Transparency log storage (crate keurmerk-transparency). Forward-only: never edit a migration
-- that has shipped; add a new one.

-- The log head: one row (id = 1), created here so every sequencer can lock it from the start.
-- `checkpoint` is the signed C2SP checkpoint note for (size, root); empty until the first sequencer
-- signs the size-0 checkpoint. Witness cosignature lines are appended to it in place.
CREATE TABLE log_head (
    id BIGINT PRIMARY KEY,
    size BIGINT NOT NULL,
    root BLOB NOT NULL,
    checkpoint TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO log_head (id, size, root, checkpoint, updated_at)
VALUES (1, 0, X'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '',
        '1970-01-01T00:00:00Z');

-- C2SP tlog-tiles hash tiles, widest version only: a full tile (width 256) never changes; the
-- right-edge partial tile of each level is rewritten as it grows (narrower partial tiles are
-- prefixes of it).
CREATE TABLE log_tiles (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    width BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Entry bundles (tile/entries/<N>), widest version only, like log_tiles.
CREATE TABLE log_bundles (
    idx INTEGER PRIMARY KEY,
    width BIGINT NOT NULL,
    data BLOB NOT NULL
);

-- Which event each log entry records, and which queue row it came from.
CREATE TABLE log_entries (
    log_index INTEGER PRIMARY KEY,
    event_seq BIGINT NOT NULL,
    queue_id BIGINT NOT NULL
);
CREATE INDEX log_entries_event ON log_entries(event_seq);
CREATE UNIQUE INDEX log_entries_queue ON log_entries(queue_id);
