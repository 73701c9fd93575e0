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

CREATE TRIGGER label_status_event_insert AFTER INSERT ON events BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (NEW.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_event_update AFTER UPDATE ON events BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT NEW.certificate_id, 1 UNION SELECT OLD.certificate_id, 1 WHERE true
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_event_delete AFTER DELETE ON events BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (OLD.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_statement_insert AFTER INSERT ON statements BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (NEW.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_statement_update AFTER UPDATE ON statements BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT NEW.certificate_id, 1 UNION SELECT OLD.certificate_id, 1 WHERE true
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_statement_delete AFTER DELETE ON statements BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (OLD.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_resignature_insert AFTER INSERT ON resignatures BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (NEW.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_resignature_update AFTER UPDATE ON resignatures BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT NEW.certificate_id, 1 UNION SELECT OLD.certificate_id, 1 WHERE true
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_resignature_delete AFTER DELETE ON resignatures BEGIN
    INSERT INTO label_status (certificate_id, gen) VALUES (OLD.certificate_id, 1)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_certificate_update AFTER UPDATE OF scheme_id, product_id, id
    ON certificates BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT NEW.id, 1 UNION SELECT OLD.id, 1 WHERE true
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_sbom_insert AFTER INSERT ON sboms BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c JOIN product_versions v ON v.product_id = c.product_id
    WHERE v.id = NEW.version_id
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_sbom_update AFTER UPDATE ON sboms BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c JOIN product_versions v ON v.product_id = c.product_id
    WHERE v.id IN (NEW.version_id, OLD.version_id)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_sbom_delete AFTER DELETE ON sboms BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c JOIN product_versions v ON v.product_id = c.product_id
    WHERE v.id = OLD.version_id
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_version_update AFTER UPDATE OF id, product_id ON product_versions BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c
    WHERE c.product_id IN (NEW.product_id, OLD.product_id)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
