-- Vulnerability identity (issue 12): one vulnerability is published under several ids (CVE, GHSA,
-- GO, PYSEC, EUVD…). Every id an advisory document gives one of its vulnerabilities is indexed
-- here, under its comparison key (trimmed, ASCII upper-case), so a lookup by any alias finds it.
-- Written with the advisory (derived data, like advisory_keys).
CREATE TABLE vulnerability_aliases (
    advisory_id TEXT NOT NULL REFERENCES advisories(id),
    -- The id the document gives the vulnerability (OSV id; a CSAF vulnerability's CVE).
    vulnerability TEXT NOT NULL,
    alias_key TEXT NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (advisory_id, vulnerability, alias_key)
);
CREATE INDEX vulnerability_aliases_key ON vulnerability_aliases(alias_key);

-- A finding's other ids (JSON array), as matching merged them.
ALTER TABLE vuln_matches ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';

-- When the vulnerability became known to be exploited (KEV `dateAdded`), if the mark says so;
-- otherwise marked_at stands for it.
ALTER TABLE exploited_vulnerabilities ADD COLUMN exploited_since TEXT;

-- A severity for a vulnerability whose advisories give none (or that an operator re-assesses):
-- from an ENISA EUVD record's base score (source 'euvd') or set by the registry operator or a
-- national authority (source 'operator', which takes precedence). Keyed by the id as written.
CREATE TABLE vulnerability_severities (
    vulnerability TEXT NOT NULL,
    source TEXT NOT NULL,
    severity TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (vulnerability, source)
);
