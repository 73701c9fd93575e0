-- HTTP API: tokens, complaints, watch-lists. Forward-only: never edit a migration that has shipped.

-- API tokens. Only the SHA-256 of the secret is stored; the secret is shown once when created.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);

-- Complaints from the public about a certificate (Cybersecurity Act Art 63), routed to the
-- certificate's national authority.
CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    authority_id TEXT,
    filed_at TEXT NOT NULL,
    contact TEXT,
    body TEXT NOT NULL
);
CREATE INDEX complaints_authority ON complaints(authority_id, filed_at);
