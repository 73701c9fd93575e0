-- The maker's setup facts (migration 0022) are an input of the stored label status: the report
-- carries them (`StatusReport::setup`) and they fit the owner advice. Any change of a product's
-- support commitment bumps `gen` and clears the stored report of each of its certificates, in
-- the writing transaction, like the inputs of migration 0021.
CREATE FUNCTION label_status_support() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM label_status_bump(c.id) FROM certificates c
    WHERE (TG_OP <> 'DELETE' AND c.product_id = NEW.product_id)
       OR (TG_OP <> 'INSERT' AND c.product_id = OLD.product_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER label_status_support AFTER INSERT OR UPDATE OR DELETE ON support_commitments
    FOR EACH ROW EXECUTE FUNCTION label_status_support();
