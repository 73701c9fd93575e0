-- A stored status and page must not outlive any fact of the certificate row they were folded
-- beside. Every fact below is shown on the page or signed into the label and the signed status,
-- and the fold now refuses a row that differs from what the signed events prove
-- (`ProblemKind::RowDiffers`); but a stored row is served without folding, so until now an
-- edit of, say, `level_id` outside the registry kept the stored "valid" served beside the
-- edited level. Any change of any of them now bumps `gen` (and so deletes the page, migration
-- 0032) in the writing statement, as a change of `last_seq` always did. Writes through the
-- registry change `state` and `valid_until` only with `last_seq`, so they bump nothing more.
DROP TRIGGER label_status_certificate_update;
CREATE TRIGGER label_status_certificate_update
    AFTER UPDATE OF id, product_id, holder_id, scheme_id, level_id, issuer_id, issuer_kind,
        authority_id, assessment_id, issued_at, valid_until, state, last_seq, status_index
    ON certificates BEGIN
    UPDATE label_status SET gen = gen + 1, report = NULL, idx = NULL
        WHERE certificate_id = OLD.id AND OLD.id IS NOT NEW.id;
    INSERT INTO label_status (certificate_id, gen, idx) VALUES (NEW.id, 1, NEW.status_index)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL,
        idx = excluded.idx;
END;
