package engine

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/store/backup"
	"spoke/sync/hub"
	"spoke/sync/wire"
)

// erasable is a customer with a value in every personal field and rows hanging from them, and
// what those values became in the database file: the needles an erasure must leave nowhere.
type erasable struct {
	id, bike, job, sale string
	rows                map[string]bool
	needles             [][]byte // sealed values and the wrapped data key, as stored
}

func plantErasable(t *testing.T, ss *store.Session, dir, shop, tag string) *erasable {
	t.Helper()
	ctx := context.Background()
	e := &erasable{rows: map[string]bool{}}
	e.id = must[string](t)(ss.CreateCustomer(ctx, store.CustomerInput{Name: "Erin " + tag, Email: tag + "@example.com", Phone: "+1 415 555 0177",
		Address: "7 " + tag + " Road", Notes: "prefers " + tag, ShopID: shop}))
	e.bike = must[string](t)(ss.AddBike(ctx, e.id, store.Bike{Make: "Surly", Model: "Troll", Serial: "SER" + tag, Notes: "saddle " + tag}))
	e.job = must[string](t)(ss.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: e.id, BikeID: e.bike, Complaint: "creaks " + tag,
		Lines: []store.Line{{Kind: "labour", Description: "tune", Qty: 1, UnitPrice: 5000}}}))
	e.sale = must[string](t)(ss.RecordSale(ctx, store.SaleInput{CustomerID: e.id, PaymentMethod: "card", Lines: []store.Line{{Kind: "part", Description: "tube", Qty: 2, UnitPrice: 800}}}))
	for _, id := range []string{e.id, e.bike, e.job} {
		e.rows[id] = true
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v [9][]byte
	if err := db.QueryRow("SELECT dek, name, email, phone, address, notes FROM customers WHERE id = ?", e.id).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT serial, notes FROM bikes WHERE id = ?", e.bike).Scan(&v[6], &v[7]); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT complaint FROM work_orders WHERE id = ?", e.job).Scan(&v[8]); err != nil {
		t.Fatal(err)
	}
	e.needles = v[:]
	return e
}

// scanFiles counts the needles over every byte of every file under dir.
func scanFiles(t *testing.T, dir string, needles [][]byte) (hits int, scanned int64) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += int64(len(b))
		for _, n := range needles {
			hits += bytes.Count(b, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits, scanned
}

// scanHub opens every change-set and snapshot part the hub stores with every key version a
// device holds, and counts the records of the customer's rows and values equal to a needle.
func scanHub(t *testing.T, h *testHub, d *spoke, e *erasable) (hits, opened int) {
	t.Helper()
	ctx := context.Background()
	rep := d.st.Replica()
	keyFor := func(scope string, version uint32) ([]byte, error) {
		k, _, err := rep.ScopeKey(ctx, scope, version)
		return k, err
	}
	count := func(changes []wire.Change) {
		for _, c := range changes {
			if e.rows[c.RowID] || (c.Table == "sales" && c.Column == "customer_id" && c.Value.Text == e.id) {
				hits++
			}
			for _, n := range e.needles {
				if bytes.Equal(c.Value.Blob, n) {
					hits++
				}
			}
		}
	}
	sets, err := h.storage.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: hub.MaxPullLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		p, err := rep.Peer(ctx, s.Device)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := wire.Open(s.Bytes, p.SigningKey, keyFor)
		if err != nil {
			continue // an audit set, or one under a key this device no longer holds: checked below
		}
		opened++
		count(cs.Changes)
	}
	snaps, err := h.storage.Snapshots(ctx, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range snaps {
		p, err := rep.Peer(ctx, sn.Device)
		if err != nil {
			t.Fatal(err)
		}
		for i := uint32(0); i < sn.Parts; i++ {
			b, err := h.storage.SnapshotPart(ctx, sn.Scope, sn.ID, i)
			if err != nil {
				t.Fatal(err)
			}
			part, err := wire.OpenSnapshot(b, p.SigningKey, keyFor)
			if err != nil {
				t.Fatalf("a snapshot part does not open: %v", err)
			}
			opened++
			count(part.Changes)
		}
	}
	return hits, opened
}

// TestErasureReachesEveryCopy is issue 11's erasure test, on two devices and a real hub with a
// backup taken before: the scans find the customer's sealed values and wrapped key in both data
// folders and in the hub's sets (the positive control); the owner erases while the shop device
// edits the customer; after sync and compaction no file of either data folder holds a needle,
// no set or snapshot at the hub has a record of the customer's rows, the folder's older backups
// are gone and the new one holds none, a restore of a copy of the older folder erases the
// customer again, the other customer is untouched and sale totals unchanged.
func TestErasureReachesEveryCopy(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	x := plantErasable(t, owner, a.st.Dir(), north, "xerasedx")
	y := plantErasable(t, owner, a.st.Dir(), north, "ystaysy")
	a.sync(t)
	shop.sync(t)
	bdir := filepath.Join(t.TempDir(), "usb")
	if _, err := backup.Backup(ctx, owner, bdir, backup.Options{Kind: backup.Full}); err != nil {
		t.Fatal(err)
	}
	drawer := filepath.Join(t.TempDir(), "drawer")
	copyFolder(t, bdir, drawer)
	totals := func(d *spoke) (n, sum int64) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(d.st.Dir(), store.DBFile)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow("SELECT count(*), COALESCE(SUM(total), 0) FROM sales").Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		return n, sum
	}
	n0, sum0 := totals(a)

	for name, d := range map[string]*spoke{"owner device": a, "shop device": shop} {
		if hits, scanned := scanFiles(t, d.st.Dir(), x.needles); hits < len(x.needles) {
			t.Fatalf("positive control, %s: %d hits in %d bytes", name, hits, scanned)
		}
	}
	if hits, opened := scanHub(t, h, a, x); hits == 0 || opened == 0 {
		t.Fatalf("positive control, hub: %d hits in %d sets", hits, opened)
	}

	// The shop device edits the customer while the owner device erases them.
	olgaShop := must[*store.Session](t)(shop.st.SignIn(ctx, "olga", "owner-password-1"))
	if err := olgaShop.UpdateCustomer(ctx, x.id, store.CustomerInput{Name: "Erin Concurrent", Email: "xerasedx@example.com", ShopID: north}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.EraseCustomer(ctx, x.id); err != nil {
		t.Fatal(err)
	}
	shop.sync(t)
	a.sync(t)
	shop.sync(t)
	rep, err := Compact(ctx, owner, a.hc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Scopes {
		if s.Skipped != "" && s.Scope == north {
			t.Fatalf("the shop's scope was not compacted: %s", s.Skipped)
		}
	}
	a.sync(t)
	shop.sync(t)

	// The owner device rotated the shop key after the erasure and re-wrapped every remaining
	// customer's key under the new version, on both devices.
	var scanned int64
	for name, d := range map[string]*spoke{"owner device": a, "shop device": shop} {
		_, cur, err := d.st.Replica().ScopeKey(ctx, north, 0)
		if err != nil || cur < 2 {
			t.Fatalf("%s: shop key version %d after the erasure (%v)", name, cur, err)
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(d.st.Dir(), store.DBFile)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var stale int
		if err := db.QueryRow("SELECT count(*) FROM customers WHERE shop_id = ? AND dek_version != ?", north, cur).Scan(&stale); err != nil || stale != 0 {
			t.Fatalf("%s: %d customer key(s) not re-wrapped under v%d (%v)", name, stale, cur, err)
		}
		// After compaction every older version is forgotten, the first one too: the blind-index
		// and ledger keys derived from it stay as index_keys rows, wrapped under the new one.
		var older, derived int
		if err := db.QueryRow("SELECT count(*) FROM scope_keys WHERE scope = ? AND version != ?", north, cur).Scan(&older); err != nil || older != 0 {
			t.Fatalf("%s: %d older version(s) of the shop key kept (%v)", name, older, err)
		}
		if err := db.QueryRow("SELECT count(*) FROM index_keys WHERE shop_id = ? AND key_version = ?", north, cur).Scan(&derived); err != nil || derived == 0 {
			t.Fatalf("%s: %d derived keys (%v)", name, derived, err)
		}
		db.Close()
		t.Logf("%s: shop key v%d only; %d derived keys kept", name, cur, derived)
	}
	for name, d := range map[string]*spoke{"owner device": a, "shop device": shop} {
		hits, n := scanFiles(t, d.st.Dir(), x.needles)
		scanned += n
		if hits != 0 {
			t.Fatalf("%s: %d hits of the erased customer's bytes", name, hits)
		}
		if _, err := must[*store.Session](t)(d.st.SignIn(ctx, "olga", "owner-password-1")).Customer(ctx, x.id, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: the erased customer opens: %v", name, err)
		}
		card, err := must[*store.Session](t)(d.st.SignIn(ctx, "olga", "owner-password-1")).Customer(ctx, y.id, "")
		if err != nil || card.Name != "Erin ystaysy" || len(card.Bikes) != 1 {
			t.Fatalf("%s: the other customer: %v %+v", name, err, card)
		}
		if got, err := must[*store.Session](t)(d.st.SignIn(ctx, "olga", "owner-password-1")).FindCustomers(ctx, store.ByEmail, "ystaysy@example.com"); err != nil || len(got) != 1 || got[0].ID != y.id {
			t.Fatalf("%s: exact lookup without the first key version: %v %v", name, got, err)
		}
		if n, sum := totals(d); n != n0 || sum != sum0 {
			t.Fatalf("%s: sales %d/%d, want %d/%d", name, n, sum, n0, sum0)
		}
	}
	hits, opened := scanHub(t, h, a, x)
	if hits != 0 {
		t.Fatalf("the hub still holds %d records of the erased customer", hits)
	}
	t.Logf("erasure: %d bytes of both data folders scanned for %d needles, 0 hits; %d hub sets and snapshot parts opened, 0 records", scanned, len(x.needles), opened)

	// A device that joins now never holds the first key version: it starts from the snapshot,
	// takes the derived keys from it, and finds the other customer by e-mail; the erased one is
	// nowhere.
	late := join(t, a, owner, north)
	olgaLate := must[*store.Session](t)(late.st.SignIn(ctx, "olga", "owner-password-1"))
	if got, err := olgaLate.FindCustomers(ctx, store.ByEmail, "ystaysy@example.com"); err != nil || len(got) != 1 || got[0].ID != y.id {
		t.Fatalf("the late device's lookup: %v %v", got, err)
	}
	if _, err := olgaLate.Customer(ctx, x.id, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the late device has the erased customer: %v", err)
	}
	if _, _, err := late.st.Replica().ScopeKey(ctx, north, 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the late device holds the first key version: %v", err)
	}

	// Backups: the next run rewrites the folder; what is left holds nothing of the customer.
	r, err := backup.Backup(ctx, owner, bdir, backup.Options{Kind: backup.Incremental})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rewritten) == 0 {
		t.Fatal("the older backup was kept")
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(ctx, bdir, restored, backup.Credentials{Session: owner}, backup.RestoreOptions{Store: testOpts()}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := scanFiles(t, restored, x.needles); hits != 0 {
		t.Fatalf("the rewritten backup holds %d needles", hits)
	}
	fromDrawer := filepath.Join(t.TempDir(), "from-drawer")
	rr, err := backup.Restore(ctx, drawer, fromDrawer, backup.Credentials{Session: owner}, backup.RestoreOptions{Store: testOpts(), LedgerFrom: []string{bdir}})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Erased != 1 {
		t.Fatalf("the drawer's backup: %d erased again", rr.Erased)
	}
	if hits, _ := scanFiles(t, fromDrawer, x.needles); hits != 0 {
		t.Fatalf("the drawer's restore holds %d needles", hits)
	}

	// More rounds do not bring a forgotten version back (the hub keeps the old envelopes), and
	// a second erasure rotates again, re-wrapping the derived keys without the first version.
	versions := func(d *spoke) []int64 {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(d.st.Dir(), store.DBFile)+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query("SELECT version FROM scope_keys WHERE scope = ? ORDER BY version", north)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var v int64
			rows.Scan(&v)
			out = append(out, v)
		}
		return out
	}
	for range 2 {
		a.sync(t)
		shop.sync(t)
		late.sync(t)
	}
	for name, d := range map[string]*spoke{"owner device": a, "shop device": shop, "late device": late} {
		if vs := versions(d); len(vs) != 1 {
			t.Fatalf("%s holds shop key versions %v after more rounds", name, vs)
		}
	}
	z := plantErasable(t, owner, a.st.Dir(), north, "zsecondz")
	converged(t, a, shop, late)
	if _, err := owner.EraseCustomer(ctx, z.id); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	shop.sync(t)
	late.sync(t)
	if _, err := Compact(ctx, owner, a.hc); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		a.sync(t)
		shop.sync(t)
		late.sync(t)
	}
	before := versions(a)
	for name, d := range map[string]*spoke{"owner device": a, "shop device": shop, "late device": late} {
		vs := versions(d)
		if len(vs) != 1 || vs[0] == 3 || vs[0] != before[0] {
			t.Fatalf("%s after the second erasure holds versions %v (owner: %v)", name, vs, before)
		}
		if hits, _ := scanFiles(t, d.st.Dir(), z.needles); hits != 0 {
			t.Fatalf("%s holds the second erased customer's bytes", name)
		}
		olga := must[*store.Session](t)(d.st.SignIn(ctx, "olga", "owner-password-1"))
		if got, err := olga.FindCustomers(ctx, store.ByEmail, "ystaysy@example.com"); err != nil || len(got) != 1 {
			t.Fatalf("%s: lookup after the second rotation: %v %v", name, got, err)
		}
	}
	t.Logf("second erasure: every device holds only shop key v%d", before[0])
}

func copyFolder(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// flakyEnvelopes is a hub whose envelope upload fails once: the rotation it interrupts is
// finished at the next round with the same version, not announced again.
type flakyEnvelopes struct {
	Hub
	failed bool
}

func (f *flakyEnvelopes) PutEnvelopes(ctx context.Context, envs []protocol.EnvelopeInfo) error {
	if !f.failed {
		f.failed = true
		return errors.New("hub down")
	}
	return f.Hub.PutEnvelopes(ctx, envs)
}

// TestInterruptedRotationFinishes: the hub fails while the owner device shares the rotated shop
// key; the next round shares that same version and re-wraps under it; the roster holds one
// rotation entry, and the shop device reads the re-wrapped customers.
func TestInterruptedRotationFinishes(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	x := plantErasable(t, owner, a.st.Dir(), north, "xflakyx")
	y := plantErasable(t, owner, a.st.Dir(), north, "yflakyy")
	a.sync(t)
	shop.sync(t)
	if _, err := owner.EraseCustomer(ctx, x.id); err != nil {
		t.Fatal(err)
	}
	flaky := New(a.st.Replica(), &flakyEnvelopes{Hub: a.hc})
	if _, err := flaky.SyncNow(ctx); err == nil {
		t.Fatal("the round with a failing hub succeeded")
	}
	v, err := a.st.Replica().RotationUnderway(ctx, north)
	if err != nil || v == 0 {
		t.Fatalf("no rotation underway after the failure: %d %v", v, err)
	}
	rosterLen := must[*roster.State](t)(a.st.Replica().Roster(ctx)).Len()
	a.sync(t)
	shop.sync(t)
	if got := must[*roster.State](t)(a.st.Replica().Roster(ctx)).Len(); got != rosterLen {
		t.Fatalf("the retry announced another rotation: roster %d -> %d", rosterLen, got)
	}
	if _, cur, err := shop.st.Replica().ScopeKey(ctx, north, 0); err != nil || cur != v {
		t.Fatalf("the shop device's current version %d, want %d (%v)", cur, v, err)
	}
	if w, _ := a.st.Replica().RotationUnderway(ctx, north); w != 0 {
		t.Fatalf("the rotation is still underway: %d", w)
	}
	card, err := must[*store.Session](t)(shop.st.SignIn(ctx, "olga", "owner-password-1")).Customer(ctx, y.id, "")
	if err != nil || card.Name != "Erin yflakyy" {
		t.Fatalf("the shop device reads the re-wrapped customer: %v %+v", err, card)
	}
	if held, _ := shop.st.Replica().Held(ctx); len(held) != 0 {
		t.Fatalf("the shop device holds %d sets", len(held))
	}
}
