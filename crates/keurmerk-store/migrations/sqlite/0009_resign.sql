-- Re-signed statements (issue 10): when a key is found compromised, every statement it signed
-- after the compromise time stops verifying and the certificate's status becomes `unknown` until
-- the issuer confirms each such event again with a key that is valid now. The confirmation is a
-- new signed statement over the same event (its payload names the event's sequence number and
-- time); it is logged like every statement and kept here, next to the original in `statements`.
-- Forward-only: never edit a migration that has shipped; add a new one.

CREATE TABLE resignatures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq BIGINT NOT NULL,
    certificate_id TEXT NOT NULL,
    signed BLOB NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX resignatures_certificate ON resignatures(certificate_id, event_seq);

-- A re-signature is queued for the log under the event it confirms; the original statement of
-- that event stays the one in `statements`.
DROP TRIGGER statements_from_log_queue;
CREATE TRIGGER statements_from_log_queue AFTER INSERT ON log_queue
BEGIN
    INSERT OR IGNORE INTO statements (event_seq, certificate_id, signed)
    SELECT NEW.event_seq, e.certificate_id, NEW.entry FROM events e WHERE e.seq = NEW.event_seq;
END;
