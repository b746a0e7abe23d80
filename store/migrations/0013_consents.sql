-- Consent per purpose (issue 11): one row per event, never updated. A withdrawal on one device
-- and a concurrent grant on another both survive; the current state of a (customer, purpose,
-- channel) is the event with the latest at, ties broken by id. Business columns only: enums,
-- ids, a notice version and times, no free text.
CREATE TABLE consents (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    shop_id           TEXT NOT NULL REFERENCES shops(id),
    purpose           TEXT NOT NULL CHECK (purpose IN ('service_reminders', 'email_marketing', 'sms_marketing', 'brand_sharing', 'cross_border_transfer', 'sensitive_data')),
    channel           TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'post', 'phone', 'any')),
    granted           INTEGER NOT NULL CHECK (granted IN (0, 1)),
    lawful_basis      TEXT NOT NULL CHECK (lawful_basis IN ('consent', 'contract', 'legitimate_interest', 'legal_obligation', 'parental_consent')),
    source            TEXT NOT NULL CHECK (source IN ('counter', 'web_form', 'paper', 'import', 'phone')),
    notice_version    TEXT NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 32),
    recorded_by       TEXT NOT NULL REFERENCES users(id),
    at                INTEGER NOT NULL,
    parental          INTEGER NOT NULL DEFAULT 0 CHECK (parental IN (0, 1)),
    subject_under_age INTEGER NOT NULL DEFAULT 0 CHECK (subject_under_age IN (0, 1))
) STRICT;
CREATE INDEX consents_current ON consents(customer_id, purpose, channel, at, id);
CREATE INDEX consents_shop ON consents(shop_id, purpose, channel);

-- Org-wide settings (org scope: written on owner devices only, synced to every device), one
-- row per setting; the first is where the hub and the owner's laptops are (PIPL Art. 38/39).
CREATE TABLE org_settings (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    value  TEXT NOT NULL,
    set_by TEXT NOT NULL REFERENCES users(id),
    set_at INTEGER NOT NULL
) STRICT;
