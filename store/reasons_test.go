package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/protocol/auditrec"
)

// breakGlass makes a salesperson open another's customer with a reason; it returns the entry's
// seq.
func breakGlass(t *testing.T, st *Store, reason string) int64 {
	t.Helper()
	ctx := context.Background()
	owner := signIn(t, st, "olga", "owner-password-1")
	shops := must[[]Shop](t)(owner.Shops(ctx))
	for _, u := range []string{"sam", "sue"} {
		if _, err := owner.UserByName(ctx, u); err != nil {
			must[string](t)(owner.AddUser(ctx, NewUser{Username: u, Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
		}
	}
	sam, sue := signIn(t, st, "sam", staffPW), signIn(t, st, "sue", staffPW)
	c := must[string](t)(sam.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Phone: "+1 415 555 0101"}))
	if _, err := sue.Customer(ctx, c, reason); err != nil {
		t.Fatal(err)
	}
	var seq int64
	if err := st.db.QueryRow("SELECT MAX(seq) FROM audit WHERE action = 'customer.read.break_glass'").Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

// appendLegacyReason adds an entry whose reason is sealed the way Spoke did before reasons had
// keys of their own (under the org key, version 1: the bare sealed bytes), chained and with
// the head moved, as an older Spoke would have written it.
func appendLegacyReason(t *testing.T, st *Store, reason string) int64 {
	t.Helper()
	ctx := context.Background()
	key := must[[]byte](t)(st.orgDerived(ctx, purposeAudit))
	org, _, err := st.scopeKey(ctx, OrgScope, 1)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var seq int64
	var prev []byte
	if err := tx.QueryRow("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev); err != nil {
		t.Fatal(err)
	}
	seq++
	sealed := must[[]byte](t)(seal.Seal(org, []byte(reason), seal.FieldAD("audit", strconv.FormatInt(seq, 10), "reason", 1)))
	at := st.opts.Now().UnixMilli()
	mac := auditMAC(key, seq, at, "u-legacy", st.deviceID, "customer.read.break_glass", "c", "", "ok", "", sealed, prev, auditCtx{})
	if _, err := tx.Exec(`INSERT INTO audit(seq, at, user_id, device_id, action, target, fields, outcome, detail, reason, mac)
		VALUES(?, ?, 'u-legacy', ?, 'customer.read.break_glass', 'c', '', 'ok', '', ?, ?)`, seq, at, st.deviceID, sealed, mac); err != nil {
		t.Fatal(err)
	}
	uv, err := getMeta(ctx, tx, metaUserVersions)
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := setMeta(ctx, tx, metaAuditHead, append([]byte(strconv.FormatInt(seq, 10)+":"), headMAC(key, seq, mac, uv)...)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return seq
}

// everyKey is every key the database holds that could open a sealed value: every version of
// every scope key, and every kept reason key.
func everyKey(t *testing.T, st *Store) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	rows, err := st.db.Query("SELECT scope, version, wrapped FROM scope_keys")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var scope string
		var v uint32
		var w []byte
		if err := rows.Scan(&scope, &v, &w); err != nil {
			t.Fatal(err)
		}
		out = append(out, must[[]byte](t)(keys.Unwrap(st.mk, w, scopeLabel(scope, v))))
	}
	rows.Close()
	rows, err = st.db.Query("SELECT device_id, seq, version, wrapped FROM reason_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var dev string
		var seq int64
		var v uint32
		var w []byte
		if err := rows.Scan(&dev, &seq, &v, &w); err != nil {
			t.Fatal(err)
		}
		org, _, err := st.scopeKey(ctx, OrgScope, v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, must[[]byte](t)(keys.Unwrap(org, w, reasonKeyLabel(dev, seq, v))))
	}
	return out
}

// opensUnderAny reports whether the sealed bytes b (as the chain holds them) open under any
// key, with any additional data the store uses for a reason.
func opensUnderAny(ks [][]byte, device string, seq int64, b []byte) bool {
	for _, k := range ks {
		for _, body := range [][]byte{b, b[1:]} {
			ads := [][]byte{reasonAD(device, seq)}
			for v := uint32(1); v <= 4; v++ {
				ads = append(ads, seal.FieldAD("audit", strconv.FormatInt(seq, 10), "reason", v))
			}
			for _, ad := range ads {
				if _, err := seal.Open(k, body, ad); err == nil {
					return true
				}
			}
		}
	}
	return false
}

func expireNow(t *testing.T, st *Store, before time.Time) int {
	t.Helper()
	var n int
	err := st.write(context.Background(), retentionActor, "test.expire", func(w *wtx) error {
		var err error
		n, err = expireReasons(w.ctx, w.tx, before.UnixMilli())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func reasonOf(t *testing.T, recs []AuditRecord, seq int64) AuditRecord {
	t.Helper()
	for _, r := range recs {
		if r.Seq == seq {
			return r
		}
	}
	t.Fatalf("entry %d not in the trail", seq)
	return AuditRecord{}
}

// TestReasonExpiresChainStaysWhole: a break-glass reason is sealed under a key of its own; the
// chain verifies; expiring it deletes only the key; the chain still verifies, the reason reads
// as expired, its bytes open under no key the database holds, and after a checkpoint neither
// the file nor its log holds the wrapped key. A reason sealed the older way (under the org key)
// reads as before and does not expire.
func TestReasonExpiresChainStaysWhole(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	legacy := appendLegacyReason(t, st, "legacy reason: customer phoned about a recall")
	seq := breakGlass(t, st, "covering the counter for Sam, customer waiting")
	owner := signIn(t, st, "olga", "owner-password-1")

	var blob, wrapped []byte
	if err := st.db.QueryRow("SELECT reason FROM audit WHERE seq = ?", seq).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	if err := st.db.QueryRow("SELECT wrapped FROM reason_keys WHERE device_id = ? AND seq = ?", st.DeviceID(), seq).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if blob[0] != reasonOwnKey || bytes.Contains(blob, []byte("covering")) {
		t.Fatalf("the reason is not sealed under its own key: %x", blob[:1])
	}
	// Positive controls: the chain verifies, both reasons read, and the bytes open under a
	// key held here.
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("before expiry: %v", r.Problems)
	}
	recs := must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{}))
	if got := reasonOf(t, recs, seq); got.Reason != "covering the counter for Sam, customer waiting" || got.ReasonExpired {
		t.Fatalf("before expiry: %+v", got)
	}
	if got := reasonOf(t, recs, legacy); got.Reason != "legacy reason: customer phoned about a recall" {
		t.Fatalf("legacy reason: %+v", got)
	}
	if !opensUnderAny(everyKey(t, st), st.DeviceID(), seq, blob) {
		t.Fatal("positive control: the reason opens under no key before expiry")
	}

	if n := expireNow(t, st, st.opts.Now().Add(time.Hour)); n != 1 {
		t.Fatalf("expired %d reasons, want 1 (the legacy one cannot expire)", n)
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("after expiry the chain must still verify: %v", r.Problems)
	}
	if _, err := st.verifyAudit(ctx); err != nil {
		t.Fatalf("chain after expiry: %v", err)
	}
	var after []byte
	if err := st.db.QueryRow("SELECT reason FROM audit WHERE seq = ?", seq).Scan(&after); err != nil || !bytes.Equal(after, blob) {
		t.Fatalf("the entry's bytes changed: %v", err)
	}
	recs = must[[]AuditRecord](t)(owner.AuditLog(ctx, AuditFilter{}))
	if got := reasonOf(t, recs, seq); got.Reason != "" || !got.ReasonExpired {
		t.Fatalf("after expiry the reason must read as expired: %+v", got)
	}
	if got := reasonOf(t, recs, legacy); got.Reason != "legacy reason: customer phoned about a recall" || got.ReasonExpired {
		t.Fatalf("a legacy reason reads as before: %+v", got)
	}
	if opensUnderAny(everyKey(t, st), st.DeviceID(), seq, blob) {
		t.Fatal("the expired reason still opens under a key in the database")
	}
	if _, err := st.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DBFile, DBFile + "-wal"} {
		b, err := os.ReadFile(filepath.Join(st.Dir(), name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, wrapped) {
			t.Fatalf("%s still holds the expired reason's wrapped key", name)
		}
	}
}

// TestReasonKeyTravelsToOwnerCopies: the key goes with the entry to another device's copy of
// the trail (outside the MAC), opens the reason there, expires there by age, and the copy still
// chains; a forged or misplaced key is refused; an entry without one (older format) applies.
func TestReasonKeyTravelsToOwnerCopies(t *testing.T) {
	ctx := context.Background()
	a, b, _ := newPair(t)
	seq := breakGlass(t, a.st, "reason that travels")
	entries := must[[]auditrec.Entry](t)(a.st.localAudit(ctx, 0, 1<<20))
	var sent auditrec.Entry
	for _, e := range entries {
		if e.Seq == seq {
			sent = e
		}
	}
	if len(sent.ReasonKey) == 0 {
		t.Fatal("the entry travels without its reason key")
	}
	// The wire form round-trips with the key.
	if got := must[auditrec.Entry](t)(auditrec.Decode(auditrec.Encode(sent))); !bytes.Equal(got.ReasonKey, sent.ReasonKey) {
		t.Fatal("the reason key does not survive the wire form")
	}

	t.Run("forged key refused", func(t *testing.T) {
		forged := append([]auditrec.Entry(nil), entries...)
		for i := range forged {
			if forged[i].Seq == seq {
				rk := bytes.Clone(forged[i].ReasonKey)
				rk[len(rk)-1] ^= 1
				forged[i].ReasonKey = rk
			}
		}
		if _, err := b.st.applyRemoteAudit(ctx, a.st.DeviceID(), forged); !errors.Is(err, ErrRemote) {
			t.Fatalf("a forged reason key: %v", err)
		}
		moved := append([]auditrec.Entry(nil), entries...)
		for i := range moved {
			if moved[i].Seq == 1 {
				moved[i].ReasonKey = sent.ReasonKey // a key on an entry without a reason of its kind
			}
		}
		if _, err := b.st.applyRemoteAudit(ctx, a.st.DeviceID(), moved); !errors.Is(err, ErrRemote) {
			t.Fatalf("a misplaced reason key: %v", err)
		}
	})

	n := must[int](t)(b.st.applyRemoteAudit(ctx, a.st.DeviceID(), entries))
	if n != len(entries) {
		t.Fatalf("applied %d of %d", n, len(entries))
	}
	var rb []byte
	if err := b.st.db.QueryRow("SELECT reason FROM remote_audit WHERE device_id = ? AND seq = ?", a.st.DeviceID(), seq).Scan(&rb); err != nil {
		t.Fatal(err)
	}
	if got := must[string](t)(b.st.openReason(ctx, b.st.db, a.st.DeviceID(), seq, rb)); got != "reason that travels" {
		t.Fatalf("the copy reads %q", got)
	}
	if n := expireNow(t, b.st, b.st.opts.Now().Add(time.Hour)); n != 1 {
		t.Fatalf("the copy expired %d", n)
	}
	if _, err := b.st.openReason(ctx, b.st.db, a.st.DeviceID(), seq, rb); !errors.Is(err, ErrReasonExpired) {
		t.Fatalf("the copy's reason after expiry: %v", err)
	}
	r := &Report{}
	if err := b.st.verifyRemoteAudit(ctx, r); err != nil || !r.OK() {
		t.Fatalf("the copy no longer chains: %v %v", err, r.Problems)
	}
	if opensUnderAny(everyKey(t, b.st), a.st.DeviceID(), seq, rb) {
		t.Fatal("the copy's expired reason opens under a key there")
	}
	// An expired reason travels without its key: sent again from a, after a expired it too.
	expireNow(t, a.st, a.st.opts.Now().Add(time.Hour))
	for _, e := range must[[]auditrec.Entry](t)(a.st.localAudit(ctx, 0, 1<<20)) {
		if len(e.ReasonKey) > 0 {
			t.Fatalf("entry %d travels with an expired key", e.Seq)
		}
	}
}

// TestReasonKeyTamper: an edited, moved or planted key row is named by verify; a deleted one
// cannot be told from an expired one (that is what expiry is) and the chain still verifies.
func TestReasonKeyTamper(t *testing.T) {
	ctx := context.Background()
	for name, q := range map[string]string{
		"wrapped edited":  "UPDATE reason_keys SET wrapped = CAST(substr(wrapped, 1, length(wrapped) - 1) || X'00' AS BLOB)",
		"moved to seq":    "UPDATE reason_keys SET seq = 1",
		"version changed": "UPDATE reason_keys SET version = 7",
		"planted":         "INSERT INTO reason_keys SELECT device_id, 2, version, wrapped FROM reason_keys",
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := newTestStore(t)
			breakGlass(t, st, "a reason")
			if _, err := st.db.Exec(q); err != nil {
				t.Fatal(err)
			}
			r := must[*Report](t)(st.Verify(ctx))
			if len(r.Problems) == 0 || r.Problems[0].Table != "reason_keys" {
				t.Fatalf("verify did not name reason_keys: %v", r.Problems)
			}
		})
	}
	st, _ := newTestStore(t)
	breakGlass(t, st, "a reason")
	if _, err := st.db.Exec("DELETE FROM reason_keys"); err != nil {
		t.Fatal(err)
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("a deleted key (expiry) must leave the trail whole: %v", r.Problems)
	}
}

// TestReasonKeysInDeltas: an incremental backup carries the reason keys as they stand, so a
// restore of full + delta reads a reason sealed after the full, and one expired before the
// delta stays expired.
func TestReasonKeysInDeltas(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	first := breakGlass(t, st, "first reason")
	full := filepath.Join(t.TempDir(), "full.db")
	base := must[*Snapshot](t)(owner.BackupSnapshot(ctx, full))
	expireNow(t, st, st.opts.Now().Add(time.Hour))
	second := breakGlass(t, st, "second reason")
	delta := filepath.Join(t.TempDir(), "delta.db")
	must[*Snapshot](t)(owner.BackupDelta(ctx, delta, base))

	dir := t.TempDir()
	copyFile(t, full, filepath.Join(dir, DBFile))
	rs, err := Open(ctx, dir, Options{MasterKey: bytes.Clone(st.mk), KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	// The full backup still holds the first key: a restore of it alone reads the reason (until
	// the next retention run there expires it again).
	if n := must[int](t)(reasonsDue(ctx, rs.db, st.opts.Now().Add(time.Hour).UnixMilli())); n != 1 {
		t.Fatalf("the full backup holds %d reason keys", n)
	}
	if err := rs.ApplyDelta(ctx, delta); err != nil {
		t.Fatal(err)
	}
	read := func(seq int64) (string, error) {
		var b []byte
		var dev string
		if err := rs.db.QueryRow("SELECT reason, device_id FROM audit WHERE seq = ?", seq).Scan(&b, &dev); err != nil {
			t.Fatal(err)
		}
		return rs.openReason(ctx, rs.db, dev, seq, b)
	}
	if _, err := read(first); !errors.Is(err, ErrReasonExpired) {
		t.Fatalf("the first reason after full + delta: %v", err)
	}
	if got, err := read(second); err != nil || got != "second reason" {
		t.Fatalf("the second reason after full + delta: %q %v", got, err)
	}
	if r := must[*Report](t)(rs.Verify(ctx)); !r.OK() {
		t.Fatalf("restored: %v", r.Problems)
	}
}

// TestReasonKeyVersionsKept: the org key version a kept reason key is wrapped under is needed
// (never forgotten); once the key expired, it is not.
func TestReasonKeyVersionsKept(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	must[uint32](t)(owner.RotateScopeKey(ctx, OrgScope))
	breakGlass(t, st, "under v2")
	must[uint32](t)(owner.RotateScopeKey(ctx, OrgScope))
	u := must[*keyUse](t)(st.scopeKeyUse(ctx, st.db, OrgScope))
	if !u.needed[2] {
		t.Fatal("the version a kept reason key is wrapped under is not needed")
	}
	expireNow(t, st, st.opts.Now().Add(time.Hour))
	u = must[*keyUse](t)(st.scopeKeyUse(ctx, st.db, OrgScope))
	if u.needed[2] {
		t.Fatal("an expired reason key still holds its version back")
	}
}

// TestReasonsOfACustomerExpire: the erasure's helper deletes the keys of the reasons recorded
// about one customer only; the chain verifies.
func TestReasonsOfACustomerExpire(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	first := breakGlass(t, st, "about the first customer")
	second := breakGlass(t, st, "about the second customer")
	var target string
	if err := st.db.QueryRow("SELECT target FROM audit WHERE seq = ?", first).Scan(&target); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.write(ctx, retentionActor, "test.erase", func(w *wtx) error {
		var err error
		n, err = expireReasonsOf(ctx, w.tx, target)
		return err
	}); err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	for seq, expired := range map[int64]bool{first: true, second: false} {
		var b []byte
		if err := st.db.QueryRow("SELECT reason FROM audit WHERE seq = ?", seq).Scan(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := st.openReason(ctx, st.db, st.DeviceID(), seq, b); errors.Is(err, ErrReasonExpired) != expired {
			t.Fatalf("entry %d: %v", seq, err)
		}
	}
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatal(r.Problems)
	}
}
