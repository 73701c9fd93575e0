-- Issue 15 item 6: a status list's receipt (`GET /api/v1/status-list/{sha256}/receipt`) is found
-- by the SHA-256 of the token a verifier was served. Lists are published at least hourly and
-- within seconds of a status change, so without this index each receipt read every list the
-- registry ever published. Forward-only; `IF NOT EXISTS` so that a registry where an operator
-- made the index by hand upgrades too.
CREATE INDEX IF NOT EXISTS status_lists_token ON status_lists (token_sha256);
