-- Issue 15 item 4: a search page's hits on PostgreSQL from one row each. Forward-only.
--
-- Before: each of a page's 20 hits was read through seven index descents (the search document,
-- the certificate, its product, its manufacturer, its status row, its image link and the image),
-- about 21 buffers a hit and 260–440 µs of PostgreSQL's time a page at 1,000,000, and at 64
-- connections PostgreSQL's share of the two cores kept search p99 at 42–56 ms.
--
-- Now what a hit shows of its product, manufacturer and image is kept beside its search document
-- in `certificate_search_hits`, one row per document by `seq`, and a page reads that row, the
-- certificate and its status row: three descents a hit. The certificate's row and its status row
-- are still read as they are, so a hit's state, its status word and every filter on the
-- certificate (scheme, level, state) come from the rows themselves; category and manufacturer
-- filters come from the kept row, as the product's never change.
--
-- The kept row is what `certificate_search_hit_rows` (below) makes of the certificate's rows.
-- It is written by the same triggers, in the same transaction, as the document it sits beside:
-- the certificate's insert writes it, and a change of the product's image (the only one of its
-- sources that ever changes: products, manufacturers' names and images by digest are written
-- once) rewrites those of the product's certificates. `keurmerk certificate verify` compares
-- every kept row with the view and `--repair` writes it again
-- (`keurmerk_store::sql::search_check`).
--
-- A certificate written while its product's image changes, in two transactions at once, gets
-- the image the later of the two commits with: the two lock the product's row (below).
--
-- Certificates and product images are locked against writes first (readers go on), as in
-- migration 0038: a writer already past its insert is waited for and its row copied below, and
-- one that comes after this commits runs the new triggers.
LOCK TABLE certificates, product_images IN SHARE ROW EXCLUSIVE MODE;

-- What a certificate's hit shows besides the certificate's and status rows, by certificate.
CREATE VIEW certificate_search_hit_rows AS
SELECT c.id AS certificate_id,
       p.name AS product_name,
       p.model AS product_model,
       p.category AS product_category,
       o.id AS manufacturer_id,
       o.name AS manufacturer_name,
       im.sha256 AS image_sha256,
       im.media_type AS image_media_type,
       CAST(im.width AS BIGINT) AS image_width,
       CAST(im.height AS BIGINT) AS image_height
FROM certificates c
JOIN products p ON p.id = c.product_id
JOIN organisations o ON o.id = p.manufacturer_id
LEFT JOIN product_images pi ON pi.product_id = p.id
LEFT JOIN images im ON im.sha256 = pi.sha256;

CREATE TABLE certificate_search_hits (
    seq BIGINT NOT NULL,
    certificate_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    product_model TEXT NOT NULL,
    product_category TEXT NOT NULL,
    manufacturer_id TEXT NOT NULL,
    manufacturer_name TEXT NOT NULL,
    image_sha256 TEXT,
    image_media_type TEXT,
    image_width BIGINT,
    image_height BIGINT
);

INSERT INTO certificate_search_hits
SELECT s.seq, v.* FROM certificate_search s
JOIN certificate_search_hit_rows v ON v.certificate_id = s.certificate_id;

ALTER TABLE certificate_search_hits ADD PRIMARY KEY (seq),
    ADD FOREIGN KEY (seq) REFERENCES certificate_search(seq) ON DELETE CASCADE;
-- Statistics now, not when autovacuum comes (a server may run without it).
ANALYZE certificate_search_hits;

-- The kept row of document `doc_seq`, certificate `cid`, written again from the view (the
-- triggers below and the repair of `keurmerk certificate verify --repair`). Planned per call, as
-- every function of the schema (migration 0029), with the view's joins in the order written
-- (the certificate by its key, then each row by its key): planning the five tables' join orders
-- took 0.3–0.4 ms per call, more than the write (a `demo --scale` certificate cost 40 % more).
CREATE FUNCTION certificate_search_hit_write(doc_seq BIGINT, cid TEXT) RETURNS VOID
LANGUAGE SQL SET plan_cache_mode = force_custom_plan SET join_collapse_limit = 1 AS $$
    DELETE FROM certificate_search_hits WHERE seq = doc_seq;
    INSERT INTO certificate_search_hits
    SELECT doc_seq, v.* FROM certificate_search_hit_rows v WHERE v.certificate_id = cid;
$$;

CREATE OR REPLACE FUNCTION certificate_search_insert() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    doc_seq BIGINT;
BEGIN
    INSERT INTO certificate_search (certificate_id, doc)
    VALUES (NEW.id, certificate_search_doc(NEW.id))
    RETURNING seq INTO doc_seq;
    INSERT INTO certificate_search_states (seq, state) VALUES (doc_seq, NEW.state);
    -- The product's row is share-locked (as the foreign key's check locks it) before its image
    -- is read: a change of its image in progress, which locks it for update, is waited for and
    -- its image read after it commits; one that comes later waits for this transaction and
    -- then sees this certificate.
    PERFORM 1 FROM products WHERE id = NEW.product_id FOR KEY SHARE;
    PERFORM certificate_search_hit_write(doc_seq, NEW.id);
    RETURN NEW;
END
$$;

-- A product's image set, replaced or removed: the kept rows of its certificates' documents.
CREATE FUNCTION certificate_search_hit_image() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    doc RECORD;
BEGIN
    -- Waits for every transaction that inserted a certificate of the product and has not
    -- committed (each holds a share lock on it): the loop below then sees their certificates.
    PERFORM 1 FROM products WHERE id IN (OLD.product_id, NEW.product_id) FOR UPDATE;
    FOR doc IN
        SELECT s.seq, s.certificate_id FROM certificates c
        JOIN certificate_search s ON s.certificate_id = c.id
        WHERE c.product_id IN (OLD.product_id, NEW.product_id)
    LOOP
        PERFORM certificate_search_hit_write(doc.seq, doc.certificate_id);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER certificate_search_hit_image AFTER INSERT OR UPDATE OR DELETE ON product_images
    FOR EACH ROW EXECUTE FUNCTION certificate_search_hit_image();
