-- The newest scope sequence applied per sender is authenticated like a row (store/syncmac.go):
-- raised in the file, it would make this device drop a sender's next sets as already applied;
-- lowered, apply old ones again. Existing rows get their MAC when the database is sealed.
ALTER TABLE sync_applied ADD COLUMN mac BLOB;
