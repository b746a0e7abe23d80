-- Issue 14: an erased customer must not come back with the next import of an old POS export.
-- The erasure ledger keeps the blind index of the customer's source id (hex; a keyed hash under
-- the shop's key, like the ledger id itself: it names nobody without that key), and an import
-- skips a row whose source matches it (store/imports.go).
ALTER TABLE erasures ADD COLUMN source_tag TEXT NOT NULL DEFAULT '' CHECK (length(source_tag) <= 64);
CREATE INDEX erasures_source ON erasures(shop_id, source_tag);
