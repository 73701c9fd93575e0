-- Issue 13 item 5 / issue 15 item 4: full-text search over labels. Forward-only.
--
-- One search document per certificate: its id, the product's name, model, GTIN and category
-- (with the category's words in en/nl/de/fr, from `category_words`) and the manufacturer's name.
-- Products, their manufacturers' names and certificates never change these columns after they
-- are written, so a trigger writes the document in the certificate's own insert transaction and
-- the document can never disagree with the rows it is made from. The FTS rowid grows with each
-- certificate (FTS5 keeps it through VACUUM, unlike an implicit rowid), so results come newest
-- first without sorting every match.
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

CREATE VIRTUAL TABLE certificate_fts USING fts5(
    certificate_id UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER certificate_fts_insert AFTER INSERT ON certificates BEGIN
    INSERT INTO certificate_fts (certificate_id, body)
    SELECT NEW.id,
           NEW.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
           p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name
    FROM products p
    JOIN organisations o ON o.id = p.manufacturer_id
    LEFT JOIN category_words w ON w.category = p.category
    WHERE p.id = NEW.product_id;
END;

INSERT INTO certificate_fts (certificate_id, body)
SELECT c.id,
       c.id || ' ' || p.name || ' ' || p.model || ' ' || COALESCE(p.gtin, '') || ' ' ||
       p.category || ' ' || COALESCE(w.words, '') || ' ' || o.name
FROM certificates c
JOIN products p ON p.id = c.product_id
JOIN organisations o ON o.id = p.manufacturer_id
LEFT JOIN category_words w ON w.category = p.category
ORDER BY c.issued_at, c.id;

CREATE INDEX certificates_scheme_level ON certificates(scheme_id, level_id);
