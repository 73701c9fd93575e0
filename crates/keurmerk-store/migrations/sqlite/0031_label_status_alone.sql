-- Issue 15: a status lookup reads one row of `label_status` (no join to `certificates`), and the
-- status list reads one narrow index instead of a million rows and their reports. Forward-only.
--
-- What the join checked at every read is kept by the table itself from now on:
-- - every certificate has a row, created when the certificate row is inserted, holding its
--   status index (`idx`);
-- - inserting, deleting or changing a certificate row's id, scheme, product, `last_seq` or
--   `status_index` bumps `gen` and clears `report` in the writing transaction (as the triggers of
--   migrations 0021 and 0023 do for the other inputs), and `put_status` stores a report only for
--   the certificate's current `last_seq`: a row with a report was folded from the certificate's
--   last event;
-- - the status word (`status`, migration 0030) is there only while the report is: clearing the
--   report clears it (trigger below; rows stored before 0030, which have a report and no word,
--   lose the report and are folded again on their next read), so the list's index answers
--   "is there a current report, and what is its status" without reading a row or a report.

ALTER TABLE label_status ADD COLUMN idx BIGINT;

-- Rows the join would not have served (folded from another event, or of no certificate) lose
-- their report; every certificate gets a row and every row its certificate's index.
UPDATE label_status SET gen = gen + 1, report = NULL
    WHERE report IS NOT NULL
      AND (status IS NULL
           OR seq IS NOT (SELECT c.last_seq FROM certificates c
                          WHERE c.id = label_status.certificate_id));
UPDATE label_status SET status = NULL WHERE report IS NULL;
INSERT INTO label_status (certificate_id, gen) SELECT id, 1 FROM certificates WHERE true
    ON CONFLICT (certificate_id) DO NOTHING;
UPDATE label_status
    SET idx = (SELECT c.status_index FROM certificates c WHERE c.id = label_status.certificate_id);

DROP TRIGGER label_status_certificate_update;
CREATE TRIGGER label_status_certificate_insert AFTER INSERT ON certificates BEGIN
    INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
        idx = excluded.idx;
END;
CREATE TRIGGER label_status_certificate_update
    AFTER UPDATE OF id, scheme_id, product_id, last_seq, status_index ON certificates BEGIN
    UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
        WHERE certificate_id = OLD.id AND OLD.id IS NOT NEW.id;
    INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
        idx = excluded.idx;
END;
CREATE TRIGGER label_status_certificate_delete AFTER DELETE ON certificates BEGIN
    UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
        WHERE certificate_id = OLD.id;
END;

-- A word never outlives its report, whoever clears the report (a trigger, `clear_status`, a hand
-- edit) or sets a word without one.
CREATE TRIGGER label_status_word_insert AFTER INSERT ON label_status
    WHEN NEW.report IS NULL AND NEW.status IS NOT NULL BEGIN
    UPDATE label_status SET status = NULL WHERE certificate_id = NEW.certificate_id;
END;
CREATE TRIGGER label_status_word_update AFTER UPDATE OF report, status ON label_status
    WHEN NEW.report IS NULL AND NEW.status IS NOT NULL BEGIN
    UPDATE label_status SET status = NULL WHERE certificate_id = NEW.certificate_id;
END;

-- The status list's one pass: everything its rule reads, in index order, no row visited.
CREATE INDEX label_status_list ON label_status
    (idx, certificate_id, status, policy, trust, computed_at, stale_after)
    WHERE idx IS NOT NULL;
