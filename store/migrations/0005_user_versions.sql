-- Staff records carry a version that every logged change of the record raises. The record's MAC
-- covers it, and the newest version per user sits in meta (user_versions) under the
-- authenticated audit head, so an older, genuinely MAC'd copy of a row put back into the file is
-- refused at sign-in and named by verify. Existing rows start at 0 with their old MAC; the
-- first unlock of this database converts them in place to version 1 (store.upgrade).
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
