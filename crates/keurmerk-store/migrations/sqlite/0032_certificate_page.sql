-- Issue 15 item 2: the certificate page's data as a stored read model (ADR 0015, amendment of
-- 2026-12-03). Forward-only.
--
-- One row per certificate: the events its signed statements prove (`body`, JSON, in the format
-- named by `format`), the digest of the trust list they were verified against, and the
-- generation of the certificate's `label_status` row they were read under. The page serves a row
-- only together with that `label_status` row's report, at the same generation (one join).
--
-- A row never outlives its generation: every change of an input of the fold bumps `gen`
-- (migrations 0021, 0023, 0031), and the triggers below delete the page row in that same
-- transaction, as they do when the `label_status` row is deleted or renamed.
CREATE TABLE certificate_page (
    certificate_id TEXT PRIMARY KEY,
    gen BIGINT NOT NULL,
    trust TEXT NOT NULL,
    format TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TRIGGER certificate_page_gen AFTER UPDATE OF gen, certificate_id ON label_status
    WHEN NEW.gen IS NOT OLD.gen OR NEW.certificate_id IS NOT OLD.certificate_id BEGIN
    DELETE FROM certificate_page WHERE certificate_id IN (OLD.certificate_id, NEW.certificate_id);
END;
CREATE TRIGGER certificate_page_gone AFTER DELETE ON label_status BEGIN
    DELETE FROM certificate_page WHERE certificate_id = OLD.certificate_id;
END;
