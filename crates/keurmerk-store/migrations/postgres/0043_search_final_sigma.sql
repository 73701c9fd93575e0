-- Greek's final sigma in the search documents, read as the query side and SQLite read it.
-- Forward-only.
--
-- Before: a document's words were lower-cased by `lower()`, which turns Σ into σ and keeps ς
-- (the form of σ that ends a word written in lower case), so a name written in capitals
-- (`ΟΔΟΣ`) was stored as `οδοσ` and one written in lower case (`οδος`) as `οδος`, and no word
-- asked found both. The query side lower-cased with Rust's `to_lowercase`, which writes a final
-- Σ as ς and İ as `i` and a combining dot above: `ΟΔΟΣ` asked for `οδος` and missed the document
-- made from the very same text, and `İstanbul` asked for a word with the dot, which no document
-- holds (`lower()` makes it `istanbul`). Migration 0016 says the documents' words are
-- lower-cased "as the query side does": they were not, in those two. SQLite's tokenizer folds ς
-- to σ and İ to `i` in document and query alike.
--
-- Now every ς of a document's words is σ, and the query side (`keurmerk_store::search`,
-- `query_terms`) lower-cases each character as `lower()` does (İ to `i`) and makes ς σ too.
--
-- A document's words never change once written (the search's words in memory rely on it), so
-- each document with a ς is stored again under a new `seq` by `certificate_search_store`, as
-- `keurmerk certificate verify --repair` stores one, and counted as a repair of the documents
-- (`search_repairs`), so that no reading of the words made before this describes them after it.
-- Certificates and product images are locked against writes first (readers go on), as in
-- migration 0039, and a transaction id is taken before any `seq` is drawn, as the repair takes
-- one: a reading of the words that finds one of these `seq` missing waits for this transaction.
LOCK TABLE certificates, product_images IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_current_xact_id();

CREATE OR REPLACE FUNCTION certificate_search_doc(cid TEXT) RETURNS TSVECTOR LANGUAGE SQL STABLE
SET plan_cache_mode = force_custom_plan AS $$
    SELECT to_tsvector('simple', regexp_replace(translate(lower(
               c.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
               p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name), 'ς', 'σ'),
           '[^[:alnum:]]+', ' ', 'g'))
           || certificate_search_facets(c.id, c.scheme_id, c.level_id, c.state, p.category,
                                        p.manufacturer_id)
    FROM certificates c
    JOIN products p ON p.id = c.product_id
    JOIN organisations o ON o.id = p.manufacturer_id
    LEFT JOIN category_words w ON w.category = p.category
    WHERE c.id = cid
$$;

DO $$
DECLARE
    cert RECORD;
    stored BIGINT := 0;
BEGIN
    FOR cert IN
        SELECT c.id, c.product_id, c.state
        FROM certificate_search s JOIN certificates c ON c.id = s.certificate_id
        WHERE strpos(CAST(s.doc AS TEXT), 'ς') > 0
        ORDER BY s.seq
    LOOP
        -- Its kept state and hit go with it (foreign keys), and come again with the new one.
        DELETE FROM certificate_search WHERE certificate_id = cert.id;
        PERFORM certificate_search_store(cert.id, cert.product_id, cert.state);
        stored := stored + 1;
    END LOOP;
    IF stored > 0 THEN
        INSERT INTO counters (name, value) VALUES ('search_repairs', 1)
        ON CONFLICT (name) DO UPDATE SET value = counters.value + 1;
    END IF;
END
$$;
