-- Issue 15: a status lookup reads one row of `label_status` (no join to `certificates`), and the
-- status list reads that table alone. Forward-only. See the SQLite migration of the same number
-- for what the join checked and what keeps it true now.

ALTER TABLE label_status ADD COLUMN idx BIGINT;

UPDATE label_status SET gen = gen + 1, report = NULL
    WHERE report IS NOT NULL
      AND (status IS NULL
           OR seq IS DISTINCT FROM
              (SELECT c.last_seq FROM certificates c WHERE c.id = label_status.certificate_id));
UPDATE label_status SET status = NULL WHERE report IS NULL;
INSERT INTO label_status (certificate_id, gen) SELECT id, 1 FROM certificates
    ON CONFLICT (certificate_id) DO NOTHING;
UPDATE label_status
    SET idx = (SELECT c.status_index FROM certificates c WHERE c.id = label_status.certificate_id);

DROP TRIGGER label_status_certificate ON certificates;
DROP FUNCTION label_status_certificate();
CREATE FUNCTION label_status_certificate() RETURNS TRIGGER LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
            WHERE certificate_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
        ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
            idx = excluded.idx;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER label_status_certificate
    AFTER INSERT OR DELETE OR UPDATE OF id, scheme_id, product_id, last_seq, status_index
    ON certificates FOR EACH ROW EXECUTE FUNCTION label_status_certificate();

-- A word never outlives its report, whoever clears the report or sets a word without one.
CREATE FUNCTION label_status_word() RETURNS TRIGGER LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF NEW.report IS NULL THEN
        NEW.status := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER label_status_word BEFORE INSERT OR UPDATE ON label_status
    FOR EACH ROW EXECUTE FUNCTION label_status_word();
