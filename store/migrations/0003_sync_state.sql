-- Sync engine state: sealed change-sets waiting for the hub (made once, pushed until the hub
-- has them, so a crash never produces two different sets with one sequence number), and the
-- other devices' public keys as the owner's device or the hub introduced them.

CREATE TABLE sync_outbox (
    set_seq         INTEGER PRIMARY KEY,
    scope           TEXT NOT NULL,
    last_change_seq INTEGER NOT NULL,
    bytes           BLOB NOT NULL
) STRICT;

CREATE TABLE sync_peers (
    device_id   TEXT PRIMARY KEY,
    signing_key BLOB NOT NULL,
    kem_key     BLOB NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'active'
) STRICT;
