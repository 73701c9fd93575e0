-- Issue 15 item 2: the label status as a stored read model (ADR 0015). Forward-only.
--
-- One row per certificate holding the status report a lookup answers, and what proves it current:
-- `seq` (the certificate's `last_seq` it was folded from), `policy` (fingerprint of the scheme's
-- status policy), `trust` (digest of the trust list the statements were verified against),
-- `computed_at` and `stale_after` (the next instant time alone changes the report; NULL: never).
-- `report` is NULL when the row holds no current report.
--
-- `gen` counts changes of the inputs that are not events of the certificate itself: the triggers
-- below bump it (and clear `report`) in the transaction of any insert, update or delete of the
-- certificate's events, statements and re-signatures, of the software lists (SBOMs) of its
-- product's versions, and of the certificate row's scheme or product. A refresh reads `gen`
-- before it folds and writes only if `gen` is unchanged, so a report folded from inputs that
-- changed meanwhile is never stored. See docs/ARCHITECTURE.md for every input of the fold.
CREATE TABLE label_status (
    certificate_id TEXT PRIMARY KEY,
    gen BIGINT NOT NULL DEFAULT 0,
    seq BIGINT,
    report TEXT,
    computed_at TEXT,
    stale_after TEXT,
    policy TEXT,
    trust TEXT
);

CREATE FUNCTION label_status_bump(cid TEXT) RETURNS VOID LANGUAGE SQL AS $$
    INSERT INTO label_status (certificate_id, gen) VALUES (cid, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
$$;

-- For tables with a `certificate_id` column (events, statements, resignatures).
CREATE FUNCTION label_status_by_certificate() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM label_status_bump(NEW.certificate_id);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM label_status_bump(OLD.certificate_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER label_status_events AFTER INSERT OR UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION label_status_by_certificate();
CREATE TRIGGER label_status_statements AFTER INSERT OR UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION label_status_by_certificate();
CREATE TRIGGER label_status_resignatures AFTER INSERT OR UPDATE OR DELETE ON resignatures
    FOR EACH ROW EXECUTE FUNCTION label_status_by_certificate();

CREATE FUNCTION label_status_certificate() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM label_status_bump(NEW.id);
    PERFORM label_status_bump(OLD.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER label_status_certificate AFTER UPDATE OF scheme_id, product_id, id ON certificates
    FOR EACH ROW EXECUTE FUNCTION label_status_certificate();

CREATE FUNCTION label_status_sbom() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM label_status_bump(c.id)
    FROM certificates c JOIN product_versions v ON v.product_id = c.product_id
    WHERE (TG_OP <> 'DELETE' AND v.id = NEW.version_id)
       OR (TG_OP <> 'INSERT' AND v.id = OLD.version_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER label_status_sboms AFTER INSERT OR UPDATE OR DELETE ON sboms
    FOR EACH ROW EXECUTE FUNCTION label_status_sbom();

CREATE FUNCTION label_status_version() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM label_status_bump(c.id) FROM certificates c
    WHERE c.product_id IN (NEW.product_id, OLD.product_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER label_status_versions AFTER UPDATE OF id, product_id ON product_versions
    FOR EACH ROW EXECUTE FUNCTION label_status_version();
