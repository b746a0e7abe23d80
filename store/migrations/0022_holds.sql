-- Issue 13: bulk exports and bulk deletions over the org's limits wait here for a second
-- person with the grant (an owner, or the shop's manager; never who asked), or, where the
-- chain has nobody else, for a 24-hour delay (runnable_at). Business columns only: codes, ids,
-- counts and times; codes are checked by the store (holds.go). selection is a filter (shop=ID;owner=ID) or a list of customer ids
-- (ids=ID,ID,...), never a value. Synced in the shop's scope; store/holds.go checks every
-- decision, an incoming one included, against who holds the grant.
CREATE TABLE bulk_holds (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    kind         TEXT NOT NULL,                -- export, delete
    selection    TEXT NOT NULL CHECK (length(selection) <= 400000),
    count        INTEGER NOT NULL CHECK (count >= 0),
    format       TEXT NOT NULL DEFAULT '',     -- export: csv, age
    requested_by TEXT NOT NULL,
    asked_at     INTEGER NOT NULL,
    runnable_at  INTEGER NOT NULL DEFAULT 0,  -- 0: an approver decides; else the delay's end
    expires_at   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open', -- open, approved, refused, expired, cancelled, done
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX bulk_holds_shop ON bulk_holds(shop_id, status, asked_at);
