-- Spoke schema v1. Personal (P) values are sealed BLOBs; business (B) values are plain columns.
-- Every table is written only through store.Session, which also appends to changes and audit.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- Scope keys: one per shop and one "org", versioned, each wrapped by the master key.
CREATE TABLE scope_keys (
    scope      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, version)
) STRICT;

CREATE TABLE shops (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    region     TEXT NOT NULL,
    currency   TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Staff accounts. mac authenticates every column under a key derived from the org scope key,
-- so editing roles or the password hash in the file is refused at sign-in.
CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    BLOB NOT NULL,          -- sealed under the org key
    password_hash   TEXT NOT NULL,          -- Argon2id, PHC string
    roles           TEXT NOT NULL,          -- comma-separated, sorted
    shop_id         TEXT REFERENCES shops(id),
    active          INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    last_sign_in    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    mac             BLOB NOT NULL
) STRICT;

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    owner_id    TEXT NOT NULL REFERENCES users(id),
    dek         BLOB NOT NULL,              -- customer data key wrapped by the shop scope key
    dek_version INTEGER NOT NULL,           -- which scope key version wraps it
    name        BLOB NOT NULL,
    email       BLOB,
    phone       BLOB,
    address     BLOB,
    birthday    BLOB,
    notes       BLOB,
    email_bidx  BLOB,
    phone_bidx  BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX customers_shop_owner ON customers(shop_id, owner_id);
CREATE INDEX customers_email_bidx ON customers(email_bidx) WHERE email_bidx IS NOT NULL;
CREATE INDEX customers_phone_bidx ON customers(phone_bidx) WHERE phone_bidx IS NOT NULL;

CREATE TABLE bikes (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    shop_id     TEXT NOT NULL REFERENCES shops(id),
    make        TEXT NOT NULL,
    model       TEXT NOT NULL,
    year        INTEGER NOT NULL DEFAULT 0,
    type        TEXT NOT NULL DEFAULT '',
    frame_size  TEXT NOT NULL DEFAULT '',
    colour      TEXT NOT NULL DEFAULT '',
    serial      BLOB,                       -- sealed under the customer's key
    serial_bidx BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX bikes_customer ON bikes(customer_id);
CREATE INDEX bikes_serial_bidx ON bikes(serial_bidx) WHERE serial_bidx IS NOT NULL;

CREATE TABLE work_orders (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops(id),
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    bike_id      TEXT REFERENCES bikes(id),
    status       TEXT NOT NULL,
    mechanic_id  TEXT REFERENCES users(id),
    promised_at  INTEGER NOT NULL DEFAULT 0,
    complaint    BLOB,
    notes        BLOB,
    labour_total INTEGER NOT NULL DEFAULT 0,
    parts_total  INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    closed_at    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX work_orders_shop_status ON work_orders(shop_id, status);
CREATE INDEX work_orders_customer ON work_orders(customer_id);
CREATE INDEX work_orders_mechanic ON work_orders(mechanic_id);

CREATE TABLE work_order_lines (
    id            TEXT PRIMARY KEY,
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    kind          TEXT NOT NULL CHECK (kind IN ('labour', 'part')),
    sku           TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL,
    qty           INTEGER NOT NULL CHECK (qty > 0),
    unit_price    INTEGER NOT NULL CHECK (unit_price >= 0),
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX work_order_lines_wo ON work_order_lines(work_order_id);

CREATE TABLE sales (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops(id),
    customer_id    TEXT REFERENCES customers(id),
    seller_id      TEXT NOT NULL REFERENCES users(id),
    payment_method TEXT NOT NULL,
    total          INTEGER NOT NULL DEFAULT 0, -- derived from sale_lines
    sold_at        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX sales_shop_time ON sales(shop_id, sold_at);
CREATE INDEX sales_customer ON sales(customer_id);

CREATE TABLE sale_lines (
    id          TEXT PRIMARY KEY,
    sale_id     TEXT NOT NULL REFERENCES sales(id),
    sku         TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    qty         INTEGER NOT NULL CHECK (qty > 0),
    unit_price  INTEGER NOT NULL CHECK (unit_price >= 0)
) STRICT;
CREATE INDEX sale_lines_sale ON sale_lines(sale_id);

-- Field-level change log for sync: one row per written column. value holds the sealed bytes
-- for personal columns (sealed = 1) and the plain SQL value otherwise.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    hlc       INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    scope     TEXT NOT NULL,
    tbl       TEXT NOT NULL,
    row_id    TEXT NOT NULL,
    col       TEXT NOT NULL,
    value     ANY,
    sealed    INTEGER NOT NULL
) STRICT;

-- Audit trail: a hash chain; mac = HMAC(audit key, encode(entry) || previous mac).
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user_id   TEXT NOT NULL,
    device_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    fields    TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,                -- counts and ids only
    reason    BLOB,                         -- break-glass reason, sealed under the org key
    mac       BLOB NOT NULL
) STRICT;
CREATE INDEX audit_user_time ON audit(user_id, at);
