-- Issue 15 item 4: search filters inside the full-text index. Forward-only.
--
-- Before: the GIN index found every match of the words, and each was joined to its
-- certificate, product and manufacturer before a filter (scheme, level, state, category,
-- manufacturer) could drop it, so a word with a rare filter read every match of the word.
--
-- Now each document also holds one lexeme per filter value, which the query intersects with
-- the words inside the index (`doc @@ (words && facets)`): the posting lists are ANDed before
-- any row is read. The SQL conditions on the joined rows stay in the query too, so a facet
-- that disagreed with its certificate could hide a label from a filtered search but never show
-- one the filter excludes.
--
-- A lexeme is `~`, a letter naming the filter and the value's UTF-8 bytes in hexadecimal
-- (`~t` || hex('suspended')). Words come from `to_tsvector('simple', …)` over text reduced to
-- letters and digits, so no word a person types can equal a facet. `~i` is the certificate's
-- id. `keurmerk_store::sql::search::facet` builds the same lexemes.
--
-- A certificate's scheme, level, product (so its category and manufacturer) never change; its
-- state does, on an append or a scheduled expiry, and a trigger rewrites the document in that
-- UPDATE's transaction.
CREATE FUNCTION certificate_search_facets(
    cid TEXT, scheme TEXT, level TEXT, state TEXT, category TEXT, manufacturer TEXT
) RETURNS TSVECTOR LANGUAGE SQL IMMUTABLE
SET plan_cache_mode = force_custom_plan AS $$
    SELECT array_to_tsvector(ARRAY[
        '~i' || encode(convert_to(cid, 'UTF8'), 'hex'),
        '~s' || encode(convert_to(scheme, 'UTF8'), 'hex'),
        '~l' || encode(convert_to(level, 'UTF8'), 'hex'),
        '~t' || encode(convert_to(state, 'UTF8'), 'hex'),
        '~c' || encode(convert_to(category, 'UTF8'), 'hex'),
        '~m' || encode(convert_to(manufacturer, 'UTF8'), 'hex')
    ])
$$;

CREATE OR REPLACE FUNCTION certificate_search_doc(cid TEXT) RETURNS TSVECTOR LANGUAGE SQL STABLE
SET plan_cache_mode = force_custom_plan AS $$
    SELECT to_tsvector('simple', regexp_replace(lower(
               c.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
               p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name),
           '[^[:alnum:]]+', ' ', 'g'))
           || certificate_search_facets(c.id, c.scheme_id, c.level_id, c.state, p.category,
                                        p.manufacturer_id)
    FROM certificates c
    JOIN products p ON p.id = c.product_id
    JOIN organisations o ON o.id = p.manufacturer_id
    LEFT JOIN category_words w ON w.category = p.category
    WHERE c.id = cid
$$;

CREATE FUNCTION certificate_search_state() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    UPDATE certificate_search SET doc = certificate_search_doc(NEW.id)
    WHERE certificate_id = NEW.id;
    RETURN NEW;
END
$$;

CREATE TRIGGER certificate_search_state AFTER UPDATE OF state ON certificates
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION certificate_search_state();

-- Every document again, in one pass with the index dropped (updating a GIN index row by row
-- is many times slower than building it).
DROP INDEX certificate_search_doc;
UPDATE certificate_search s
SET doc = s.doc || certificate_search_facets(c.id, c.scheme_id, c.level_id, c.state,
                                             p.category, p.manufacturer_id)
FROM certificates c
JOIN products p ON p.id = c.product_id
WHERE c.id = s.certificate_id;
CREATE INDEX certificate_search_doc ON certificate_search USING GIN (doc);

-- Newest matches first (issue 15 item 4). A GIN index cannot return matches in `seq` order, so
-- PostgreSQL chose between two plans by its estimate of how many documents match: walk `seq`
-- backwards testing every document, or read every match and sort. Words are not independent
-- (`baby` and `mini` are each common and never on one label) and the estimate multiplies their
-- frequencies, so a query that matched nothing walked every document (63 ms at 100,000 labels
-- for the whole-word probe, growing with the registry). The plan is now the caller's, one per
-- function, each with the other plans off for its one statement:
-- - `certificate_search_recent` walks `seq` backwards from the newest document down to `lo`,
--   testing each (the caller passes the newest few thousand: enough for a common word's page);
--   `lo` is a condition of this function only, as a range in a bitmap plan it cost a bitmap of
--   the whole primary key;
-- - `certificate_search_newest` and `certificate_search_any` take the matches from the index as
--   a bitmap and read only their rows (cost: the matches, never the registry).
-- `keurmerk_store::sql::search` asks the first and, when it does not fill the page, the second.
-- Like every function of the schema (migration 0029) each is planned per call.
-- Each returns at most a page (`ROWS 20` tells the planner so: with the default estimate of
-- 1,000 rows it joined the result to `certificates` by a hash over the whole table, 30 ms at
-- 100,000 labels).
CREATE FUNCTION certificate_search_any(q TSQUERY) RETURNS BOOLEAN LANGUAGE SQL STABLE
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off SET enable_indexscan = off AS $$
    SELECT EXISTS (SELECT 1 FROM certificate_search WHERE doc @@ q)
$$;

CREATE FUNCTION certificate_search_newest(q TSQUERY, n BIGINT, skip BIGINT)
RETURNS TABLE (seq BIGINT, certificate_id TEXT) LANGUAGE SQL STABLE ROWS 20
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off SET enable_indexscan = off AS $$
    SELECT s.seq, s.certificate_id FROM certificate_search s
    WHERE s.doc @@ q
    ORDER BY s.seq DESC LIMIT n OFFSET skip
$$;

CREATE FUNCTION certificate_search_recent(q TSQUERY, lo BIGINT, n BIGINT, skip BIGINT)
RETURNS TABLE (seq BIGINT, certificate_id TEXT) LANGUAGE SQL STABLE ROWS 20
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off SET enable_bitmapscan = off AS $$
    SELECT s.seq, s.certificate_id FROM certificate_search s
    WHERE s.doc @@ q AND s.seq > lo
    ORDER BY s.seq DESC LIMIT n OFFSET skip
$$;
