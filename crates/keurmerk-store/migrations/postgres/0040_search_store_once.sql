-- A certificate's search rows written by one function. Forward-only.
--
-- The insert trigger wrote the search document, its kept state (migration 0038) and its kept hit
-- (migration 0039), and `keurmerk certificate verify --repair` wrote the same three again from
-- Rust: two copies of one write, which a new kept table would have to extend in both. Both now
-- call `certificate_search_store`, which returns the document's new `seq`. Behaviour is that of
-- the trigger of migration 0039.
CREATE FUNCTION certificate_search_store(cid TEXT, product TEXT, cert_state TEXT) RETURNS BIGINT
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    doc_seq BIGINT;
BEGIN
    INSERT INTO certificate_search (certificate_id, doc)
    VALUES (cid, certificate_search_doc(cid))
    RETURNING seq INTO doc_seq;
    INSERT INTO certificate_search_states (seq, state) VALUES (doc_seq, cert_state);
    -- The product's row is share-locked (as the foreign key's check locks it) before its image
    -- is read: a change of its image in progress, which locks it for update, is waited for and
    -- its image read after it commits; one that comes later waits for this transaction and
    -- then sees this certificate.
    PERFORM 1 FROM products WHERE id = product FOR KEY SHARE;
    PERFORM certificate_search_hit_write(doc_seq, cid);
    RETURN doc_seq;
END
$$;

CREATE OR REPLACE FUNCTION certificate_search_insert() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    PERFORM certificate_search_store(NEW.id, NEW.product_id, NEW.state);
    RETURN NEW;
END
$$;
