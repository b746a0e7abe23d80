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
			rows, err := d.plain.Query("SELECT id, name, email, phone FROM customers")
			if err != nil {
				b.Fatal(err)
			}
			ix := search.NewBulk() // built the way BuildIndex builds it
			for rows.Next() {
				var e search.Entry
				rows.Scan(&e.ID, &e.Name, &e.Email, &e.Phone)
				ix.Put(e)
			}
			rows.Close()
			ix.Compact()
			if len(ix.Query("mar", 5)) == 0 {
				b.Fatal("index empty")
			}
		}
	})
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
			rows, err := d.plain.Query("SELECT id, name, email, phone FROM customers")
			if err != nil {
				b.Fatal(err)
			}
			ix := search.NewBulk() // built the way BuildIndex builds it
			for rows.Next() {
				var e search.Entry
				rows.Scan(&e.ID, &e.Name, &e.Email, &e.Phone)
				ix.Put(e)
			}
			rows.Close()
			ix.Compact()
		}
	})
}

// benchPass is the bench database's passphrase.
const benchPass = "correct horse battery staple"
