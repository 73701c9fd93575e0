-- Issue 13 item 5 / issue 15 item 4: full-text search over labels. Forward-only.
--
-- One search document per certificate: its id, the product's name, model, GTIN and category
-- (with the category's words in en/nl/de/fr, from `category_words`) and the manufacturer's name.
-- Products, their manufacturers' names and certificates never change these columns after they
-- are written, so a trigger writes the document in the certificate's own insert transaction and
-- the document can never disagree with the rows it is made from. Words are lower-cased and split
-- at everything that is not a letter or digit before `to_tsvector('simple', …)`, as the query
-- side does (`keurmerk_store::search::query_terms`). `seq` grows with each certificate, so
-- results come newest first.
CREATE TABLE category_words (
    category TEXT PRIMARY KEY,
    words TEXT NOT NULL
);
INSERT INTO category_words (category, words) VALUES
    ('camera', 'camera security camera beveiligingscamera babycamera kamera überwachungskamera caméra surveillance'),
    ('router', 'router gateway modem routeur passerelle'),
    ('smart_plug', 'smart plug switch slimme stekker schakelaar steckdose zwischenstecker prise connectée'),
    ('baby_monitor', 'baby monitor babyfoon babyphone babyphon écoute bébé'),
    ('smart_lock', 'smart lock door lock slim slot deurslot türschloss schloss serrure connectée'),
    ('smart_speaker', 'smart speaker assistant slimme speaker lautsprecher sprachassistent enceinte connectée'),
    ('thermostat', 'thermostat heating verwarming thermostaat heizung thermostat chauffage'),
    ('cloud_service', 'cloud service online dienst clouddienst dienst cloud-dienst service en ligne'),
    ('connectivity_service', 'connectivity service internet verbinding konnektivität connectivité'),
    ('mobile_app', 'mobile app application smartphone telefoon handy appli'),
    ('alarm', 'alarm smoke fire gas water detector rookmelder brandmelder gasmelder watermelder rauchmelder wassermelder détecteur fumée incendie'),
    ('computer', 'computer pc laptop rechner ordinateur'),
    ('other', 'other overig sonstiges autre');

CREATE TABLE certificate_search (
    seq BIGSERIAL PRIMARY KEY,
    certificate_id TEXT NOT NULL UNIQUE REFERENCES certificates(id),
    doc TSVECTOR NOT NULL
);
CREATE INDEX certificate_search_doc ON certificate_search USING GIN (doc);

CREATE FUNCTION certificate_search_doc(cid TEXT) RETURNS TSVECTOR LANGUAGE SQL STABLE AS $$
    SELECT to_tsvector('simple', regexp_replace(lower(
               c.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
               p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name),
           '[^[:alnum:]]+', ' ', 'g'))
    FROM certificates c
    JOIN products p ON p.id = c.product_id
    JOIN organisations o ON o.id = p.manufacturer_id
    LEFT JOIN category_words w ON w.category = p.category
    WHERE c.id = cid
$$;

CREATE FUNCTION certificate_search_insert() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO certificate_search (certificate_id, doc)
    VALUES (NEW.id, certificate_search_doc(NEW.id));
    RETURN NEW;
END
$$;

CREATE TRIGGER certificate_search_insert AFTER INSERT ON certificates
    FOR EACH ROW EXECUTE FUNCTION certificate_search_insert();

INSERT INTO certificate_search (certificate_id, doc)
SELECT c.id, certificate_search_doc(c.id) FROM certificates c ORDER BY c.issued_at, c.id;

CREATE INDEX certificates_scheme_level ON certificates(scheme_id, level_id);
