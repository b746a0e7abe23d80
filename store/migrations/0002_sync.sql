-- Sync: find the current winner of a field quickly, keep losing values, remember peers.

CREATE INDEX changes_field ON changes(row_id, col, hlc);

-- A value that lost a last-writer-wins merge, kept so an owner or manager can see and
-- restore it. value is sealed exactly as it was in the change record.
CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    tbl         TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    col         TEXT NOT NULL,
    scope       TEXT NOT NULL,
    value       ANY,
    sealed      INTEGER NOT NULL,
    hlc         INTEGER NOT NULL,
    device_id   TEXT NOT NULL,
    winner_hlc  INTEGER NOT NULL,
    winner_dev  TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    resolved_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX conflicts_row ON conflicts(row_id);
