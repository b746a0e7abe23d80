-- A kept conflict is authenticated like a row (store/syncmac.go): edited in the file, its row,
-- column or value would be put back elsewhere by an owner or manager restoring it. Existing
-- conflicts get their MAC when the database is sealed.
ALTER TABLE conflicts ADD COLUMN mac BLOB;
