-- Staff records are signed by the owner device that wrote them (Ed25519, its roster key):
-- the MAC under the org-derived key proves a record came from a holder of the org key, which
-- every shop device and every revoked device also is; the signature proves an active owner
-- device of the device list wrote it. Existing rows are signed at the next unlock of an owner
-- device, and travel to the others like any change.
ALTER TABLE users ADD COLUMN signer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN sig BLOB;
