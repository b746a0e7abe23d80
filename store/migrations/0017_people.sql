-- Issue 12: the people side of data protection. A leaving date in the signed staff record;
-- periodic permission reviews with a decision per account (org scope, written on owner
-- devices); and a shop manager's proposals for their staff (the shop's scope), which the owner
-- confirms, since role changes are owner-signed. Business columns only: ids, codes, times.

ALTER TABLE users ADD COLUMN leaves_at INTEGER NOT NULL DEFAULT 0;

CREATE TABLE permission_reviews (
    id           TEXT PRIMARY KEY,
    period_from  INTEGER NOT NULL,            -- the period the review looks back over
    period_to    INTEGER NOT NULL,            -- its end: when the review was started
    started_by   TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    completed_by TEXT NOT NULL DEFAULT '',
    completed_at INTEGER NOT NULL DEFAULT 0,
    accounts     INTEGER NOT NULL DEFAULT 0   -- accounts decided, at completion
) STRICT;

-- One decision per account and review: the id is derived from both, so two owner devices
-- deciding the same account write one row.
CREATE TABLE review_decisions (
    id           TEXT PRIMARY KEY,
    review_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    decision     TEXT NOT NULL,               -- certify, change, deactivate
    roles_before TEXT NOT NULL,
    roles_after  TEXT NOT NULL,
    flags        TEXT NOT NULL DEFAULT '',    -- comma-separated flag codes at the time
    decided_by   TEXT NOT NULL,
    decided_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE staff_proposals (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,                -- roles, deactivate, leave
    roles       TEXT NOT NULL DEFAULT '',     -- kind roles: the roles proposed
    leaves_at   INTEGER NOT NULL DEFAULT 0,   -- kind leave: the date proposed
    proposed_by TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open', -- open, confirmed, rejected
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
