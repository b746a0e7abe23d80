-- Imports from other point-of-sale systems (store/imports.go). A customer keeps a second phone
-- number (an export's Phone next to its Mobile) and the record's id in the system it came
-- from ("shopify:4012345678", the system and its id): both personal data, sealed under the
-- customer's data key like the phone (store/schema.go classifies them); the source has a blind
-- index so that a second import of the same export finds its customers again.
ALTER TABLE customers ADD COLUMN phone_alt BLOB;
ALTER TABLE customers ADD COLUMN source BLOB;
ALTER TABLE customers ADD COLUMN source_bidx BLOB;
CREATE INDEX customers_source_bidx ON customers(source_bidx) WHERE source_bidx IS NOT NULL;
