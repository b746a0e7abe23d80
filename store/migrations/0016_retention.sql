-- Issue 11, parts 5, 7 and 8: the breach register, PIPL impact assessments, the retention
-- policy with its approvals (synced rows, business columns only: codes, ids, counts, times),
-- and the keys of break-glass reasons, kept outside the audit chain so a reason can expire.

-- The breach register (org scope, written on owner devices). customer_counts is a JSON object
-- {shop_id: count}: counts only, never a name.
CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,              -- device_lost, device_stolen, other
    device_id       TEXT NOT NULL DEFAULT '',
    opened_by       TEXT NOT NULL,              -- a user id
    opened_at       INTEGER NOT NULL,
    discovered_at   INTEGER NOT NULL,
    notify_due_at   INTEGER NOT NULL,           -- discovered + 72 h (GDPR Art. 33)
    customer_counts TEXT NOT NULL DEFAULT '{}',
    protection      TEXT NOT NULL DEFAULT '',   -- comma-separated codes
    decision        TEXT NOT NULL DEFAULT 'undecided',
    decision_reason TEXT NOT NULL DEFAULT '',
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      INTEGER NOT NULL DEFAULT 0,
    closed_at       INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Personal-information impact assessments (PIPL Art. 55/56), kept at least 3 years (org scope).
CREATE TABLE assessments (
    id          TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    shop_id     TEXT NOT NULL DEFAULT '',       -- '' = every shop
    assessed_at INTEGER NOT NULL,
    assessed_by TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    measures    TEXT NOT NULL DEFAULT '',       -- comma-separated codes
    review_due  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Retention policies (org scope), one row per version set; the newest is in force. needs_owner
-- and needs_shops record who else held the grant when it was set (another owner; managers of
-- those shops), so whether it still waits for a second person does not change as staff come
-- and go. approved_by is the second owner's approval (every shop).
CREATE TABLE retention_policies (
    id                 TEXT PRIMARY KEY,
    inactive_years     INTEGER NOT NULL,
    deleted_days       INTEGER NOT NULL,
    reason_months      INTEGER NOT NULL,
    audit_years        INTEGER NOT NULL,
    request_log_months INTEGER NOT NULL,
    assessment_years   INTEGER NOT NULL,
    set_by             TEXT NOT NULL,
    set_at             INTEGER NOT NULL,
    needs_owner        INTEGER NOT NULL DEFAULT 0,
    needs_shops        TEXT NOT NULL DEFAULT '',
    approved_by        TEXT NOT NULL DEFAULT '',
    approved_at        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- A manager's approval of a policy for their shop (shop scope: written on that shop's devices).
CREATE TABLE retention_approvals (
    id          TEXT PRIMARY KEY,
    policy_id   TEXT NOT NULL,
    shop_id     TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at INTEGER NOT NULL
) STRICT;
CREATE INDEX retention_approvals_policy ON retention_approvals(policy_id, shop_id);

-- The key of each break-glass reason sealed since this version (audit.reason starts 0xFE), by
-- the entry it belongs to (this device's trail or a copy of another's), wrapped under the org
-- key version named. Outside the chain: deleting the row expires the reason, and every MAC
-- still holds.
CREATE TABLE reason_keys (
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    wrapped   BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;
