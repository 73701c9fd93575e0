-- Issue 15 item 2: the certificate page's data as a stored read model. Forward-only. See the
-- SQLite migration of the same number.
CREATE TABLE certificate_page (
    certificate_id TEXT PRIMARY KEY,
    gen BIGINT NOT NULL,
    trust TEXT NOT NULL,
    format TEXT NOT NULL,
    body TEXT NOT NULL
);

-- A page row never outlives the generation it was read under.
CREATE FUNCTION certificate_page_gen() RETURNS TRIGGER LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM certificate_page WHERE certificate_id = OLD.certificate_id;
    ELSIF OLD.gen IS DISTINCT FROM NEW.gen OR OLD.certificate_id IS DISTINCT FROM NEW.certificate_id
    THEN
        DELETE FROM certificate_page
            WHERE certificate_id IN (OLD.certificate_id, NEW.certificate_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER certificate_page_gen AFTER UPDATE OR DELETE ON label_status
    FOR EACH ROW EXECUTE FUNCTION certificate_page_gen();
