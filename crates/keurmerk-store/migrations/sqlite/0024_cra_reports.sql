-- Issue 12 item 4: Cyber Resilience Act reports (Art. 14). Forward-only.
--
-- The obligations and their clocks are folded from certificate events (keurmerk_domain::cra);
-- what is kept here is the reports themselves, which are confidential (holder, the certificate's
-- supervising authority and the registry operator read them).
--
-- `cra_report_drafts`: the holder's draft of each report, one per certificate, vulnerability and
-- kind, replaced on every edit (each edit has its audit row in the same transaction).
CREATE TABLE cra_report_drafts (
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    vulnerability TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('early_warning', 'notification', 'final_report')),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (certificate_id, vulnerability, kind)
);
-- `cra_reports`: submitted reports, content-addressed by the SHA-256 of their canonical JSON
-- (RFC 8785), which the signed `cra_report_submitted` event names. A report is stored before its
-- event is appended; one whose event never committed (a crash in between) is never shown as
-- submitted, because reads go from the event's digest to the row, never the other way.
CREATE TABLE cra_reports (
    sha256 TEXT PRIMARY KEY,
    certificate_id TEXT NOT NULL REFERENCES certificates(id),
    vulnerability TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('early_warning', 'notification', 'final_report')),
    body TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE INDEX cra_reports_certificate ON cra_reports(certificate_id);
