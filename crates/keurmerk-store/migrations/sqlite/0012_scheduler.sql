-- Issue 12 item 1: the policy scheduler. Forward-only: never edit a migration that has shipped;
-- add a new one.

-- When the scheduler's next action on a certificate is due (keurmerk_domain::schedule), as the
-- store's timestamp text, or 'never'. NULL means "not known": every append sets it to NULL in
-- the append's transaction, and so does a change of the issuer's authorisation; the scheduler
-- computes it again from the folded events. A pass thus reads only the certificates with NULL
-- or a due time not after now, never the whole registry.
ALTER TABLE certificates ADD COLUMN next_due TEXT;
CREATE INDEX certificates_next_due ON certificates(next_due);

-- One row per scheduler: which instance holds it and until when. An instance runs a pass only
-- while it holds the lease; another takes over once the lease has run out.
CREATE TABLE scheduler_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until TEXT NOT NULL
);

-- Small facts the scheduler keeps: 'policy' is the fingerprint of the scheme policies the stored
-- next_due values were computed with (a different catalogue clears them all).
CREATE TABLE scheduler_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
