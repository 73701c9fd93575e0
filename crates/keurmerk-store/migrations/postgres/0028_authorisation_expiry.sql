-- An authorisation may be granted for a period (issue 12 item 1: "authorisation revoked or
-- lapsed"): `expires_at` is the first instant it no longer holds (the day after its last day),
-- NULL for an authorisation without an end. Its end is the earlier of `revoked_at` and
-- `expires_at`; the trust list scopes the body's key to it and the scheduler acts on it.
ALTER TABLE authorisations ADD COLUMN expires_at TEXT;
