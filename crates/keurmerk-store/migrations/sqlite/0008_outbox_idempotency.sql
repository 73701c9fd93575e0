-- Follow-up work and idempotent requests. Forward-only: never edit a migration that has shipped.

-- Follow-up work of a write (today: telling the dependents of a service certificate its state),
-- written in the same transaction as the event that causes it, so it can never be lost. A worker
-- claims the oldest item of a subject with a lease, completes it idempotently and deletes it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    lease_until TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_subject ON outbox(subject, id);

-- Repair: dependents of every service certificate are brought in line once, so drift left by
-- earlier versions (which told dependents in separate transactions) is mended by the worker.
INSERT INTO outbox (kind, subject, actor_id, created_at)
SELECT DISTINCT 'dependents', d.certificate_id, 'registry', '1970-01-01T00:00:00.000000Z'
FROM dependencies d JOIN certificates c ON c.id = d.certificate_id;

-- HTTP requests made with an `Idempotency-Key`, per credential (`scope`, a SHA-256). The row is
-- written in the first write transaction of the request, so a retry can never write twice; the
-- first answer is stored right after it.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status INTEGER,
    response BLOB,
    PRIMARY KEY (scope, idem_key)
);
