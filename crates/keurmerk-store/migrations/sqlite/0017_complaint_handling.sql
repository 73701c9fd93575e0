-- Issue 13 item 6: complaints are handled, not just received. Forward-only.
--
-- A complaint gets a public reference (128 random bits, shown once to the complainant; only its
-- SHA-256 is stored, so the database cannot give it away) and a state: received → assigned →
-- answered → closed (keurmerk_domain::complaint). Every step is a conditional update on the
-- state it starts from, so two people acting at once cannot both succeed. The complainant's
-- e-mail address (`contact`) is erased in the transaction that closes the complaint.
-- Complaints filed before this migration have no reference and start as `received`.
ALTER TABLE complaints ADD COLUMN reference_sha256 TEXT;
ALTER TABLE complaints ADD COLUMN state TEXT NOT NULL DEFAULT 'received'
    CHECK (state IN ('received', 'assigned', 'answered', 'closed'));
ALTER TABLE complaints ADD COLUMN assignee TEXT;
ALTER TABLE complaints ADD COLUMN assigned_at TEXT;
ALTER TABLE complaints ADD COLUMN answer TEXT;
ALTER TABLE complaints ADD COLUMN answered_at TEXT;
ALTER TABLE complaints ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR outcome IN ('upheld', 'rejected', 'forwarded', 'withdrawn'));
ALTER TABLE complaints ADD COLUMN closed_at TEXT;
CREATE UNIQUE INDEX complaints_reference ON complaints(reference_sha256);
