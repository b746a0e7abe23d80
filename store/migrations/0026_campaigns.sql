-- Issue 14, part 2: campaigns to consented audiences, built by marketing without personal data.
-- A campaign is one row per shop it goes to (campaign_id is the same on all of them), in that
-- shop's scope, so each shop's devices receive only their own and resolve their own members
-- locally (campaigns.go). Business columns only: codes, ids, the audience spec (a JSON object
-- of business attributes: shop ids, bike types, makes, dates, a spend band), the marketing
-- text with placeholders for the customer's first name and the shop's name (filled on the
-- sending device), counts (under 5 kept as -1) and times.
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    purpose     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    spec        TEXT NOT NULL CHECK (length(spec) <= 20000),
    subject_en  TEXT NOT NULL DEFAULT '' CHECK (length(subject_en) <= 400),
    body_en     TEXT NOT NULL DEFAULT '' CHECK (length(body_en) <= 20000),
    subject_zh  TEXT NOT NULL DEFAULT '' CHECK (length(subject_zh) <= 400),
    body_zh     TEXT NOT NULL DEFAULT '' CHECK (length(body_zh) <= 20000),
    audience    INTEGER NOT NULL DEFAULT -1,    -- consented members at creation; -1: under 5
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active', -- active, cancelled
    sent        INTEGER NOT NULL DEFAULT 0,     -- -1: 1 to 4
    skipped     INTEGER NOT NULL DEFAULT 0,     -- -1: 1 to 4
    sent_by     TEXT NOT NULL DEFAULT '',
    sent_at     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX campaigns_campaign ON campaigns(campaign_id, shop_id);
CREATE INDEX campaigns_shop ON campaigns(shop_id, status, created_at);

-- The audiences each user built recently (the differencing guard): this device's own
-- bookkeeping, never synced, backed up or exported. members are the audience's customer ids,
-- each as an 8-byte keyed hash (HMAC under a key derived from this database's master key),
-- sorted: enough to compare two audiences, not to name a customer. An audience fewer than 5
-- apart from a kept one is answered with the kept one's counts.
CREATE TABLE audience_history (
    seq       INTEGER PRIMARY KEY,
    user_id   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    spec_hash BLOB NOT NULL,
    size      INTEGER NOT NULL,
    members   BLOB NOT NULL,
    counts    TEXT NOT NULL DEFAULT ''  -- the counts shown (suppressed), as JSON
) STRICT;
CREATE INDEX audience_history_user ON audience_history(user_id, at);
