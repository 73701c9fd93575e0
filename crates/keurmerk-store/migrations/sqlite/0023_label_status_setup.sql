-- The maker's setup facts (migration 0022) are an input of the stored label status: the report
-- carries them (`StatusReport::setup`) and they fit the owner advice. Any change of a product's
-- support commitment bumps `gen` and clears the stored report of each of its certificates, in
-- the writing transaction, like the inputs of migration 0021.
CREATE TRIGGER label_status_support_insert AFTER INSERT ON support_commitments BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c WHERE c.product_id = NEW.product_id
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_support_update AFTER UPDATE ON support_commitments BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c WHERE c.product_id IN (NEW.product_id, OLD.product_id)
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
CREATE TRIGGER label_status_support_delete AFTER DELETE ON support_commitments BEGIN
    INSERT INTO label_status (certificate_id, gen)
    SELECT c.id, 1 FROM certificates c WHERE c.product_id = OLD.product_id
    ON CONFLICT (certificate_id) DO UPDATE SET gen = label_status.gen + 1, report = NULL;
END;
