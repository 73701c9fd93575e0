-- Issue 15: browsing labels newest first without words (`GET /api/v1/labels` with filters only,
-- or none) sorted every certificate by `issued_at, id` for a page of 20: about 0.1 s at 100,000
-- on SQLite (2026-12-04) and ten times that at 1,000,000. With this index the page is read in
-- that order from the newest and stops once it is full. Forward-only; `IF NOT EXISTS` so that a
-- registry where an operator made the index by hand upgrades too.
CREATE INDEX IF NOT EXISTS certificates_newest ON certificates (issued_at, id);
