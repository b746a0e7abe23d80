-- Issue 13, part 4: every audit entry records, when written, the user's roles and shop and the
-- grant of the access matrix that allowed the action, inside the entry's MAC (audit/v2), so
-- the unusual-behaviour detector and an offline evaluation read who did what under which
-- right. Entries written before keep their v1 MAC with these empty. Other devices' copies too.
ALTER TABLE audit ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN shop_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN grant_used TEXT NOT NULL DEFAULT '';
ALTER TABLE remote_audit ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE remote_audit ADD COLUMN shop_id TEXT NOT NULL DEFAULT '';
ALTER TABLE remote_audit ADD COLUMN grant_used TEXT NOT NULL DEFAULT '';
