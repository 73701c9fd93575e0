-- Issue 15: issuing a certificate first checks that no certificate was issued on the same
-- assessment (`SELECT id FROM certificates WHERE assessment_id = $1 LIMIT 1`, in the issuing
-- transaction). Without an index that read every certificate: 1.5–1.9 s per issue at 1,000,000
-- on SQLite (2026-12-03, seen as sqlx's slow-statement warnings during `demo --scale`), with the
-- registry's one writer held all that time. The index answers it in one descent. Forward-only;
-- `IF NOT EXISTS` so that a registry where an operator made the index by hand upgrades too.
CREATE INDEX IF NOT EXISTS certificates_assessment ON certificates (assessment_id);
