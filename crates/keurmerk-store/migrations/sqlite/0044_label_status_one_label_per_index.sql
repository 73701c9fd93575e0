-- One label per status index in `label_status`, as in `certificates` (migration 0020). The row's
-- index is a copy the database keeps from the certificate (migration 0031), and the status list
-- reads only the copy; a copy edited to another label's index made the list publish whichever
-- of the two it read last in that label's slot. The status list now lists a shared index as not
-- valid, and the database refuses one. Forward-only.
--
-- Every copy is first taken from its certificate again (none differs unless edited by hand;
-- a row of no certificate has no index), so the index below cannot fail on an edited
-- database: the certificates' indices are unique.
UPDATE label_status
    SET idx = (SELECT c.status_index FROM certificates c WHERE c.id = label_status.certificate_id)
    WHERE idx IS NOT (SELECT c.status_index FROM certificates c
                      WHERE c.id = label_status.certificate_id);
CREATE UNIQUE INDEX label_status_one_per_index ON label_status (idx) WHERE idx IS NOT NULL;
