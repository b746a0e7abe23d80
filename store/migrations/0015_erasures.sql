-- The erasure ledger (store/erasure.go). One row per customer erased by crypto-shredding: the
-- customer's rows are deleted (their clocks stay, terminal, so nothing merges into them again)
-- and their data key is gone with the row. The ledger names the customer only by a keyed hash
-- of its id (the shop's ledger key, derived from the shop key), so it holds nothing that says
-- who the person was; it travels in change-sets and snapshots like any shop row, sits in every
-- backup and beside them in the backup folder, and erases the customer again wherever an older
-- copy comes back (a restore, a device that still has the customer).
CREATE TABLE erasures (
    id         TEXT PRIMARY KEY,           -- the keyed hash of the customer id, as a UUID
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    erased_at  INTEGER NOT NULL,
    erased_by  TEXT NOT NULL,              -- staff user id, or a system principal
    sales_kept INTEGER NOT NULL DEFAULT 0  -- sales kept, anonymised (a legal retention duty)
) STRICT;

-- A shop's keys derived from the first version of its key (blind indexes, the erasure ledger),
-- each wrapped under a later version (store/indexkeys.go), so that first version can be
-- forgotten after an erasure. One row per shop and purpose, the same id on every device.
CREATE TABLE index_keys (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    purpose     TEXT NOT NULL,
    wrapped     BLOB NOT NULL,
    key_version INTEGER NOT NULL
) STRICT;
