-- Signing keys (public metadata only; private keys live in the key directory, never here) and the
-- signed statement of every event (issue 3). Forward-only: never edit a migration that has
-- shipped; add a new one.

CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    org_name TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key TEXT NOT NULL,
    schemes TEXT NOT NULL,
    levels TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    revoked_at TEXT,
    is_root BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX signing_keys_org ON signing_keys(org_id);

-- The signed statement recording each event, as queued for the transparency log. Kept here
-- because the sequencer drains log_queue; written by the trigger below in the same transaction
-- as the event, so an event can never exist without its statement.
CREATE TABLE statements (
    event_seq BIGINT PRIMARY KEY,
    certificate_id TEXT NOT NULL,
    signed BYTEA NOT NULL
);
CREATE INDEX statements_certificate ON statements(certificate_id, event_seq);

CREATE FUNCTION keurmerk_statement_from_log_queue() RETURNS trigger AS $$
BEGIN
    INSERT INTO statements (event_seq, certificate_id, signed)
    SELECT NEW.event_seq, e.certificate_id, NEW.entry FROM events e WHERE e.seq = NEW.event_seq;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER statements_from_log_queue AFTER INSERT ON log_queue
FOR EACH ROW EXECUTE FUNCTION keurmerk_statement_from_log_queue();
