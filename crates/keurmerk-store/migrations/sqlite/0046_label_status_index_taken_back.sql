-- A certificate's row takes its status index back from any other row that holds it. Forward-only.
--
-- Migration 0044 keeps one row per index. The triggers that give a certificate's row its index
-- (on insert, and on every change of the certificate row: each event moves `last_seq`) then
-- failed on a unique violation when another row held that index (a row moved there by hand, or
-- a row of no certificate), so one edited row could block every event of that certificate, its
-- revocation too, or every issue when it sat on the next index to hand out. Now the other row
-- loses the index first: the certificate's own index always wins, the other row's label is left
-- out of the list ("not valid") until `certificate verify --repair` gives it its own back, and
-- nothing the registry writes is refused for it.
DROP TRIGGER label_status_certificate_insert;
CREATE TRIGGER label_status_certificate_insert AFTER INSERT ON certificates BEGIN
    UPDATE label_status SET idx = NULL
        WHERE idx = NEW.status_index AND certificate_id IS NOT NEW.id;
    INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
        idx = excluded.idx;
END;
DROP TRIGGER label_status_certificate_update;
CREATE TRIGGER label_status_certificate_update
    AFTER UPDATE OF id, product_id, holder_id, scheme_id, level_id, issuer_id, issuer_kind,
        authority_id, assessment_id, issued_at, valid_until, state, last_seq, status_index
    ON certificates BEGIN
    UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
        WHERE certificate_id = OLD.id AND OLD.id IS NOT NEW.id;
    UPDATE label_status SET idx = NULL
        WHERE idx = NEW.status_index AND certificate_id IS NOT NEW.id;
    INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
        idx = excluded.idx;
END;
