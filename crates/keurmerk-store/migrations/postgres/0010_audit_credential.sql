-- Attribution (issue 14): every audit record names the credential the write was made with, not
-- only the organisation: `token:TOK-…` (an API token, by id), `cli:USER` (the operating-system
-- user running the command line), `system:TASK` (the registry itself), `watch-key:WL-…`,
-- `public`. Records written before this migration say `unrecorded`: nothing is invented for them.
-- An anonymous actor (no organisation) is stored as the empty `actor_id`.
-- Forward-only: never edit a migration that has shipped; add a new one.

ALTER TABLE audit_log ADD COLUMN credential TEXT NOT NULL DEFAULT 'unrecorded';
