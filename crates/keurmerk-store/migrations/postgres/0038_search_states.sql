-- Issue 15 item 4: a rare state's search page on PostgreSQL. Forward-only.
--
-- Before: a search filtered by a state few labels are in (2,117 suspended among 1,000,000) took
-- its page from the GIN index (`certificate_search_recent`, then every match as a bitmap): 12–64
-- ms each at a million, and those searches queued the rest behind them.
--
-- Now each search document's state is also kept in a narrow table of its own, indexed by state
-- and `seq`, so the state's documents are read newest first from one index, a few hundred at a
-- time, without a heap page of the documents (`keurmerk_store::sql::search`,
-- `postgres_rare_state_page`, takes those the search's words in memory hold; the certificates'
-- rows still decide). The state is the certificate's (`certificates.state`): the insert trigger
-- writes it with the document, and the state trigger rewrites it with the document's state
-- facet, in the same statement's transaction as the certificate's change.
--
-- A table of its own rather than a column of `certificate_search`: filling a new column rewrote
-- every document (and its GIN entries), where this table is filled in one pass.
--
-- Certificates are locked against writes first (readers go on): a writer already past its
-- insert is waited for and its document copied below, and one that comes after this commits runs
-- the new triggers, so no document is left without its state while another instance writes.
LOCK TABLE certificates IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE certificate_search_states (
    seq BIGINT NOT NULL,
    state TEXT NOT NULL
);

INSERT INTO certificate_search_states (seq, state)
SELECT s.seq, c.state FROM certificate_search s JOIN certificates c ON c.id = s.certificate_id;

ALTER TABLE certificate_search_states ADD PRIMARY KEY (seq),
    ADD FOREIGN KEY (seq) REFERENCES certificate_search(seq) ON DELETE CASCADE;
CREATE INDEX certificate_search_states_newest ON certificate_search_states (state, seq);

CREATE OR REPLACE FUNCTION certificate_search_insert() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    doc_seq BIGINT;
BEGIN
    INSERT INTO certificate_search (certificate_id, doc)
    VALUES (NEW.id, certificate_search_doc(NEW.id))
    RETURNING seq INTO doc_seq;
    INSERT INTO certificate_search_states (seq, state) VALUES (doc_seq, NEW.state);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION certificate_search_state() RETURNS TRIGGER LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    doc_seq BIGINT;
BEGIN
    UPDATE certificate_search SET doc = certificate_search_doc(NEW.id)
    WHERE certificate_id = NEW.id
    RETURNING seq INTO doc_seq;
    UPDATE certificate_search_states SET state = NEW.state WHERE seq = doc_seq;
    RETURN NEW;
END
$$;
