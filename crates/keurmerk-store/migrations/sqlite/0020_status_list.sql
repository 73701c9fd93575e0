-- Issue 15 item 6: the Token Status List (draft-ietf-oauth-status-list). Forward-only: never edit
-- a migration that has shipped; add a new one.

-- Each certificate's stable index in the status list: taken once, in the transaction that
-- issues the certificate, from the `status_index` counter (whose row lock serialises concurrent
-- issues on PostgreSQL, as the write lock does on SQLite), never reused. Existing certificates
-- get indices in issue order. NULL only for a row written by something other than the store's
-- issue path; such a certificate has no place in the list (its token carries no index).
ALTER TABLE certificates ADD COLUMN status_index BIGINT;
UPDATE certificates SET status_index = r.idx
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY issued_at, id) - 1 AS idx FROM certificates) AS r
WHERE certificates.id = r.id;
CREATE UNIQUE INDEX certificates_status_index ON certificates(status_index);
-- The next index to hand out.
INSERT INTO counters (name, value) SELECT 'status_index', COUNT(*) FROM certificates;

-- Every published status list, so every instance serves the same bytes. `watermark` is the
-- newest event the list reflects (a newer event makes it out of date); `content_sha256` the
-- SHA-256 of the packed statuses; `token_sha256` of the signed token, which the signed record
-- queued for the transparency log as `queue_id` (log_queue/log_entries row, event_seq 0) names.
-- The token itself is kept for the newest publications only (older ones: NULL); the rest of the
-- row stays, so every status-list entry of the log is accounted for.
CREATE TABLE status_lists (
    sequence BIGINT PRIMARY KEY,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    watermark BIGINT NOT NULL,
    size BIGINT NOT NULL,
    content_sha256 TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    queue_id BIGINT NOT NULL,
    token TEXT
);
CREATE UNIQUE INDEX status_lists_queue ON status_lists(queue_id);
