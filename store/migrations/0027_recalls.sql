-- Issue 14: brand recalls (recalls.go). Business columns only: the brand's make, models and
-- model years, its reference, title and date, ids, counts and times.
--
-- recalls: a recall lives in the scope it names: a shop's (a manager's, or an owner's for one
-- shop) or the org's (chain-wide, owner devices only).
CREATE TABLE recalls (
    id         TEXT PRIMARY KEY,
    scope      TEXT NOT NULL,              -- a shop id, or 'org' (every shop)
    make       TEXT NOT NULL,
    models     TEXT NOT NULL DEFAULT '',   -- the recalled models, one a line ('' any model)
    year_from  INTEGER NOT NULL DEFAULT 0, -- 0: no lower bound
    year_to    INTEGER NOT NULL DEFAULT 0, -- 0: no upper bound
    reference  TEXT NOT NULL,              -- the brand's reference
    title      TEXT NOT NULL,
    issued_on  TEXT NOT NULL,              -- YYYY-MM-DD, the brand's date
    serials    INTEGER NOT NULL DEFAULT 0 CHECK (serials >= 0), -- how many frame serials its list had
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
-- A recall's serial list never rests in clear: each part holds, for one shop, the shop's blind
-- index (16-byte keyed sums, concatenated) of up to 2,000 of the list's serials, in that
-- shop's scope, so only the shop's own devices (and the owner's) can test a bike against it.
CREATE TABLE recall_serials (
    id        TEXT PRIMARY KEY,
    recall_id TEXT NOT NULL,
    shop_id   TEXT NOT NULL REFERENCES shops(id),
    part      INTEGER NOT NULL CHECK (part >= 0),
    sums      BLOB NOT NULL CHECK (length(sums) <= 32000)
) STRICT;
CREATE INDEX recall_serials_recall ON recall_serials(recall_id, shop_id);
-- Who a recall notice reached, how and when, under the legal obligation (not marketing
-- consent). Insert-only; in the bike's shop's scope.
CREATE TABLE recall_notices (
    id           TEXT PRIMARY KEY,
    recall_id    TEXT NOT NULL,
    bike_id      TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    channel      TEXT NOT NULL,             -- email, phone, post, in-person
    outcome      TEXT NOT NULL,             -- reached, unreachable, declined
    lawful_basis TEXT NOT NULL,             -- legal_obligation
    noticed_by   TEXT NOT NULL,
    noticed_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX recall_notices_recall ON recall_notices(recall_id, bike_id, noticed_at);
CREATE INDEX recall_notices_customer ON recall_notices(customer_id);
