-- A certificate's row takes its status index back from any other row that holds it. Forward-only.
--
-- Migration 0044 keeps one row per index. The trigger that gives a certificate's row its index
-- (on insert, and on every change of the certificate row: each event moves `last_seq`) then
-- failed on a unique violation when another row held that index (a row moved there by hand, or
-- a row of no certificate), so one edited row could block every event of that certificate, its
-- revocation too, or every issue when it sat on the next index to hand out. Now the other row
-- loses the index first: the certificate's own index always wins, the other row's label is left
-- out of the list ("not valid") until `certificate verify --repair` gives it its own back, and
-- nothing the registry writes is refused for it. (The trigger itself is migration 0042's.)
CREATE OR REPLACE FUNCTION label_status_certificate() RETURNS TRIGGER LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id) THEN
        UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
            WHERE certificate_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE label_status SET idx = NULL
            WHERE idx = NEW.status_index AND certificate_id <> NEW.id;
        INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
        ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
            idx = excluded.idx;
    END IF;
    RETURN NULL;
END
$$;
