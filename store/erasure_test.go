package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spoke/crypto/blind"
	"spoke/crypto/keys"
)

// plantedCustomer is a customer with a value in every personal field, a bike, a job with lines
// and a sale, and the sealed bytes those values became (read from the file, as an attacker
// would).
type plantedCustomer struct {
	id, bike, job, sale string
	plain               []string // the values typed
	sealed              [][]byte // the ciphertexts and the wrapped data key, as stored
}

func plantErasable(t *testing.T, ss *Session, dir, tag string) *plantedCustomer {
	t.Helper()
	ctx := context.Background()
	p := &plantedCustomer{plain: []string{"Erin " + tag + "ford", "erin." + tag + "@example.com", "12 " + tag + " Lane", "likes " + tag + " tyres", "SER" + strings.ToUpper(tag) + "99", "saddle " + tag + " mm", "creaks " + tag}}
	p.id = must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: p.plain[0], Email: p.plain[1], Phone: "+1 415 555 01" + map[string]string{"aa": "11", "bb": "12", "xx": "13", "yy": "14"}[tag], Address: p.plain[2], Notes: p.plain[3]}))
	p.bike = must[string](t)(ss.AddBike(ctx, p.id, Bike{Make: "Surly", Model: "Troll", Serial: p.plain[4], Notes: p.plain[5]}))
	p.job = must[string](t)(ss.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: p.id, BikeID: p.bike, Complaint: p.plain[6], Lines: []Line{{Kind: "labour", Description: "tune", Qty: 1, UnitPrice: 5000}}}))
	p.sale = must[string](t)(ss.RecordSale(ctx, SaleInput{CustomerID: p.id, PaymentMethod: "card", Lines: []Line{{Kind: "part", SKU: "T1", Description: "tube", Qty: 2, UnitPrice: 800}}}))
	db := rawDB(t, dir)
	var cols []any
	var dek, name, email, phone, addr, notes, serial, bnotes, complaint []byte
	cols = append(cols, &dek, &name, &email, &phone, &addr, &notes)
	if err := db.QueryRow("SELECT dek, name, email, phone, address, notes FROM customers WHERE id = ?", p.id).Scan(cols...); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT serial, notes FROM bikes WHERE id = ?", p.bike).Scan(&serial, &bnotes); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT complaint FROM work_orders WHERE id = ?", p.job).Scan(&complaint); err != nil {
		t.Fatal(err)
	}
	p.sealed = [][]byte{dek, name, email, phone, addr, notes, serial, bnotes, complaint}
	return p
}

// scanDir counts, over every byte of every file under dir (database, WAL, shared memory,
// anything else), the occurrences of each needle; it returns the hits and the bytes scanned.
func scanDir(t *testing.T, dir string, needles [][]byte) (hits []int, scanned int64) {
	t.Helper()
	hits = make([]int, len(needles))
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned += int64(len(b))
		for i, n := range needles {
			hits[i] += bytes.Count(b, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits, scanned
}

func salesTotal(t *testing.T, st *Store) (n, total int64) {
	t.Helper()
	if err := st.db.QueryRow("SELECT count(*), COALESCE(SUM(total), 0) FROM sales").Scan(&n, &total); err != nil {
		t.Fatal(err)
	}
	return n, total
}

// TestEraseLeavesNoByte: before the erasure the scan finds every sealed value and the wrapped
// key of the customer in the files (the positive control); after it none, in the database, its
// log or its free pages; the other customer and the sale totals are untouched; the ledger
// names the customer only by a keyed hash; and the database still verifies.
func TestEraseLeavesNoByte(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	dir := st.Dir()
	owner := signIn(t, st, "olga", "owner-password-1")
	gone := plantErasable(t, owner, dir, "aa")
	stays := plantErasable(t, owner, dir, "bb")
	n0, total0 := salesTotal(t, st)

	hits, scanned := scanDir(t, dir, gone.sealed)
	for i, h := range hits {
		if h == 0 {
			t.Fatalf("positive control: sealed value %d of the customer not found in %d bytes", i, scanned)
		}
	}
	res, err := owner.EraseCustomer(ctx, gone.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted["customers"] != 1 || res.Deleted["bikes"] != 1 || res.Deleted["work_orders"] != 1 || res.Deleted["work_order_lines"] != 1 || res.SalesKept != 1 {
		t.Fatalf("erasure result %+v", res)
	}
	hits, scanned = scanDir(t, dir, gone.sealed)
	for i, h := range hits {
		if h != 0 {
			t.Fatalf("sealed value %d of the erased customer still in the files (%d hits in %d bytes)", i, h, scanned)
		}
	}
	t.Logf("erasure scan: %d bytes scanned, %d needles, 0 hits", scanned, len(gone.sealed))
	var plain [][]byte
	for _, v := range append(gone.plain, stays.plain...) {
		plain = append(plain, []byte(v))
	}
	if hits, _ := scanDir(t, dir, plain); !allZero(hits) {
		t.Fatalf("plaintext in the files: %v", hits)
	}
	if hits, _ := scanDir(t, dir, stays.sealed); !allPositive(hits) {
		t.Fatalf("the other customer's values are gone: %v", hits)
	}
	if _, err := owner.Customer(ctx, gone.id, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("erased customer still opens: %v", err)
	}
	card, err := owner.Customer(ctx, stays.id, "")
	if err != nil || card.Name != stays.plain[0] || len(card.Bikes) != 1 || card.Bikes[0].Serial != stays.plain[4] {
		t.Fatalf("the other customer: %v %+v", err, card)
	}
	if n, total := salesTotal(t, st); n != n0 || total != total0 {
		t.Fatalf("sales %d/%d, want %d/%d", n, total, n0, total0)
	}
	var cust any
	if err := st.db.QueryRow("SELECT customer_id FROM sales WHERE id = ?", gone.sale).Scan(&cust); err != nil || cust != nil {
		t.Fatalf("kept sale still names the customer: %v %v", cust, err)
	}
	var ledger string
	if err := st.db.QueryRow("SELECT id FROM erasures").Scan(&ledger); err != nil || ledger != res.LedgerID || ledger == gone.id {
		t.Fatalf("ledger %q (%v), result %q", ledger, err, res.LedgerID)
	}
	if _, err := owner.EraseCustomer(ctx, gone.id); !errors.Is(err, ErrErased) {
		t.Fatalf("second erasure: %v", err)
	}
	entries, err := owner.AuditLog(ctx, AuditFilter{Action: "subject.erase"})
	if err != nil || len(entries) == 0 || entries[0].Target != res.LedgerID {
		t.Fatalf("audit: %v %+v", err, entries)
	}
	for _, e := range entries {
		if strings.Contains(e.Target+e.Detail, gone.id) {
			t.Fatalf("the audit entry names the erased customer's id: %+v", e)
		}
	}
	r, err := st.Verify(ctx)
	if err != nil || !r.OK() {
		t.Fatalf("verify after erasure: %v %+v", err, r)
	}
}

func allZero(v []int) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func allPositive(v []int) bool {
	for _, x := range v {
		if x == 0 {
			return false
		}
	}
	return true
}

// TestEraseAccess: owner and the customer's shop manager may erase; no one else, and a
// manager of another shop not even a customer they can name.
func TestEraseAccess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, user := range []string{"sam", "sue", "stan", "mike", "mark", "aud", "mo"} {
		if _, err := f.users[user].EraseCustomer(ctx, f.cSue); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s erased: %v", user, err)
		}
	}
	if _, err := f.users["mia"].EraseCustomer(ctx, f.cSue); err != nil {
		t.Fatalf("the shop's manager: %v", err)
	}
	if _, err := f.users["olga"].EraseCustomer(ctx, f.cStan); err != nil {
		t.Fatalf("the owner: %v", err)
	}
	if _, err := f.users["olga"].EraseCustomer(ctx, "0193a1b2-0000-7000-8000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

// TestErasureSyncsAndBeatsConcurrentEdits: device A erases while device B edits the customer,
// adds a bike and a job for them and sells to them; after the exchange both ways the customer
// is gone on both, B's concurrent work is dropped (the sale kept without the customer), the
// other customer converges, and a device that never had the customer (C) recognises B's late
// bike for them through the ledger and refuses nothing.
func TestErasureSyncsAndBeatsConcurrentEdits(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	x := plantErasable(t, ownerA, A.st.Dir(), "xx")
	y := plantErasable(t, ownerA, A.st.Dir(), "yy")
	exchange(t, A, B)
	ownerB := signIn(t, B.st, "olga", "owner-password-1")

	// Concurrently: B edits and adds; A erases.
	if err := ownerB.UpdateCustomer(ctx, x.id, CustomerInput{Name: "Erin Edited", Email: x.plain[1]}); err != nil {
		t.Fatal(err)
	}
	must[string](t)(ownerB.AddBike(ctx, x.id, Bike{Make: "Brompton", Model: "C", Serial: "LATE123"}))
	must[string](t)(ownerB.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: x.id, Complaint: "late job", Lines: []Line{{Kind: "part", Description: "chain", Qty: 1, UnitPrice: 2000}}}))
	must[string](t)(ownerB.RecordSale(ctx, SaleInput{CustomerID: x.id, PaymentMethod: "cash", Lines: []Line{{Kind: "part", Description: "bell", Qty: 1, UnitPrice: 900}}}))
	if _, err := ownerA.EraseCustomer(ctx, x.id); err != nil {
		t.Fatal(err)
	}
	// A device that joins now and takes B's sets before A's erasure.
	C := &testDevice{}
	var err error
	if C.st, _, err = CreateReplica(ctx, t.TempDir(), testOptions()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { C.st.Close() })
	scopes, _ := A.st.Scopes(ctx)
	if err := C.st.Replica().ImportScopeKeys(ctx, must[[]ScopeKey](t)(ownerA.ExportScopeKeys(ctx, scopes))); err != nil {
		t.Fatal(err)
	}

	exchange(t, B, A)
	exchange(t, A, B)
	exchange(t, A, C)
	exchange(t, B, C)
	exchange(t, B, A)
	for name, d := range map[string]*testDevice{"A": A, "B": B, "C": C} {
		var n int
		for _, q := range []string{
			"SELECT count(*) FROM customers WHERE id = ?1",
			"SELECT count(*) FROM bikes WHERE customer_id = ?1",
			"SELECT count(*) FROM work_orders WHERE customer_id = ?1",
			"SELECT count(*) FROM sales WHERE customer_id = ?1",
		} {
			if err := d.st.db.QueryRow(q, x.id).Scan(&n); err != nil || n != 0 {
				t.Fatalf("device %s: %q = %d (%v)", name, q, n, err)
			}
		}
		if err := d.st.db.QueryRow("SELECT count(*) FROM sales").Scan(&n); err != nil || n != 3 {
			t.Fatalf("device %s holds %d sales, want 3 (kept anonymised): %v", name, n, err)
		}
		if err := d.st.db.QueryRow("SELECT count(*) FROM erasures").Scan(&n); err != nil || n != 1 {
			t.Fatalf("device %s ledger: %d %v", name, n, err)
		}
		if held, err := d.st.Replica().Held(ctx); err != nil || len(held) != 0 {
			t.Fatalf("device %s holds sets: %v %v", name, held, err)
		}
		if r, err := d.st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("device %s verify: %v %+v", name, err, r)
		}
		hits, _ := scanDir(t, d.st.Dir(), x.sealed)
		if !allZero(hits) {
			t.Fatalf("device %s still holds sealed bytes of the erased customer: %v", name, hits)
		}
	}
	card, err := ownerB.Customer(ctx, y.id, "")
	if err != nil || card.Name != y.plain[0] {
		t.Fatalf("the other customer on B: %v %+v", err, card)
	}
}

// TestForgedIndexKeysRefused plays a device that sends a shop's derived keys: a key that is not
// the one the shop key derives (it would redirect every blind index), one under the wrong row
// id, one wrapped under a version the receiver does not hold, one with a made-up purpose, and
// any from a device that is not an owner of the device list, are refused whole.
func TestForgedIndexKeysRefused(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada"}))
	exchange(t, A, B)
	shops := must[[]Shop](t)(ownerA.Shops(ctx))
	shop := shops[0].ID
	sk, _, err := A.st.scopeKey(ctx, shop, 1)
	if err != nil {
		t.Fatal(err)
	}
	wrap := func(k []byte, purpose string, v uint32) []byte {
		b, err := keys.Wrap(sk, k, indexKeyLabel(shop, purpose, v))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hlc := uint64(A.st.clock.Now())
	rows := func(id, purpose string, wrapped []byte, v uint32) []ChangeRecord {
		rec := func(col string, val any) ChangeRecord {
			return ChangeRecord{HLC: hlc, Device: A.st.DeviceID(), Scope: shop, Table: "index_keys", RowID: id, Column: col, Value: val}
		}
		return []ChangeRecord{rec("shop_id", shop), rec("purpose", purpose), rec("wrapped", wrapped), rec("key_version", int64(v))}
	}
	for name, recs := range map[string][]ChangeRecord{
		"a key not derived from the shop key": rows(indexKeyID(shop, "email"), "email", wrap(keys.New(), "email", 1), 1),
		"the email key under the phone's row": rows(indexKeyID(shop, "phone"), "email", wrap(blind.DeriveKey(sk, "email"), "email", 1), 1),
		"a version the receiver lacks":        rows(indexKeyID(shop, "email"), "email", wrap(blind.DeriveKey(sk, "email"), "email", 9), 9),
	} {
		if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shop, recs, B.pushed); !errors.Is(err, ErrRemote) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Even the genuine key is refused from a device that is not an owner of the device list
	// (here: none is, no roster): only owner devices rotate a shop's key. The genuine key from
	// an owner device passes in sync/engine's TestErasureReachesEveryCopy.
	good := rows(indexKeyID(shop, "email"), "email", wrap(blind.DeriveKey(sk, "email"), "email", 1), 1)
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shop, good, B.pushed); !errors.Is(err, ErrRemote) {
		t.Fatalf("a derived key from a device that is no owner: %v", err)
	}
	bad := rows(indexKeyID(shop, "made-up"), "made-up", wrap(keys.New(), "made-up", 1), 1)
	if _, err := B.st.applyRemote(ctx, A.st.DeviceID(), shop, bad, B.pushed); !errors.Is(err, ErrRemote) {
		t.Fatalf("a made-up purpose: %v", err)
	}
}

// TestErasureFromAShopDeviceKeepsOthersBackups: every device erases what the ledger names, but
// only an erasure made here (or sent by an owner device) may delete the backup folder's older
// backups at once: a hostile counter PC planting ledger rows cannot also destroy every other
// device's backups.
func TestErasureFromAShopDeviceKeepsOthersBackups(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	id := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Ada"}))
	exchange(t, A, B)
	res := must[*ErasureResult](t)(ownerA.EraseCustomer(ctx, id))
	exchange(t, A, B)
	if got := must[[]string](t)(A.st.ConfirmedErasures(ctx)); len(got) != 1 || got[0] != res.LedgerID {
		t.Fatalf("the erasing device: %v", got)
	}
	// B holds no roster in which A is an owner device: to B, A is just another device.
	if got := must[[]string](t)(B.st.ErasureLedger(ctx)); len(got) != 1 {
		t.Fatalf("B's ledger: %v", got)
	}
	if got := must[[]string](t)(B.st.ConfirmedErasures(ctx)); len(got) != 0 {
		t.Fatalf("an erasure from a device that is no owner counts as confirmed on B: %v", got)
	}
	var n int
	if err := B.st.db.QueryRow("SELECT count(*) FROM customers WHERE id = ?", id).Scan(&n); err != nil || n != 0 {
		t.Fatalf("B still holds the customer: %d %v", n, err)
	}
}

// TestLaterWorkOnADroppedJob: B opens a job for the customer A erases; A drops it on arrival
// and keeps a terminal clock for it, so B's next set, which adds a line to that job and edits
// another customer, is not refused: the line is dropped, the other edit applies.
func TestLaterWorkOnADroppedJob(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	x := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Xavier"}))
	y := must[string](t)(ownerA.CreateCustomer(ctx, CustomerInput{Name: "Yvonne"}))
	exchange(t, A, B)
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	job := must[string](t)(ownerB.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: x, Complaint: "late job", Lines: []Line{{Kind: "part", Description: "chain", Qty: 1, UnitPrice: 2000}}}))
	must[*ErasureResult](t)(ownerA.EraseCustomer(ctx, x))
	send(t, B, A) // the job arrives after the erasure: dropped, tombstoned
	if err := ownerB.AddWorkOrderLine(ctx, job, Line{Kind: "labour", Description: "fit", Qty: 1, UnitPrice: 1500}); err != nil {
		t.Fatal(err)
	}
	if err := ownerB.UpdateCustomer(ctx, y, CustomerInput{Name: "Yvonne Edited"}); err != nil {
		t.Fatal(err)
	}
	send(t, B, A) // only what B wrote since: the line names a job A never kept
	card := must[*CustomerCard](t)(signIn(t, A.st, "olga", "owner-password-1").Customer(ctx, y, ""))
	if card.Name != "Yvonne Edited" {
		t.Fatalf("the other customer's edit: %q", card.Name)
	}
	var n int
	if err := A.st.db.QueryRow("SELECT count(*) FROM work_order_lines").Scan(&n); err != nil || n != 0 {
		t.Fatalf("lines of the dropped job on A: %d %v", n, err)
	}
	if r, err := A.st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify: %v %+v", err, r)
	}
}
