package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"spoke/crypto/keys"
	"spoke/demo"
	"spoke/store"
	"spoke/store/contact"
	"spoke/store/search"
)

// The benchmarks run on a 100k-customer demo database (SPOKE_BENCH_CUSTOMERS overrides), each
// beside a plain-SQLite baseline holding the same rows unencrypted, in the same run:
//
//	go test ./store/ -run '^$' -bench . -benchtime 200x
//
// Building the databases takes about a minute and happens once per run.

type benchDB struct {
	dir    string // Spoke database
	plain  *sql.DB
	chain  *demo.Chain
	owner  demo.Staff
	emails []string
}

var (
	benchOnce sync.Once
	benchData *benchDB
	benchErr  error
)

func benchCustomers() int {
	if n, err := strconv.Atoi(os.Getenv("SPOKE_BENCH_CUSTOMERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// benchSetup builds the Spoke database with the production KDF (so unlocking costs what it
// costs a user) and the plain baseline with the same customers.
func benchSetup(b *testing.B) *benchDB {
	benchOnce.Do(func() {
		ctx := context.Background()
		root, err := os.MkdirTemp("", "spoke-bench-")
		if err != nil {
			benchErr = err
			return
		}
		d := &benchDB{dir: filepath.Join(root, "spoke"), chain: demo.Generate(demo.Options{Customers: benchCustomers(), Seed: 1})}
		for _, s := range d.chain.Staff {
			if s.Role == "owner" {
				d.owner = s
			}
		}
		start := time.Now()
		first := d.chain.Shops[0]
		st, _, err := store.Create(ctx, d.dir, store.CreateOptions{ShopName: first.Name, Region: first.Region, Currency: first.Currency,
			OwnerUsername: d.owner.Username, OwnerPassword: d.owner.Password}, store.Options{Passphrase: benchPass, KDF: keys.DefaultKDF})
		if err != nil {
			benchErr = err
			return
		}
		ss, err := st.SignIn(ctx, d.owner.Username, d.owner.Password)
		if err == nil {
			_, err = demo.Load(ctx, ss, d.chain, nil)
		}
		st.Close()
		if err != nil {
			benchErr = err
			return
		}
		fmt.Fprintf(os.Stderr, "bench: demo database with %d customers built in %s\n", benchCustomers(), time.Since(start).Round(time.Second))
		d.plain, benchErr = plainBaseline(filepath.Join(root, "plain.db"), d)
		benchData = d
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

// plainBaseline is what an app without encryption would store: same customers, plaintext
// columns, a NOCASE name index and an e-mail index, same pragmas.
func plainBaseline(path string, d *benchDB) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(`CREATE TABLE customers(id TEXT PRIMARY KEY, shop_id TEXT, owner TEXT, name TEXT, email TEXT, phone TEXT, address TEXT, notes TEXT);
		CREATE INDEX plain_name ON customers(name COLLATE NOCASE); CREATE INDEX plain_email ON customers(email)`); err != nil {
		return nil, err
	}
	tx, err := db.Begin()
	if err != nil {
		return nil, err
	}
	regions := map[string]string{}
	for _, s := range d.chain.Shops {
		regions[s.Key] = s.Region
	}
	for _, c := range d.chain.Customers {
		phone, _ := contact.NormalizePhone(c.Phone, regions[c.ShopKey])
		email, _ := contact.NormalizeEmail(c.Email)
		if _, err := tx.Exec("INSERT INTO customers VALUES(?, ?, ?, ?, ?, ?, ?, ?)", c.Key, c.ShopKey, c.OwnerUsername, c.Name, email, phone, c.Address, c.Notes); err != nil {
			return nil, err
		}
		if email != "" && len(d.emails) < 1000 {
			d.emails = append(d.emails, email)
		}
	}
	return db, tx.Commit()
}

// openOwner unlocks the bench database and signs the owner in.
func (d *benchDB) openOwner(b *testing.B) (*store.Store, *store.Session) {
	st, err := store.Open(context.Background(), d.dir, store.Options{Passphrase: benchPass})
	if err != nil {
		b.Fatal(err)
	}
	ss, err := st.SignIn(context.Background(), d.owner.Username, d.owner.Password)
	if err != nil {
		b.Fatal(err)
	}
	return st, ss
}

var typeAheadQueries = []string{"mar", "müll", "an", "王", "jos", "ller", "555 01", "schm", "li", "zoë"}

func BenchmarkTypeAhead(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		st, ss := d.openOwner(b)
		defer st.Close()
		if err := ss.BuildIndex(ctx, nil); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			if _, err := ss.Search(ctx, typeAheadQueries[i%len(typeAheadQueries)], 20); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("sqlite-prefix-baseline", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := typeAheadQueries[i%len(typeAheadQueries)]
			rows, err := d.plain.Query("SELECT id, name, email, phone FROM customers WHERE name LIKE ? LIMIT 20", q+"%")
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			i++
		}
	})
	b.Run("sqlite-substring-baseline", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := typeAheadQueries[i%len(typeAheadQueries)]
			rows, err := d.plain.Query("SELECT id, name, email, phone FROM customers WHERE name LIKE ? OR email LIKE ? OR phone LIKE ? LIMIT 20", "%"+q+"%", q+"%", "%"+q+"%")
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			i++
		}
	})
}

func BenchmarkLookupEmail(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		st, ss := d.openOwner(b)
		defer st.Close()
		i := 0
		for b.Loop() {
			res, err := ss.FindCustomers(ctx, store.ByEmail, d.emails[i%len(d.emails)])
			if err != nil || len(res) == 0 {
				b.Fatalf("lookup: %v %d", err, len(res))
			}
			i++
		}
	})
	b.Run("sqlite-baseline", func(b *testing.B) {
		i := 0
		for b.Loop() {
			rows, err := d.plain.Query("SELECT id, name, email, phone, address, notes FROM customers WHERE email = ?", d.emails[i%len(d.emails)])
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n == 0 {
				b.Fatal("no match")
			}
			i++
		}
	})
}

func BenchmarkCreateCustomer(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		st, ss := d.openOwner(b)
		defer st.Close()
		shops, _ := ss.Shops(ctx)
		i := 0
		for b.Loop() {
			_, err := ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Bench Customer %d", i), Email: fmt.Sprintf("bench%d@example.com", i),
				Phone: fmt.Sprintf("+1 415 555 %04d", i%10000), Address: "1 Bench Way", Notes: "created by the benchmark", ShopID: shops[0].ID})
			if err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("sqlite-baseline", func(b *testing.B) {
		i := 0
		for b.Loop() {
			tx, err := d.plain.Begin()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec("INSERT INTO customers VALUES(?, ?, ?, ?, ?, ?, ?, ?)", fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), "shop1", "owner",
				fmt.Sprintf("Bench Customer %d", i), fmt.Sprintf("bench%d@example.com", i), "+14155550000", "1 Bench Way", "created by the benchmark"); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkUnlockToSearchable measures from "the app starts" to "type-ahead answers": unlock
// (Argon2id), sign-in (Argon2id), decrypt every visible customer into the in-memory index.
// The baseline opens the plain database and builds the same index from plaintext columns.
func BenchmarkUnlockToSearchable(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			st, ss := d.openOwner(b)
			if err := ss.BuildIndex(ctx, nil); err != nil {
				b.Fatal(err)
			}
			if res, _ := ss.Search(ctx, "mar", 5); len(res) == 0 {
				b.Fatal("index empty")
			}
			st.Close()
		}
	})
	b.Run("sqlite-baseline", func(b *testing.B) {
		for b.Loop() {
			if len(plainIndex(b, d).Query("mar", 5)) == 0 {
				b.Fatal("index empty")
			}
		}
	})
}

// plainIndex builds the type-ahead index from the plain database's columns, the way BuildIndex
// builds it from the decrypted ones.
func plainIndex(b *testing.B, d *benchDB) *search.Index {
	rows, err := d.plain.Query("SELECT id, name, email, phone FROM customers")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	ix := search.NewBulk()
	for rows.Next() {
		var e search.Entry
		rows.Scan(&e.ID, &e.Name, &e.Email, &e.Phone)
		ix.Put(e)
	}
	ix.Compact()
	return ix
}

// BenchmarkBuildIndex is the decrypting half of BenchmarkUnlockToSearchable without the two
// Argon2id runs: a signed-in owner builds the index from scratch; the baseline builds the same
// index from the plain database's columns.
func BenchmarkBuildIndex(b *testing.B) {
	d := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		st, ss := d.openOwner(b)
		defer st.Close()
		for b.Loop() {
			if err := ss.BuildIndex(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite-baseline", func(b *testing.B) {
		for b.Loop() {
			plainIndex(b, d)
		}
	})
}

// benchPass is the bench database's passphrase.
const benchPass = "correct horse battery staple"

// BenchmarkDatabaseSize compares the Spoke database with the same rows in plain SQLite (every
// table, plaintext, the same business indexes, no sealing, no clocks or MACs), both compacted
// (VACUUM INTO), and reports where Spoke's bytes go.
func BenchmarkDatabaseSize(b *testing.B) {
	d := benchSetup(b)
	sizeOnce.Do(func() { sizes, sizeErr = measureSizes(b, d) })
	if sizeErr != nil {
		b.Fatal(sizeErr)
	}
	for range b.N {
	}
	for unit, v := range sizes {
		b.ReportMetric(v, unit)
	}
}

var (
	sizeOnce sync.Once
	sizes    map[string]float64
	sizeErr  error
)

// measureSizes builds the plain database and compacts both, once per run.
func measureSizes(b *testing.B, d *benchDB) (map[string]float64, error) {
	out := map[string]float64{}
	root, err := os.MkdirTemp("", "spoke-size-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	plainPath := filepath.Join(root, "plain-all.db")
	if err := plainAll(plainPath, d.chain); err != nil {
		return nil, err
	}
	spoke := filepath.Join(root, "spoke.db")
	src, err := sql.Open("sqlite", "file:"+filepath.Join(d.dir, store.DBFile)+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if _, err := src.Exec("VACUUM INTO ?", spoke); err != nil {
		return nil, err
	}
	var s, p float64
	for path, dst := range map[string]*float64{spoke: &s, plainPath: &p} {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		*dst = float64(fi.Size())
	}
	out["spoke-MB"], out["plain-MB"], out["x"] = s/1e6, p/1e6, s/p
	db, err := sql.Open("sqlite", "file:"+spoke+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var clocks float64
	if err := db.QueryRow("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('row_clocks', 'cell_clocks', 'sqlite_autoindex_row_clocks_1', 'sqlite_autoindex_row_clocks_2', 'devices')").Scan(&clocks); err == nil {
		out["clocks+MACs-MB"] = clocks / 1e6
	}
	return out, nil
}

// plainAll writes every row of the chain as an app without encryption would: text UUID ids,
// plaintext columns, the business indexes Spoke has, and a name and e-mail index.
func plainAll(path string, c *demo.Chain) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`
		CREATE TABLE shops(id TEXT PRIMARY KEY, name TEXT, region TEXT, currency TEXT, created_at INTEGER);
		CREATE TABLE users(id TEXT PRIMARY KEY, username TEXT UNIQUE, display_name TEXT, password_hash TEXT, roles TEXT, shop_id TEXT, active INTEGER, created_at INTEGER);
		CREATE TABLE customers(id TEXT PRIMARY KEY, shop_id TEXT, owner_id TEXT, name TEXT, email TEXT, phone TEXT, address TEXT, birthday TEXT, notes TEXT, created_at INTEGER, updated_at INTEGER, deleted_at INTEGER);
		CREATE INDEX c_shop_owner ON customers(shop_id, owner_id); CREATE INDEX c_name ON customers(name COLLATE NOCASE); CREATE INDEX c_email ON customers(email); CREATE INDEX c_phone ON customers(phone);
		CREATE TABLE bikes(id TEXT PRIMARY KEY, customer_id TEXT, shop_id TEXT, make TEXT, model TEXT, year INTEGER, type TEXT, frame_size TEXT, colour TEXT, serial TEXT, created_at INTEGER, updated_at INTEGER, deleted_at INTEGER);
		CREATE INDEX b_customer ON bikes(customer_id); CREATE INDEX b_serial ON bikes(serial);
		CREATE TABLE work_orders(id TEXT PRIMARY KEY, shop_id TEXT, customer_id TEXT, bike_id TEXT, status TEXT, mechanic_id TEXT, promised_at INTEGER, complaint TEXT, notes TEXT, labour_total INTEGER, parts_total INTEGER, total INTEGER, created_at INTEGER, updated_at INTEGER, closed_at INTEGER);
		CREATE INDEX w_shop_status ON work_orders(shop_id, status); CREATE INDEX w_customer ON work_orders(customer_id); CREATE INDEX w_mechanic ON work_orders(mechanic_id);
		CREATE TABLE work_order_lines(id TEXT PRIMARY KEY, work_order_id TEXT, kind TEXT, sku TEXT, description TEXT, qty INTEGER, unit_price INTEGER, created_at INTEGER);
		CREATE INDEX wl_wo ON work_order_lines(work_order_id);
		CREATE TABLE sales(id TEXT PRIMARY KEY, shop_id TEXT, customer_id TEXT, seller_id TEXT, payment_method TEXT, total INTEGER, sold_at INTEGER, created_at INTEGER);
		CREATE INDEX s_shop_time ON sales(shop_id, sold_at); CREATE INDEX s_customer ON sales(customer_id);
		CREATE TABLE sale_lines(id TEXT PRIMARY KEY, sale_id TEXT, sku TEXT, description TEXT, qty INTEGER, unit_price INTEGER);
		CREATE INDEX sl_sale ON sale_lines(sale_id)`); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	ids := map[string]string{}
	id := func(key string) string {
		if v, ok := ids[key]; ok {
			return v
		}
		v := uuid.Must(uuid.NewV7()).String()
		ids[key] = v
		return v
	}
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.Exec(q, args...)
		}
	}
	for _, s := range c.Shops {
		exec("INSERT INTO shops VALUES(?, ?, ?, ?, 0)", id("shop:"+s.Key), s.Name, s.Region, s.Currency)
	}
	for _, s := range c.Staff {
		exec("INSERT INTO users VALUES(?, ?, ?, '$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', ?, ?, 1, 0)",
			id("user:"+s.Username), s.Username, s.DisplayName, s.Role, id("shop:"+s.ShopKey))
	}
	for _, cu := range c.Customers {
		at := cu.CreatedAt.UnixMilli()
		exec("INSERT INTO customers VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", id(cu.Key), id("shop:"+cu.ShopKey), id("user:"+cu.OwnerUsername),
			cu.Name, cu.Email, cu.Phone, cu.Address, cu.Birthday, cu.Notes, at, at)
		for _, bk := range cu.Bikes {
			exec("INSERT INTO bikes VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", id(bk.Key), id(cu.Key), id("shop:"+cu.ShopKey), bk.Make, bk.Model, bk.Year, bk.Type, bk.FrameSize, bk.Colour, bk.Serial, at, at)
		}
	}
	for _, w := range c.WorkOrders {
		var labour, parts int64
		for _, l := range w.Lines {
			if l.Kind == "labour" {
				labour += int64(l.Qty) * l.UnitPrice
			} else {
				parts += int64(l.Qty) * l.UnitPrice
			}
		}
		at := w.CreatedAt.UnixMilli()
		exec("INSERT INTO work_orders VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", id(w.Key), id("shop:"+w.ShopKey), id(w.CustomerKey), id(w.BikeKey), w.Status,
			id("user:"+w.MechanicUsername), w.PromisedAt.UnixMilli(), w.Complaint, w.Notes, labour, parts, labour+parts, at, at, w.ClosedAt.UnixMilli())
		for i, l := range w.Lines {
			exec("INSERT INTO work_order_lines VALUES(?, ?, ?, ?, ?, ?, ?, ?)", id(fmt.Sprintf("%s/%d", w.Key, i)), id(w.Key), l.Kind, l.SKU, l.Description, l.Qty, l.UnitPrice, at)
		}
	}
	for _, s := range c.Sales {
		var total int64
		for _, l := range s.Lines {
			total += int64(l.Qty) * l.UnitPrice
		}
		at := s.At.UnixMilli()
		exec("INSERT INTO sales VALUES(?, ?, ?, ?, ?, ?, ?, ?)", id(s.Key), id("shop:"+s.ShopKey), id(s.CustomerKey), id("user:"+s.SellerUsername), s.PaymentMethod, total, at, at)
		for i, l := range s.Lines {
			exec("INSERT INTO sale_lines VALUES(?, ?, ?, ?, ?, ?)", id(fmt.Sprintf("%s/%d", s.Key, i)), id(s.Key), l.SKU, l.Description, l.Qty, l.UnitPrice)
		}
	}
	if err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec("VACUUM")
	return err
}

// BenchmarkVerify is `spoke verify` on the demo database: every key unwrapped, every sealed
// value opened, every row's MAC and their sum recomputed, the trail walked.
func BenchmarkVerify(b *testing.B) {
	d := benchSetup(b)
	st, _ := d.openOwner(b)
	defer st.Close()
	for b.Loop() {
		r, err := st.Verify(context.Background())
		if err != nil || !r.OK() {
			b.Fatalf("verify: %v %v", err, r)
		}
		b.ReportMetric(float64(r.Rows), "rows")
	}
}
