-- The trust list last signed, shared by every server instance: served as it is while the keys
-- are unchanged, replaced only by a list with a higher sequence (never rolled back).
CREATE TABLE trust_lists (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    content_sha256 TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    signed BLOB NOT NULL
);
