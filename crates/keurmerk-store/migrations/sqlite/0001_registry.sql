-- Registry core. Forward-only: never edit a migration that has shipped; add a new one.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    member_state TEXT NOT NULL,
    contact TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE authorisations (
    body_id TEXT NOT NULL REFERENCES organisations(id),
    scheme_id TEXT NOT NULL,
    level_id TEXT NOT NULL,
    granted_by TEXT NOT NULL REFERENCES organisations(id),
    granted_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (body_id, scheme_id, level_id)
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    manufacturer_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    category TEXT NOT NULL,
    gtin TEXT,
    purl TEXT,
    cpe TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX products_manufacturer ON products(manufacturer_id);

CREATE TABLE product_versions (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    version TEXT NOT NULL,
    released_on TEXT NOT NULL,
    security_update BIGINT NOT NULL,
    notes TEXT,
    UNIQUE (product_id, version)
);

CREATE TABLE support_commitments (
    product_id TEXT PRIMARY KEY REFERENCES products(id),
    support_until TEXT NOT NULL,
    update_policy TEXT NOT NULL,
    vulnerability_contact TEXT NOT NULL,
    disclosure_policy_url TEXT
);

CREATE TABLE dependencies (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    service TEXT NOT NULL,
    certificate_id TEXT
);
CREATE INDEX dependencies_product ON dependencies(product_id);
CREATE INDEX dependencies_certificate ON dependencies(certificate_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    version_id TEXT NOT NULL REFERENCES product_versions(id),
    scheme_id TEXT NOT NULL,
    level_id TEXT NOT NULL,
    assessor_id TEXT NOT NULL REFERENCES organisations(id),
    assessor_kind TEXT NOT NULL,
    verdicts TEXT NOT NULL,
    evidence TEXT NOT NULL,
    assessed_at TEXT NOT NULL,
    passed BIGINT NOT NULL,
    approved_by TEXT REFERENCES organisations(id)
);

-- Cached certificate state: derived from events, updated in the same transaction as each append.
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products(id),
    holder_id TEXT NOT NULL REFERENCES organisations(id),
    scheme_id TEXT NOT NULL,
    level_id TEXT NOT NULL,
    issuer_id TEXT NOT NULL REFERENCES organisations(id),
    issuer_kind TEXT NOT NULL,
    authority_id TEXT REFERENCES organisations(id),
    assessment_id TEXT NOT NULL REFERENCES assessments(id),
    issued_at TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    state TEXT NOT NULL,
    last_seq BIGINT NOT NULL
);
CREATE INDEX certificates_product ON certificates(product_id);

-- The append-only event store. Rows are never updated or deleted.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_certificate ON events(certificate_id, seq);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Statements waiting for the transparency log. Written in the same transaction as the event they
-- record, so an acknowledged event can never be missing from the log; the sequencer moves rows
-- from here into the log and deletes them in one transaction.
CREATE TABLE log_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq BIGINT NOT NULL,
    entry BLOB NOT NULL,
    queued_at TEXT NOT NULL
);
