-- Data-subject requests (store/requests.go) and the shops' holiday calendars they count
-- business days over. Business data only: codes, dates, ids; nothing a person typed.
--
-- subject_id names the customer by id alone, with no REFERENCES: the request log is kept at
-- least 24 months (CCPA §7101) and must outlive the customer's erasure, which destroys what the
-- id pointed at but not this row. It is NULL for someone the shop did not find.
-- The CHECKs hold every code to its list on every write, an incoming change-set's included (a
-- forged value makes the set's insert fail, and the set is refused); the table CHECK refuses a
-- deletion sooner than 730 days after the request was closed (the store counts 24 calendar
-- months, never less).
CREATE TABLE privacy_requests (
    id                  TEXT PRIMARY KEY,
    shop_id             TEXT NOT NULL REFERENCES shops(id),
    subject_id          TEXT,
    type                TEXT NOT NULL CHECK (type IN ('access', 'rectification', 'erasure', 'restriction', 'objection',
                            'portability', 'ccpa_opt_out_sale', 'ccpa_limit_sensitive')),
    channel             TEXT NOT NULL CHECK (channel IN ('counter', 'email', 'phone', 'post', 'web_form')),
    received_at         INTEGER NOT NULL,
    jurisdiction        TEXT NOT NULL CHECK (jurisdiction IN ('gdpr', 'ccpa', 'pipl', 'default')),
    confirm_due_at      INTEGER NOT NULL DEFAULT 0,    -- 0: no duty to confirm receipt
    due_at              INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('received', 'verifying', 'in_progress', 'extended',
                            'completed', 'refused', 'withdrawn')),
    verify_method       TEXT NOT NULL DEFAULT '' CHECK (verify_method IN ('', 'id_document_seen', 'email_match',
                            'phone_match', 'account_signin', 'known_in_person', 'other')),
    verified_by         TEXT REFERENCES users(id),
    verified_at         INTEGER NOT NULL DEFAULT 0,
    extended_at         INTEGER NOT NULL DEFAULT 0,
    extension_notice_at INTEGER NOT NULL DEFAULT 0,
    confirmed_at        INTEGER NOT NULL DEFAULT 0,
    closed_at           INTEGER NOT NULL DEFAULT 0,
    outcome             TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'fulfilled', 'partially_fulfilled', 'refused',
                            'withdrawn')),
    refusal_reason      TEXT NOT NULL DEFAULT '' CHECK (refusal_reason IN ('', 'identity_not_verified',
                            'manifestly_unfounded', 'excessive', 'legal_obligation_to_retain', 'no_data_held', 'other')),
    created_by          TEXT NOT NULL REFERENCES users(id),
    created_at          INTEGER NOT NULL,
    deleted_at          INTEGER NOT NULL DEFAULT 0,
    CHECK (deleted_at = 0 OR (closed_at > 0 AND deleted_at - closed_at >= 63072000000))
) STRICT;
CREATE INDEX privacy_requests_shop ON privacy_requests(shop_id, closed_at, due_at);
CREATE INDEX privacy_requests_subject ON privacy_requests(subject_id) WHERE subject_id IS NOT NULL;

-- A shop's holidays: one row per day (two devices adding days at once both keep theirs);
-- removing one sets deleted_at. label is the holiday's name ("Christmas Day"), business text.
CREATE TABLE shop_holidays (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    day        TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    label      TEXT NOT NULL CHECK (length(label) <= 80),
    created_at INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX shop_holidays_shop ON shop_holidays(shop_id, day);
