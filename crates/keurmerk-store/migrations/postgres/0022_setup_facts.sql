-- The maker's setup facts shown to owners with the label (issue 13): how the password is set
-- up and where to get updates. NULL: the maker has not said.
ALTER TABLE support_commitments ADD COLUMN password_setup TEXT;
ALTER TABLE support_commitments ADD COLUMN updates_url TEXT;
