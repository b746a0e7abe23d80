-- The change log gives way to clocks (store/clocks.go). A value lives once, in its row; each
-- row carries one clock (hybrid logical clock and device of the write that made it, the local
-- sequence of that write, and the row's version: the last local sequence that wrote it), and a
-- cell has a clock of its own only when it was written after the row. Ids are 16-byte UUIDs,
-- devices and columns small integers. Sync and incremental backups read "rows written since
-- sequence N" and take the values from the rows.
--
-- Existing rows keep every cell's newest write exactly: the row clock is the empty clock (no
-- device, hlc 0) and each cell the change log held a write of gets that write's clock, so a
-- merge decides as it did before the migration. Older writes of a cell (which lost or were
-- overwritten) are not kept; values that lost a merge stay in conflicts.

CREATE TABLE devices (
    n  INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO devices(n, id) VALUES (0, '');

CREATE TABLE row_clocks (
    id       BLOB PRIMARY KEY,           -- the row's UUID, 16 bytes
    tbl      INTEGER NOT NULL,           -- the table's code (store/schema.go order)
    hlc      INTEGER NOT NULL,           -- the row's write: every cell without its own clock
    dev      INTEGER NOT NULL,           -- devices.n of that write
    base_seq INTEGER NOT NULL,           -- its local sequence
    seq      INTEGER NOT NULL UNIQUE,    -- the row's version: the last local sequence to write it
    flags    INTEGER NOT NULL DEFAULT 0, -- 1: terminal (erased); nothing merges into it again
    mac      BLOB                        -- store/integrity.go: every column and these clocks
) STRICT, WITHOUT ROWID;

CREATE TABLE cell_clocks (
    id  BLOB NOT NULL,
    col INTEGER NOT NULL,                -- the column's code (its place in the registry)
    hlc INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (id, col)
) STRICT, WITHOUT ROWID;

CREATE TEMP TABLE codes (tbl TEXT NOT NULL, col TEXT NOT NULL, t INTEGER NOT NULL, c INTEGER NOT NULL, PRIMARY KEY (tbl, col));
INSERT INTO codes(tbl, col, t, c) VALUES
    ('shops', 'name', 2, 0),
    ('shops', 'region', 2, 1),
    ('shops', 'currency', 2, 2),
    ('shops', 'created_at', 2, 3),
    ('users', 'username', 3, 0),
    ('users', 'display_name', 3, 1),
    ('users', 'password_hash', 3, 2),
    ('users', 'roles', 3, 3),
    ('users', 'shop_id', 3, 4),
    ('users', 'active', 3, 5),
    ('users', 'failed_attempts', 3, 6),
    ('users', 'locked_until', 3, 7),
    ('users', 'last_sign_in', 3, 8),
    ('users', 'created_at', 3, 9),
    ('users', 'version', 3, 10),
    ('users', 'mac', 3, 11),
    ('users', 'signer', 3, 12),
    ('users', 'sig', 3, 13),
    ('customers', 'shop_id', 4, 0),
    ('customers', 'owner_id', 4, 1),
    ('customers', 'dek', 4, 2),
    ('customers', 'dek_version', 4, 3),
    ('customers', 'name', 4, 4),
    ('customers', 'email', 4, 5),
    ('customers', 'phone', 4, 6),
    ('customers', 'address', 4, 7),
    ('customers', 'birthday', 4, 8),
    ('customers', 'notes', 4, 9),
    ('customers', 'created_at', 4, 12),
    ('customers', 'updated_at', 4, 13),
    ('customers', 'deleted_at', 4, 14),
    ('bikes', 'customer_id', 5, 0),
    ('bikes', 'shop_id', 5, 1),
    ('bikes', 'make', 5, 2),
    ('bikes', 'model', 5, 3),
    ('bikes', 'year', 5, 4),
    ('bikes', 'type', 5, 5),
    ('bikes', 'frame_size', 5, 6),
    ('bikes', 'colour', 5, 7),
    ('bikes', 'serial', 5, 8),
    ('bikes', 'created_at', 5, 10),
    ('bikes', 'updated_at', 5, 11),
    ('bikes', 'deleted_at', 5, 12),
    ('bikes', 'notes', 5, 13),
    ('work_orders', 'shop_id', 6, 0),
    ('work_orders', 'customer_id', 6, 1),
    ('work_orders', 'bike_id', 6, 2),
    ('work_orders', 'status', 6, 3),
    ('work_orders', 'mechanic_id', 6, 4),
    ('work_orders', 'promised_at', 6, 5),
    ('work_orders', 'complaint', 6, 6),
    ('work_orders', 'notes', 6, 7),
    ('work_orders', 'created_at', 6, 11),
    ('work_orders', 'updated_at', 6, 12),
    ('work_orders', 'closed_at', 6, 13),
    ('work_order_lines', 'work_order_id', 7, 0),
    ('work_order_lines', 'kind', 7, 1),
    ('work_order_lines', 'sku', 7, 2),
    ('work_order_lines', 'description', 7, 3),
    ('work_order_lines', 'qty', 7, 4),
    ('work_order_lines', 'unit_price', 7, 5),
    ('work_order_lines', 'created_at', 7, 6),
    ('sales', 'shop_id', 8, 0),
    ('sales', 'customer_id', 8, 1),
    ('sales', 'seller_id', 8, 2),
    ('sales', 'payment_method', 8, 3),
    ('sales', 'sold_at', 8, 5),
    ('sales', 'created_at', 8, 6),
    ('sale_lines', 'sale_id', 9, 0),
    ('sale_lines', 'sku', 9, 1),
    ('sale_lines', 'description', 9, 2),
    ('sale_lines', 'qty', 9, 3),
    ('sale_lines', 'unit_price', 9, 4);

INSERT INTO devices(id) SELECT DISTINCT device_id FROM changes WHERE device_id != '' ORDER BY device_id;

INSERT INTO row_clocks(id, tbl, hlc, dev, base_seq, seq)
    SELECT unhex(replace(ch.row_id, '-', '')), MIN(codes.t), 0, 0, MIN(ch.seq), MAX(ch.seq)
    FROM changes ch JOIN codes ON codes.tbl = ch.tbl AND codes.col = ch.col
    GROUP BY ch.row_id;

INSERT INTO cell_clocks(id, col, hlc, dev, seq)
    SELECT unhex(replace(n.row_id, '-', '')), codes.c, n.hlc, d.n, n.seq
    FROM (SELECT row_id, tbl, col, hlc, device_id, seq,
                 row_number() OVER (PARTITION BY row_id, col ORDER BY hlc DESC, device_id DESC) AS rn
          FROM changes) n
    JOIN codes ON codes.tbl = n.tbl AND codes.col = n.col
    JOIN devices d ON d.id = n.device_id
    WHERE n.rn = 1;

DROP TABLE codes;
DROP TABLE changes;
