-- Continuous vulnerability monitoring (SPEC §6). Matching is incremental: components and
-- advisories are both indexed by package key (purl type + normalised name), so a new advisory
-- touches only the components with its keys, and a new SBOM only itself.

-- The SBOM attached to a product version (original bytes kept as evidence).
CREATE TABLE sboms (
    version_id TEXT PRIMARY KEY REFERENCES product_versions(id),
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    document BLOB NOT NULL,
    uploaded_at TEXT NOT NULL
);

CREATE TABLE sbom_components (
    version_id TEXT NOT NULL REFERENCES product_versions(id),
    idx BIGINT NOT NULL,
    pkg_key TEXT NOT NULL,
    purl TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (version_id, idx)
);
CREATE INDEX sbom_components_key ON sbom_components(pkg_key);

-- Advisory documents (OSV record or CSAF document), as imported.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    source_name TEXT NOT NULL,
    modified TEXT NOT NULL,
    document BLOB NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE advisory_keys (
    advisory_id TEXT NOT NULL REFERENCES advisories(id),
    pkg_key TEXT NOT NULL,
    PRIMARY KEY (advisory_id, pkg_key)
);
CREATE INDEX advisory_keys_key ON advisory_keys(pkg_key);

-- A finding: an advisory affecting a component of a product version.
CREATE TABLE vuln_matches (
    version_id TEXT NOT NULL REFERENCES product_versions(id),
    advisory_id TEXT NOT NULL,
    vulnerability TEXT NOT NULL,
    pkg_key TEXT NOT NULL,
    purl TEXT NOT NULL,
    installed TEXT NOT NULL,
    severity TEXT NOT NULL,
    fixed TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    closed_at TEXT,
    PRIMARY KEY (version_id, advisory_id, pkg_key, installed)
);
CREATE INDEX vuln_matches_vuln ON vuln_matches(vulnerability);

-- The holder's VEX decisions, keyed by product and vulnerability (not version) so they survive
-- version bumps; `versions` is a vers: range or '*'.
CREATE TABLE vex_decisions (
    product_id TEXT NOT NULL REFERENCES products(id),
    vulnerability TEXT NOT NULL,
    versions TEXT NOT NULL,
    status TEXT NOT NULL,
    justification TEXT,
    statement TEXT,
    published_at TEXT NOT NULL,
    PRIMARY KEY (product_id, vulnerability, versions)
);

-- Vulnerabilities known to be actively exploited (marked by an authority or the operator, e.g.
-- from a KEV list): they start the holder's CRA reporting clocks.
CREATE TABLE exploited_vulnerabilities (
    vulnerability TEXT PRIMARY KEY,
    marked_at TEXT NOT NULL,
    marked_by TEXT NOT NULL
);
