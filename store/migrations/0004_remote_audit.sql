-- Other devices' audit trails, as they pushed them: each device's hash chain is checked on
-- arrival and by verify, and compared with the signed checkpoints at the hub.
CREATE TABLE remote_audit (
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    user_id   TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    fields    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    reason    BLOB,
    mac       BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;
