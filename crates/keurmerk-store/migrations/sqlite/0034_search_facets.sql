-- Issue 15 item 4: search filters inside the full-text index. Forward-only.
--
-- Before: the index found the words' matches newest first, and every match was joined to its
-- certificate, product and manufacturer before a filter (scheme, level, state, category,
-- manufacturer) could drop it. A word with a rare filter (`camera` among the 0.2 % suspended
-- labels) or two words whose common matches the filter all drops walked tens of thousands of
-- joined rows: 0.2–0.5 s per query at 1,000,000 labels, alone on the machine.
--
-- Now each document also has a `facets` column holding one token per filter value, which the
-- query intersects with the words inside the index: FTS5 steps through the rarest list and
-- seeks in the others, and no row is joined until it matches everything. The SQL conditions on
-- the joined rows stay in the query too, so a facet that disagreed with its certificate could
-- hide a label from a filtered search but never show one the filter excludes.
--
-- A token is a letter naming the filter and the value's UTF-8 bytes in hexadecimal
-- (`t` || hex('suspended') = `t73757370656E646564`): always one token of letters and digits
-- whatever the value holds, in a column the words of a query are never matched against
-- (`body : (…)`), so no word a person types can match a facet. `i` is the certificate's id, the
-- key by which the state trigger finds the document (`certificate_id` is not indexed).
-- `keurmerk_store::sql::search::facet` builds the same tokens.
--
-- The index also keeps lists for every prefix of 3, 4 and 5 characters (`prefix`). A word of
-- a query is matched as a prefix when no label has all its words whole
-- (`keurmerk_store::sql::search`), and without these lists FTS5 merged the list of every word
-- the prefix starts: `baby*` is also every camera's `babycamera` and every baby monitor's
-- `babyfoon`, `babyphone`, `babyphon`. Measured on a copy of the 1,000,000-label index:
-- `baby* mini*` 40–50 ms without, 10–20 ms with; the index 466 MB without, 752 MB with
-- (961 MB with every length from 3 to 8, no faster on the search bench's words). A longer
-- prefix starts few enough words to merge.
--
-- A certificate's scheme, level, product (so its category and manufacturer) never change; its
-- state does, on an append or a scheduled expiry, and a trigger rewrites the facets in that
-- UPDATE's transaction. The index is rebuilt row for row from the old one, keeping each rowid, so
-- results come in the same order as before (rowids grow with each certificate: newest first
-- without sorting).
CREATE VIRTUAL TABLE certificate_fts_facets USING fts5(
    certificate_id UNINDEXED,
    body,
    facets,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4 5'
);

INSERT INTO certificate_fts_facets (rowid, certificate_id, body, facets)
SELECT f.rowid, f.certificate_id, f.body,
       'i' || hex(c.id) || ' s' || hex(c.scheme_id) || ' l' || hex(c.level_id) ||
       ' t' || hex(c.state) || ' c' || hex(p.category) || ' m' || hex(p.manufacturer_id)
FROM certificate_fts f
JOIN certificates c ON c.id = f.certificate_id
JOIN products p ON p.id = c.product_id
ORDER BY f.rowid;

DROP TRIGGER certificate_fts_insert;
DROP TABLE certificate_fts;
ALTER TABLE certificate_fts_facets RENAME TO certificate_fts;

CREATE TRIGGER certificate_fts_insert AFTER INSERT ON certificates BEGIN
    INSERT INTO certificate_fts (certificate_id, body, facets)
    SELECT NEW.id,
           NEW.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
           p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name,
           'i' || hex(NEW.id) || ' s' || hex(NEW.scheme_id) || ' l' || hex(NEW.level_id) ||
           ' t' || hex(NEW.state) || ' c' || hex(p.category) || ' m' || hex(p.manufacturer_id)
    FROM products p
    JOIN organisations o ON o.id = p.manufacturer_id
    LEFT JOIN category_words w ON w.category = p.category
    WHERE p.id = NEW.product_id;
END;

CREATE TRIGGER certificate_fts_state AFTER UPDATE OF state ON certificates
WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE certificate_fts
    SET facets = 'i' || hex(NEW.id) || ' s' || hex(NEW.scheme_id) || ' l' || hex(NEW.level_id) ||
                 ' t' || hex(NEW.state) ||
                 (SELECT ' c' || hex(p.category) || ' m' || hex(p.manufacturer_id)
                  FROM products p WHERE p.id = NEW.product_id)
    WHERE rowid IN (SELECT rowid FROM certificate_fts
                    WHERE certificate_fts MATCH 'facets : i' || hex(NEW.id));
END;
