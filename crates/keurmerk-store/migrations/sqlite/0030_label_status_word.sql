-- Issue 15 item 6: the status list reads one short column per certificate instead of decoding
-- a million stored reports. `status` is the label status of `report` (`valid`, `attention`, …),
-- written with it by every store of a report (`put_status`, the bulk load); the triggers that
-- clear `report` leave it, and nothing reads it without `report IS NOT NULL`. Rows stored before
-- this migration have none: the status list fills them from their reports the first time it
-- finds them (`fill_status_words`). Forward-only.
ALTER TABLE label_status ADD COLUMN status TEXT;
