-- Issue 14, the counter's side of service reminders. Business columns only: ids, codes, dates
-- and counts; the one secret (the shop's SMTP user name and password) is sealed by the store
-- under a key derived from the shop's key (mailer.go), never a personal value.

-- The date this shop sold the bike new (0: not sold here, or not known): the first service
-- and the yearly service count from it.
ALTER TABLE bikes ADD COLUMN sold_at INTEGER NOT NULL DEFAULT 0;

-- Reminder rules per shop (reminders.go), one row per shop and kind (the id is derived from
-- both, so two devices editing a rule write one row).
CREATE TABLE reminder_rules (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id),
    kind       TEXT NOT NULL CHECK (kind IN ('first_service', 'yearly_service', 'ebike_check', 'after_job')),
    bike_type  TEXT NOT NULL DEFAULT '',
    every      INTEGER NOT NULL CHECK (every BETWEEN 1 AND 520),
    unit       TEXT NOT NULL CHECK (unit IN ('weeks', 'months')),
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    set_by     TEXT NOT NULL,
    set_at     INTEGER NOT NULL
) STRICT;

-- What became of each reminder and "your bike is ready" notice: sent, called, skipped for
-- want of consent, failed. The id is derived from (kind, bike or job, due date), so a reminder
-- sent on one device is not sent again by another.
CREATE TABLE reminder_sends (
    id            TEXT PRIMARY KEY,
    shop_id       TEXT NOT NULL REFERENCES shops(id),
    customer_id   TEXT NOT NULL,
    bike_id       TEXT NOT NULL DEFAULT '',
    work_order_id TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    channel       TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('sent', 'called', 'no_consent', 'no_address', 'failed', 'dismissed')),
    sent_by       TEXT NOT NULL,
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX reminder_sends_customer ON reminder_sends(customer_id);

-- A shop's outgoing mail server (mailer.go): one row per shop. secret holds the SMTP user
-- name and password, sealed; the rest is the shop's business (its host, its sending address).
CREATE TABLE shop_mail (
    id               TEXT PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops(id),
    host             TEXT NOT NULL,
    port             INTEGER NOT NULL,
    implicit_tls     INTEGER NOT NULL DEFAULT 0 CHECK (implicit_tls IN (0, 1)),
    from_addr        TEXT NOT NULL,
    from_name        TEXT NOT NULL,
    reply_to         TEXT NOT NULL DEFAULT '',
    ca_pem           TEXT NOT NULL DEFAULT '' CHECK (length(ca_pem) <= 20000),
    secret           BLOB,
    lang             TEXT NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'zh')),
    booking          TEXT NOT NULL DEFAULT '' CHECK (length(booking) <= 300),
    unsubscribe_base TEXT NOT NULL DEFAULT '' CHECK (length(unsubscribe_base) <= 300),
    set_by           TEXT NOT NULL,
    set_at           INTEGER NOT NULL
) STRICT;

-- One-click unsubscribe (unsubscribe.go): per customer and purpose, the SHA-256 of the opaque
-- token in the mails' links. The hub holds the same hash; a click it relays names the hash.
CREATE TABLE unsubscribe_tokens (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    customer_id TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL CHECK (length(token_hash) = 64),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX unsubscribe_tokens_hash ON unsubscribe_tokens(token_hash);
CREATE INDEX unsubscribe_tokens_customer ON unsubscribe_tokens(customer_id);

-- Consents learn two sources: the one-click link relayed by the hub (recorded by the
-- system principal "system:unsubscribe", so recorded_by no longer references users) and an
-- "unsubscribe" reply by e-mail recorded at the counter. SQLite cannot change a CHECK in
-- place: the table is rebuilt with the same rows.
CREATE TABLE consents_v2 (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    purpose           TEXT NOT NULL CHECK (purpose IN ('service_reminders', 'email_marketing', 'sms_marketing', 'brand_sharing', 'cross_border_transfer', 'sensitive_data')),
    channel           TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'post', 'phone', 'any')),
    granted           INTEGER NOT NULL CHECK (granted IN (0, 1)),
    lawful_basis      TEXT NOT NULL CHECK (lawful_basis IN ('consent', 'contract', 'legitimate_interest', 'legal_obligation', 'parental_consent')),
    source            TEXT NOT NULL CHECK (source IN ('counter', 'web_form', 'paper', 'import', 'phone', 'unsubscribe_link', 'email_reply')),
    notice_version    TEXT NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 32),
    recorded_by       TEXT NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 64),
    at                INTEGER NOT NULL,
    parental          INTEGER NOT NULL DEFAULT 0 CHECK (parental IN (0, 1)),
    subject_under_age INTEGER NOT NULL DEFAULT 0 CHECK (subject_under_age IN (0, 1))
) STRICT;
INSERT INTO consents_v2 SELECT id, customer_id, shop_id, purpose, channel, granted, lawful_basis, source, notice_version, recorded_by, at, parental, subject_under_age FROM consents;
DROP TABLE consents;
ALTER TABLE consents_v2 RENAME TO consents;
CREATE INDEX consents_current ON consents(customer_id, purpose, channel, at, id);
CREATE INDEX consents_shop ON consents(shop_id, purpose, channel);
