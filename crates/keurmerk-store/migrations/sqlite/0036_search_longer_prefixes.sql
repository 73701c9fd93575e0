-- Issue 15 item 4: prefix lists in the full-text index for prefixes of 3 to 10 characters
-- (migration 0034 kept 3, 4 and 5). Forward-only; SQLite only (PostgreSQL's prefix match is
-- `:*` on its GIN index, which has no such lists).
--
-- A query's words are matched as prefixes when no label has all of them as whole words
-- (`keurmerk_store::sql::search`). FTS5 reads a prefix from its lists only when the prefix's
-- length is one it keeps; for any other length it first merges, in full, the list of every word
-- the prefix starts, with no early stop at the page. The words people type are mostly longer
-- than five characters (`camera`, `router`, `speaker`, `monitor`, `thermostat`), so the slowest
-- searches were two such words never on one label: the whole-word probe intersected their lists
-- and found nothing, then each prefix was merged in full before the two were intersected again.
-- Measured on a copy of a 100,000-label index (both tables merged into one segment, all 22 words
-- of the search bench alone and in the 462 ordered pairs, probe and page as the store runs them):
-- mean 0.57 ms, p90 1.75 ms, p99 2.81 ms with 3–5; 0.34 ms, 1.14 ms, 1.56 ms with 3–10. The
-- index grows from 75 MB to 106 MB at 100,000 labels. A prefix of more than ten characters is
-- merged as before.
--
-- The index is rebuilt row for row from the old one, keeping each rowid (newest first without
-- sorting), with the same columns, tokenizer and triggers as migration 0034.
CREATE VIRTUAL TABLE certificate_fts_prefixes USING fts5(
    certificate_id UNINDEXED,
    body,
    facets,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '3 4 5 6 7 8 9 10'
);

INSERT INTO certificate_fts_prefixes (rowid, certificate_id, body, facets)
SELECT rowid, certificate_id, body, facets FROM certificate_fts ORDER BY rowid;

-- The triggers name the index; SQLite checks every trigger when a table is renamed, so they go
-- before the old index does and come back, unchanged, after the rename.
DROP TRIGGER certificate_fts_insert;
DROP TRIGGER certificate_fts_state;
DROP TABLE certificate_fts;
ALTER TABLE certificate_fts_prefixes RENAME TO certificate_fts;

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
