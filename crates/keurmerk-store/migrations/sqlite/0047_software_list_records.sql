-- A software list's signed record (docs/FORMATS.md §14): the manufacturer signs the list's
-- SHA-256 when it attaches it, and the registry appends the record to the transparency log. A
-- list without a record that verifies is not on record: its version reads as not monitored, so a
-- list inserted or replaced by hand never turns a label's "not monitored" into "valid".
ALTER TABLE sboms ADD COLUMN record BLOB;
-- The SHA-256 of `document` (lowercase hex), written with it, so the fold compares the record
-- with it without reading the list's bytes (up to 16 MiB each); `keurmerk certificate verify`
-- hashes the bytes again.
ALTER TABLE sboms ADD COLUMN sha256 TEXT;

-- Every software list record the registry queued for the log (a list attached again replaces
-- its row in `sboms`, never its record here), so an integrity check knows the log entries that
-- have no event for what they are.
CREATE TABLE software_list_records (
    queue_id BIGINT PRIMARY KEY,
    version_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX software_list_records_version ON software_list_records (version_id, queue_id);

-- A list counts only when its record's maker is the product's manufacturer: a change of the
-- product's maker (or id) clears the stored status of its certificates, as a change of a
-- certificate's product does (migration 0021).
CREATE TRIGGER label_status_product_maker AFTER UPDATE OF id, manufacturer_id ON products BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c WHERE c.product_id IN (NEW.id, OLD.id)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;

-- The lists stored before this migration have no record: the update's trigger (migration 0021)
-- clears the stored status of every certificate of their products, which is evaluated again.
UPDATE sboms SET record = NULL;
