-- Letters with diacritics in the search documents, read as SQLite and the query side read them.
-- Forward-only.
--
-- Before: PostgreSQL's documents kept each letter's diacritics (`Café` was `café`), where
-- SQLite's tokenizer (`unicode61 remove_diacritics 2`, migration 0016) folds them to the base
-- letter in document and query alike, so one registry answered differently on the two
-- backends: on PostgreSQL `cafe` missed `Café`, `café` missed `Cafe` and `munchen` missed
-- `München`, all found on SQLite.
--
-- Now a document's words, once lower-cased and with ς made σ (migration 0043), have each letter
-- that SQLite folds made its base letter, by `translate()` with the letters written out (no
-- `unaccent`: a managed PostgreSQL may refuse `CREATE EXTENSION`): Latin-1 Supplement, Latin
-- Extended-A and -B and Latin Extended Additional, capitals and lower case. The letters SQLite
-- keeps are kept (`ß`, `æ`, `ø`, `đ`, `ł`, `þ`, and Greek's letters with tonos). The query side
-- (`keurmerk_store::search`, `query_terms`) folds each lower-cased letter by the same table,
-- `WITHOUT_ACCENTS`; unit tests check that the two strings below are that table, and that the
-- SQLite we build folds each of its letters, and no other, so.
--
-- A document's words never change once written (the search's words in memory rely on it), so
-- each document whose words this changes (one whose stored words differ from what the new
-- function makes; only a document with a character outside ASCII can) is stored again under a
-- new `seq` by `certificate_search_store`, as `keurmerk certificate verify --repair` stores
-- one, and counted as a repair of the documents (`search_repairs`), so that no reading of the
-- words made before this describes them after it. Certificates and product images are locked
-- against writes first (readers go on), as in migrations 0039 and 0043, and a transaction id
-- is taken before any `seq` is drawn, as the repair takes one: a reading of the words that
-- finds one of these `seq` missing waits for this transaction.
LOCK TABLE certificates, product_images IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_current_xact_id();

CREATE OR REPLACE FUNCTION certificate_search_doc(cid TEXT) RETURNS TSVECTOR LANGUAGE SQL STABLE
SET plan_cache_mode = force_custom_plan AS $$
    SELECT to_tsvector('simple', regexp_replace(translate(translate(lower(
               c.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
               p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name), 'ς', 'σ'),
               'ÀÁÂÃÄÅàáâãäåĀāĂăĄąǍǎǞǟǺǻȀȁȂȃȦȧḀḁẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặḂḃḄḅḆḇÇçĆćĈĉĊċČčḈḉĎďḊḋḌḍḎḏḐḑḒḓÈÉÊËèéêëĒēĔĕĖėĘęĚěȄȅȆȇȨȩḔḕḖḗḘḙḚḛḜḝẸẹẺẻẼẽẾếỀềỂểỄễỆệḞḟĜĝĞğĠġĢģǦǧǴǵḠḡĤĥȞȟḢḣḤḥḦḧḨḩḪḫẖÌÍÎÏìíîïĨĩĪīĬĭĮįİǏǐȈȉȊȋḬḭḮḯỈỉỊịĴĵǰĶķǨǩḰḱḲḳḴḵĹĺĻļĽľḶḷḸḹḺḻḼḽḾḿṀṁṂṃÑñŃńŅņŇňǸǹṄṅṆṇṈṉṊṋÒÓÔÕÖòóôõöŌōŎŏŐőƠơǑǒǪǫǬǭȌȍȎȏȪȫȬȭȮȯȰȱṌṍṎṏṐṑṒṓỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợṔṕṖṗŔŕŖŗŘřȐȑȒȓṘṙṚṛṜṝṞṟŚśŜŝŞşŠšȘșṠṡṢṣṤṥṦṧṨṩẛŢţŤťȚțṪṫṬṭṮṯṰṱẗÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųƯưǓǔǕǖǗǘǙǚǛǜȔȕȖȗṲṳṴṵṶṷṸṹṺṻỤụỦủỨứỪừỬửỮữỰựṼṽṾṿŴŵẀẁẂẃẄẅẆẇẈẉẘẊẋẌẍÝýÿŶŷŸȲȳẎẏẙỲỳỴỵỶỷỸỹŹźŻżŽžẐẑẒẓẔẕ',
               'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbccccccccccccddddddddddddeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeffgggggggggggggghhhhhhhhhhhhhhhiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiijjjkkkkkkkkkkllllllllllllllmmmmmmnnnnnnnnnnnnnnnnnnoooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooopppprrrrrrrrrrrrrrrrrrssssssssssssssssssssstttttttttttttttuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuvvvvwwwwwwwwwwwwwxxxxyyyyyyyyyyyyyyyyyyyzzzzzzzzzzzz'),
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
        WHERE octet_length(CAST(s.doc AS TEXT)) <> char_length(CAST(s.doc AS TEXT))
          AND s.doc IS DISTINCT FROM certificate_search_doc(c.id)
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
