-- The owner-signed roster (crypto/roster) as this device verified it, entry by entry from the
-- genesis; meta 'roster_id' holds the chain id (the genesis hash) it must start from. Device
-- keys are pinned only from here: the hub's device list is never trusted, so sync_peers goes.
CREATE TABLE roster (
    seq   INTEGER PRIMARY KEY,
    entry BLOB NOT NULL
) STRICT;

DROP TABLE sync_peers;

-- Change-sets that cannot be applied yet: a gap in the sender's sequence for that scope, a
-- sender the roster does not list yet, a scope key that has not arrived, a newer format.
-- Retried after every pull; digest keeps a planted set from displacing a genuine one.
CREATE TABLE sync_held (
    id        INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    scope     TEXT NOT NULL,
    scope_seq INTEGER NOT NULL,
    digest    BLOB NOT NULL UNIQUE,
    bytes     BLOB NOT NULL,
    reason    TEXT NOT NULL,
    held_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_held_order ON sync_held(device_id, scope, scope_seq);

-- The newest scope sequence applied per sender and scope: the next set must follow it.
CREATE TABLE sync_applied (
    device_id TEXT NOT NULL,
    scope     TEXT NOT NULL,
    scope_seq INTEGER NOT NULL,
    PRIMARY KEY (device_id, scope)
) STRICT;
