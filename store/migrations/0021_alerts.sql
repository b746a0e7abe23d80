-- Issue 13, part 3: the unusual-behaviour detector's alerts (alerts.go, watch.go). One row per
-- alerted user, kind and episode: its id is derived from (user_id, kind, first_at), so the same
-- alert raised by the counter over its own trail and by the owner's laptop over the synced one
-- is one row. In the scope of the alerted user's shop (scope = the shop id), or the org's for
-- org-wide staff. Codes, ids, counts and times; the reviewer's note is sealed under the org key.
CREATE TABLE alerts (
    id         TEXT PRIMARY KEY,
    scope      TEXT NOT NULL,                 -- a shop id, or 'org'
    user_id    TEXT NOT NULL,                 -- the alerted account
    kind       TEXT NOT NULL,                 -- detect.Kind*
    score      INTEGER NOT NULL,              -- 1..99
    first_at   INTEGER NOT NULL,              -- the first event counted as evidence
    raised_at  INTEGER NOT NULL,              -- the event at which it was raised
    reasons    TEXT NOT NULL DEFAULT '',      -- the detector's reasons, one a line: counts and ids only
    status     TEXT NOT NULL DEFAULT 'open',  -- open, acknowledged, confirmed, dismissed
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at INTEGER NOT NULL DEFAULT 0,
    suspend    INTEGER NOT NULL DEFAULT 0,    -- confirmed with the account deactivated
    note       BLOB                           -- sealed under the org key: the reviewer's words
) STRICT;
CREATE INDEX alerts_scope ON alerts(scope, status);
