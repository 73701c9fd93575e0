-- Issue 14 items 4 and 5: the webhook confirmation handshake, and single-use complaint form
-- tokens signed with a key every instance shares. Forward-only: never edit a migration that has
-- shipped; add a new one.

-- A webhook receives events only once its target has echoed a signed challenge
-- (docs/FORMATS.md §9). `webhook_state` is NULL without a webhook, else 'pending', 'confirmed'
-- or 'failed'. `webhook_verify_at` is when the next handshake attempt is due (NULL: now); while
-- an attempt runs it holds the attempt's lease and `webhook_challenge` the challenge sent, so
-- an answer is recorded only for the webhook it was sent to. Deliveries of a webhook that is not
-- confirmed stay queued (held) until it is.
ALTER TABLE watchlists ADD COLUMN webhook_state TEXT;
ALTER TABLE watchlists ADD COLUMN webhook_verify_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watchlists ADD COLUMN webhook_verify_at TEXT;
ALTER TABLE watchlists ADD COLUMN webhook_challenge TEXT;
ALTER TABLE watchlists ADD COLUMN webhook_verify_error TEXT;
ALTER TABLE watchlists ADD COLUMN webhook_confirmed_at TEXT;
-- Webhooks registered before the handshake existed were never confirmed: they start pending and
-- are verified at once by the next running server; their deliveries wait for the echo.
UPDATE watchlists SET webhook_state = 'pending' WHERE webhook_url IS NOT NULL;
CREATE INDEX watchlists_webhook_verify ON watchlists(webhook_state, webhook_verify_at);

-- Keys every server instance shares (created once by whichever instance needs one first:
-- insert-if-absent, then read). 'complaint_form' signs the complaint form's tokens.
CREATE TABLE shared_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The nonce of every complaint form token used, inserted in the transaction that stores the
-- complaint, so a token is accepted once. Kept until the token would have expired anyway, then
-- pruned.
CREATE TABLE complaint_form_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE INDEX complaint_form_nonces_expiry ON complaint_form_nonces(expires_at);
