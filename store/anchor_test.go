package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// copyDBFiles copies the database files of dir (a closed store) into a new directory: an
// older, genuine copy of the database, as an attacker with the file keeps one.
func copyDBFiles(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(filepath.Join(dir, DBFile+suffix))
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, DBFile+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		out.Close()
	}
	return dst
}

// putBack replaces the database files of dir by those of src.
func putBack(t *testing.T, src, dir string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dir, DBFile+suffix))
	}
	c := copyDBFiles(t, src)
	for _, suffix := range []string{"", "-wal"} {
		if err := os.Rename(filepath.Join(c, DBFile+suffix), filepath.Join(dir, DBFile+suffix)); err != nil && suffix == "" {
			t.Fatal(err)
		}
	}
}

func hasProblem(r *Report, table, row, column, reason string) bool {
	for _, p := range r.Problems {
		if p.Table == table && strings.HasPrefix(p.Row, row) && p.Column == column && strings.Contains(p.Reason, reason) {
			return true
		}
	}
	return false
}

// failsClosed asserts that nobody signs in and nothing is written to a rolled-back trail.
func failsClosed(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, ErrRolledBack) || !errors.Is(err, ErrTampered) {
		t.Fatalf("sign-in on a rolled-back trail: %v", err)
	}
	if err := st.Audit(ctx, System("sync"), Event{Action: "sync.test"}); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("write on a rolled-back trail: %v", err)
	}
}

func kcOptions(kc *fakeKeychain) Options { return Options{Keychain: kc, KDF: fastKDF} }

func newKeychainStore(t *testing.T) (*Store, *fakeKeychain) {
	t.Helper()
	kc := &fakeKeychain{m: map[string][]byte{}}
	st, _, err := Create(context.Background(), t.TempDir(), CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, kcOptions(kc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, kc
}

// anchored returns the heads in the fake keychain's anchor for st.
func anchored(t *testing.T, st *Store, kc *fakeKeychain) []anchorHead {
	t.Helper()
	v, ok := kc.m[st.anchorAccount()]
	if !ok {
		t.Fatal("no anchor in the keychain")
	}
	heads, err := st.decodeAnchor(v)
	if err != nil {
		t.Fatal(err)
	}
	return heads
}

func headSeq(t *testing.T, st *Store) int64 {
	t.Helper()
	seq, _, err := st.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestNewDatabaseHasATrail(t *testing.T) {
	st, _ := newTestStore(t)
	if n := headSeq(t, st); n < 1 {
		t.Fatalf("a new database has %d audit entries", n)
	}
	var action string
	if err := st.db.QueryRow("SELECT action FROM audit WHERE seq = 1").Scan(&action); err != nil || action != "store.init" {
		t.Fatalf("first entry %q %v", action, err)
	}
}

// TestAuditWipeDetected: deleting every audit entry, with or without fixing up the head row,
// is an empty trail, never "a fresh database": verify names it and sign-in fails closed.
func TestAuditWipeDetected(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keychain bool
		sql      []string
	}{
		{"entries deleted", false, []string{"DELETE FROM audit"}},
		{"entries and head row deleted", false, []string{"DELETE FROM audit", "DELETE FROM meta WHERE key = 'audit_head'"}},
		{"entries, head and user versions deleted", false, []string{"DELETE FROM audit", "DELETE FROM meta WHERE key IN ('audit_head', 'user_versions')"}},
		{"keychain: entries and head row deleted", true, []string{"DELETE FROM audit", "DELETE FROM meta WHERE key = 'audit_head'"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var st *Store
			var kc *fakeKeychain
			opts := testOptions()
			if tc.keychain {
				st, kc = newKeychainStore(t)
				opts = kcOptions(kc)
			} else {
				st, _ = newTestStore(t)
			}
			ss := signIn(t, st, "olga", "owner-password-1")
			must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
			dir := st.Dir()
			st.Close()
			db := rawDB(t, dir)
			for _, q := range tc.sql {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			st, err := Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(r, "audit", "-", "mac", "trail is empty") {
				t.Fatalf("verify: %v", r.Problems)
			}
			if tc.keychain && !hasProblem(r, "audit", "-", "anchor", "trail ends at seq 0 below the anchored seq") {
				t.Fatalf("verify did not compare with the keychain anchor: %v", r.Problems)
			}
			failsClosed(t, st)
		})
	}
}

// TestAnchorRollbackDetected plays an attacker who has the file (not the keychain): the tail
// of the trail cut below the anchor with the head row fixed up, the whole file or the whole
// trail replaced by an older genuine copy, a copy that forked, an altered anchor. Verify names
// each; sign-in fails closed.
func TestAnchorRollbackDetected(t *testing.T) {
	ctx := context.Background()
	type fixture struct {
		dir, old string
		kc       *fakeKeychain
		oldSeq   int64 // the older copy's last entry
		anchor   int64 // the anchored head
		mk       []byte
	}
	setup := func(t *testing.T) fixture {
		st, kc := newKeychainStore(t)
		ss := signIn(t, st, "olga", "owner-password-1")
		must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
		f := fixture{dir: st.Dir(), kc: kc, mk: append([]byte(nil), kc.m[st.DatabaseID()]...)}
		ss.SignOut(ctx)
		f.oldSeq = headSeq(t, st)
		st.Close()
		f.old = copyDBFiles(t, f.dir)
		st, err := Open(ctx, f.dir, kcOptions(kc))
		if err != nil {
			t.Fatal(err)
		}
		ss = signIn(t, st, "olga", "owner-password-1")
		must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper"}))
		shops, _ := ss.Shops(ctx)
		must[string](t)(ss.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
		st.Close() // raises the anchor
		st, err = Open(ctx, f.dir, kcOptions(kc))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("honest database: %v %v", err, r.Problems)
		}
		st.Close()
		if st, err = Open(ctx, f.dir, kcOptions(kc)); err != nil {
			t.Fatal(err)
		}
		hs := anchored(t, st, kc)
		f.anchor = hs[len(hs)-1].seq
		if f.anchor <= f.oldSeq {
			t.Fatalf("anchor %d not above the old copy's %d", f.anchor, f.oldSeq)
		}
		st.Close()
		return f
	}
	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, f fixture)
		want   func(f fixture) string
	}{
		{"tail cut below the anchor, head row fixed up", func(t *testing.T, f fixture) {
			db := rawDB(t, f.dir)
			for _, q := range []string{
				"ATTACH DATABASE '" + filepath.Join(f.old, DBFile) + "' AS old",
				"DELETE FROM audit WHERE seq > (SELECT MAX(seq) FROM old.audit)",
				"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'audit_head') WHERE key = 'audit_head'",
				"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'user_versions') WHERE key = 'user_versions'",
				"DELETE FROM users WHERE username = 'sam'",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
		}, func(f fixture) string { return belowAnchor("keychain", f.oldSeq, f.anchor).Reason }},
		{"whole file replaced by an older genuine copy", func(t *testing.T, f fixture) {
			putBack(t, f.old, f.dir)
		}, func(f fixture) string { return belowAnchor("keychain", f.oldSeq, f.anchor).Reason }},
		{"trail swapped for an older genuine copy", func(t *testing.T, f fixture) {
			db := rawDB(t, f.dir)
			for _, q := range []string{
				"ATTACH DATABASE '" + filepath.Join(f.old, DBFile) + "' AS old",
				"DELETE FROM audit",
				"INSERT INTO audit SELECT * FROM old.audit",
				"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'audit_head') WHERE key = 'audit_head'",
				"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'user_versions') WHERE key = 'user_versions'",
				"DELETE FROM users WHERE username = 'sam'",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
		}, func(f fixture) string { return belowAnchor("keychain", f.oldSeq, f.anchor).Reason }},
		{"an older copy that went on past the anchor", func(t *testing.T, f fixture) {
			st, err := Open(ctx, f.old, Options{MasterKey: f.mk, KDF: fastKDF})
			if err != nil {
				t.Fatal(err)
			}
			for seq := headSeq(t, st); seq <= f.anchor+2; seq++ {
				if err := st.Audit(ctx, System("retention"), Event{Action: "test.fork"}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			putBack(t, f.old, f.dir)
		}, func(f fixture) string { return forkedFromAnchor("keychain", 0, f.anchor).Reason }},
		{"anchor in the keychain altered", func(t *testing.T, f fixture) {
			for a, v := range f.kc.m {
				if strings.Contains(a, "/anchor") {
					v[len(v)/2] ^= 1
				}
			}
		}, func(f fixture) string { return "fails authentication" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			tc.attack(t, f)
			st, err := Open(ctx, f.dir, kcOptions(f.kc))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.want(f); !hasProblem(r, "audit", "-", "anchor", want) {
				t.Fatalf("verify did not report %q; got %v", want, r.Problems)
			}
			failsClosed(t, st)
			// Closing the refused store does not lower or move the anchor.
			before := append([]byte(nil), f.kc.m[st.anchorAccount()]...)
			st.Close()
			if string(before) != string(f.kc.m[st.anchorAccount()]) {
				t.Fatal("a rolled-back store rewrote the anchor")
			}
		})
	}
}

// TestAnchorRaisedWhenDurableNotPerEntry: the keychain is written at creation, sign-out, Close
// and every few minutes of writes, not for every entry.
func TestAnchorRaisedWhenDurableNotPerEntry(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	kc := &fakeKeychain{m: map[string][]byte{}}
	opts := kcOptions(kc)
	opts.Now = func() time.Time { return now }
	st, _, err := Create(ctx, t.TempDir(), CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	top := func() int64 { hs := anchored(t, st, kc); return hs[len(hs)-1].seq }
	if top() != headSeq(t, st) {
		t.Fatalf("anchor %d after create, head %d", top(), headSeq(t, st))
	}
	ss := signIn(t, st, "olga", "owner-password-1")
	created := top()
	for i := 0; i < 5; i++ {
		now = now.Add(30 * time.Second)
		must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace"}))
	}
	if top() != created {
		t.Fatalf("anchor moved to %d within minutes (per entry)", top())
	}
	now = now.Add(anchorEvery)
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper"}))
	if top() != headSeq(t, st) {
		t.Fatalf("anchor %d after %s of writes, head %d", top(), anchorEvery, headSeq(t, st))
	}
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Katherine Johnson"}))
	if err := ss.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if top() != headSeq(t, st) {
		t.Fatalf("anchor %d after sign-out, head %d", top(), headSeq(t, st))
	}
	if len(anchored(t, st, kc)) != 1 {
		t.Fatalf("one database, %d anchored heads", len(anchored(t, st, kc)))
	}
	signIn(t, st, "olga", "owner-password-1")
	seq := headSeq(t, st)
	dir := st.Dir()
	st.Close()
	if st, err = Open(ctx, dir, opts); err != nil {
		t.Fatal(err)
	}
	if hs := anchored(t, st, kc); hs[len(hs)-1].seq != seq {
		t.Fatalf("anchor %d after Close, head %d", hs[len(hs)-1].seq, seq)
	}
}

// userRowCopy reads every column of a user row, as an attacker saves it.
func userRowCopy(t *testing.T, db *sql.DB, username string) []any {
	t.Helper()
	rows, err := db.Query("SELECT * FROM users WHERE username = ?", username)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("no such user")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	return vals
}

func putUserRow(t *testing.T, db *sql.DB, vals []any) {
	t.Helper()
	if _, err := db.Exec("DELETE FROM users WHERE id = ?", vals[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO users VALUES(?"+strings.Repeat(", ?", len(vals)-1)+")", vals...); err != nil {
		t.Fatal(err)
	}
}

// TestUserRowReplayRefused: a deactivated, demoted manager's older, genuinely MAC'd row put
// back into the file (attack 5) is refused at sign-in and named by verify; putting back the
// older version summary too breaks the audit head; cutting the trail back to match is below
// the keychain anchor.
func TestUserRowReplayRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		keychain bool
		extra    []string // SQL after the row is put back (old = the older copy)
		check    func(t *testing.T, st *Store, r *Report, mike string)
	}{
		{"row put back", false, nil, func(t *testing.T, st *Store, r *Report, mike string) {
			if !hasProblem(r, "users", mike, "version", "older than the recorded version") {
				t.Fatalf("verify: %v", r.Problems)
			}
			var re *ReplayError
			if _, err := st.SignIn(ctx, "mike", staffPW); !errors.As(err, &re) || !errors.Is(err, ErrTampered) {
				t.Fatalf("sign-in with a replayed row: %v", err)
			}
			// The owner is unaffected.
			signIn(t, st, "olga", "owner-password-1")
		}},
		{"row and version summary put back", false, []string{
			"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'user_versions') WHERE key = 'user_versions'",
		}, func(t *testing.T, st *Store, r *Report, mike string) {
			if !hasProblem(r, "audit", "", "mac", "authenticated head") {
				t.Fatalf("verify: %v", r.Problems)
			}
			failsClosed(t, st)
		}},
		{"keychain: row, summary, head and trail put back", true, []string{
			"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'user_versions') WHERE key = 'user_versions'",
			"UPDATE meta SET value = (SELECT value FROM old.meta WHERE key = 'audit_head') WHERE key = 'audit_head'",
			"DELETE FROM audit WHERE seq > (SELECT MAX(seq) FROM old.audit)",
		}, func(t *testing.T, st *Store, r *Report, mike string) {
			if !hasProblem(r, "audit", "-", "anchor", "below the anchored seq") {
				t.Fatalf("verify: %v", r.Problems)
			}
			failsClosed(t, st)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st *Store
			opts := testOptions()
			if tc.keychain {
				var kc *fakeKeychain
				st, kc = newKeychainStore(t)
				opts = kcOptions(kc)
			} else {
				st, _ = newTestStore(t)
			}
			owner := signIn(t, st, "olga", "owner-password-1")
			shops, _ := owner.Shops(ctx)
			mike := must[string](t)(owner.AddUser(ctx, NewUser{Username: "mike", Password: staffPW, Roles: []Role{RoleManager}, ShopID: shops[0].ID}))
			dir := st.Dir()
			owner.SignOut(ctx)
			st.Close()
			old := copyDBFiles(t, dir)
			st, err := Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			owner = signIn(t, st, "olga", "owner-password-1")
			inactive := false
			if err := owner.UpdateUser(ctx, mike, []Role{RoleSales}, &inactive, nil); err != nil {
				t.Fatal(err)
			}
			owner.SignOut(ctx)
			st.Close()
			db := rawDB(t, dir)
			oldDB := rawDB(t, old)
			putUserRow(t, db, userRowCopy(t, oldDB, "mike"))
			oldDB.Close()
			if _, err := db.Exec("ATTACH DATABASE '" + filepath.Join(old, DBFile) + "' AS old"); err != nil {
				t.Fatal(err)
			}
			for _, q := range tc.extra {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
			st, err = Open(ctx, dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r, err := st.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if hasProblem(r, "users", mike, "mac", "") {
				t.Fatal("the replayed row's MAC is genuine; only its version gives it away")
			}
			tc.check(t, st, r, mike)
		})
	}
}

// TestUserVersionsRise: every logged change of a user raises its version, sign-in
// bookkeeping does not, and a deleted row is named by verify.
func TestUserVersionsRise(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	version := func() (row, recorded int64) {
		u, err := scanUser(st.db.QueryRow("SELECT "+userCols+" FROM users WHERE id = ?", sam))
		if err != nil {
			t.Fatal(err)
		}
		uv, err := loadUserVersions(ctx, st.db)
		if err != nil {
			t.Fatal(err)
		}
		return u.version, uv[sam]
	}
	if r, v := version(); r != 1 || v != 1 {
		t.Fatalf("new user: row %d, recorded %d", r, v)
	}
	if err := owner.UpdateUser(ctx, sam, []Role{RoleSales, RoleMechanic}, nil, nil); err != nil {
		t.Fatal(err)
	}
	signIn(t, st, "sam", staffPW)
	st.SignIn(ctx, "sam", "wrong password")
	if r, v := version(); r != 2 || v != 2 {
		t.Fatalf("after one edit and sign-ins: row %d, recorded %d", r, v)
	}
	if _, err := st.db.Exec("DELETE FROM users WHERE id = ?", sam); err != nil {
		t.Fatal(err)
	}
	r, err := st.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(r, "users", sam, "-", "row missing") {
		t.Fatalf("verify: %v", r.Problems)
	}
}

// TestUpgradeConvertsUsers: a database from before user versions (schema 4: no column, old
// MACs, no summary, old head) opens, is converted in place, verifies, and from then on refuses
// its old rows put back.
func TestUpgradeConvertsUsers(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops, _ := owner.Shops(ctx)
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	dir := st.Dir()
	// What a schema-4 database holds: every user's MAC in the old form, and the old head.
	legacy := map[string][]byte{}
	rows, err := st.db.Query("SELECT " + userCols + " FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			t.Fatal(err)
		}
		u.version = 0
		if legacy[u.id], err = st.userMAC(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	key := append([]byte(nil), must[[]byte](t)(st.orgDerived(ctx, purposeAudit))...) // Close wipes the original
	st.Close()
	db := rawDB(t, dir)
	for id, mac := range legacy {
		if _, err := db.Exec("UPDATE users SET mac = ? WHERE id = ?", mac, id); err != nil {
			t.Fatal(err)
		}
	}
	// and what migration 9 (row clocks) changed
	seq, last := downgradeClocks(t, db, key)
	head := append([]byte(strconv.FormatInt(seq, 10)+":"), headMACv1(key, seq, last)...)
	for _, q := range []string{"ALTER TABLE users DROP COLUMN version", "DELETE FROM meta WHERE key = 'user_versions'",
		// and what migration 6 (the device roster) added
		"DROP TABLE roster", "DROP TABLE sync_held", "DROP TABLE sync_applied", "DELETE FROM meta WHERE key IN ('roster_id', 'roster_mac')",
		// and migration 7 (staff signatures)
		"ALTER TABLE users DROP COLUMN signer", "ALTER TABLE users DROP COLUMN sig",
		// and migration 8 (bike notes)
		"ALTER TABLE bikes DROP COLUMN notes",
		// and the tables added after the clocks (the erasure ledger, ...)
		"DROP TABLE erasures", "DROP TABLE index_keys",
		// and migration 14 (data-subject requests)
		"DROP TABLE privacy_requests", "DROP TABLE shop_holidays",
		// and migration 16 (incidents, assessments, retention, reason keys)
		"DROP TABLE incidents", "DROP TABLE assessments", "DROP TABLE retention_policies", "DROP TABLE retention_approvals", "DROP TABLE reason_keys",
		// and migration 13 (consents, org settings)
		"DROP TABLE consents", "DROP TABLE org_settings",
		// and migration 17 (leaving dates, permission reviews)
		"ALTER TABLE users DROP COLUMN leaves_at", "DROP TABLE permission_reviews", "DROP TABLE review_decisions", "DROP TABLE staff_proposals",
		// and migration 19 (training results)
		"DROP TABLE training_results",
		// and migration 20 (the security check-up)
		"DROP TABLE checkup_runs", "DROP TABLE checkup_decisions",
		// and migration 21 (alerts)
		"DROP TABLE alerts",
		// and migration 22 (held bulk requests)
		"DROP TABLE bulk_holds",
		// and migration 23 (reminders, the shop's mail server, unsubscribe tokens)
		"ALTER TABLE bikes DROP COLUMN sold_at", "DROP TABLE reminder_rules", "DROP TABLE reminder_sends", "DROP TABLE shop_mail", "DROP TABLE unsubscribe_tokens",
		// and migration 24 (imports: a second phone, the source id)
		"DROP INDEX customers_source_bidx", "ALTER TABLE customers DROP COLUMN source_bidx", "ALTER TABLE customers DROP COLUMN source", "ALTER TABLE customers DROP COLUMN phone_alt",
		// (migration 25 adds a column to erasures, dropped with it above)
		// and migration 26 (campaigns)
		"DROP TABLE campaigns", "DROP TABLE audience_history",
		// and migration 27 (recalls)
		"DROP TABLE recalls", "DROP TABLE recall_serials", "DROP TABLE recall_notices",
		"CREATE TABLE sync_peers (device_id TEXT PRIMARY KEY, signing_key BLOB NOT NULL, kem_key BLOB NOT NULL, name TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT '', scopes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active') STRICT",
		"PRAGMA user_version = 4"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec("UPDATE meta SET value = ? WHERE key = 'audit_head'", head); err != nil {
		t.Fatal(err)
	}
	oldSam := userRowCopy(t, db, "sam")
	db.Close()

	st, err = Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("upgraded database: %v %v", err, r.Problems)
	}
	var v int64
	// Converted to version 1, then signed by this owner device as version 2.
	if err := st.db.QueryRow("SELECT version FROM users WHERE id = ?", sam).Scan(&v); err != nil || v != 2 {
		t.Fatalf("converted version %d %v", v, err)
	}
	var n int
	st.db.QueryRow("SELECT COUNT(*) FROM audit WHERE action = 'store.upgrade'").Scan(&n)
	if n != 1 {
		t.Fatalf("%d upgrade entries", n)
	}
	signIn(t, st, "sam", staffPW)
	st.Close()
	// The pre-upgrade row (version 0, old MAC) put back is older than the recorded version.
	db = rawDB(t, dir)
	putUserRow(t, db, append(oldSam, int64(0), "", nil, int64(0))) // version 0, unsigned, no leaving date
	db.Close()
	st, err = Open(ctx, dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SignIn(ctx, "sam", staffPW); !errors.Is(err, ErrTampered) {
		t.Fatalf("pre-upgrade row put back: %v", err)
	}
}

// TestProtect: a restored database's key re-protected under a new passphrase opens with it and
// not with the old one; moved to the keychain it keeps no passphrase wrap at all.
func TestProtect(t *testing.T) {
	ctx := context.Background()
	st, code := newTestStore(t)
	dir := st.Dir()
	if err := st.Protect(ctx, Protection{Passphrase: "a new machine's passphrase"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Open(ctx, dir, testOptions()); err == nil {
		t.Fatal("opened with the old passphrase")
	}
	st, err := Open(ctx, dir, Options{Passphrase: "a new machine's passphrase", KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	kc := &fakeKeychain{m: map[string][]byte{}}
	st.opts.Keychain = kc
	if err := st.Protect(ctx, Protection{Keychain: true}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(ctx, dir, kcOptions(kc))
	if err != nil {
		t.Fatalf("open from the keychain: %v", err)
	}
	if st.KeyStore() != KeyStoreKeychain {
		t.Fatal(st.KeyStore())
	}
	if _, err := getMeta(ctx, st.db, metaMKPass); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a passphrase wrap is left: %v", err)
	}
	if r, err := st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("%v %v", err, r.Problems)
	}
	st.Close()
	other := &fakeKeychain{m: map[string][]byte{}}
	if _, err := Open(ctx, dir, Options{Passphrase: "a new machine's passphrase", Keychain: other, KDF: fastKDF}); err == nil {
		t.Fatal("opened with a passphrase after the key moved to the keychain")
	}
	st, err = Open(ctx, dir, Options{RecoveryCode: code, Keychain: other, KDF: fastKDF})
	if err != nil {
		t.Fatalf("the recovery code still opens it: %v", err)
	}
	st.Close()
}

// TestUserVersionsFollowSync: versions travel with the row, so a record written on one device
// verifies on another; the receiver records them, so a deactivation that arrived by sync cannot
// be undone there by putting the older row back; and a concurrent edit whose winner carries a
// lower version is merged, not refused.
func TestUserVersionsFollowSync(t *testing.T) {
	ctx := context.Background()
	A, B, ownerA := newPair(t)
	shops, _ := ownerA.Shops(ctx)
	mike := must[string](t)(ownerA.AddUser(ctx, NewUser{Username: "mike", Password: staffPW, Roles: []Role{RoleManager}, ShopID: shops[0].ID}))
	sam := must[string](t)(ownerA.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	exchange(t, A, B)
	oldMike := userRowCopy(t, B.st.db, "mike")
	inactive := false
	if err := ownerA.UpdateUser(ctx, mike, []Role{RoleSales}, &inactive, nil); err != nil {
		t.Fatal(err)
	}
	exchange(t, A, B)
	if _, err := B.st.SignIn(ctx, "mike", staffPW); !errors.Is(err, ErrInactive) {
		t.Fatalf("deactivated by sync: %v", err)
	}
	curMike := userRowCopy(t, B.st.db, "mike")
	putUserRow(t, B.st.db, oldMike)
	if _, err := B.st.SignIn(ctx, "mike", staffPW); !errors.Is(err, ErrTampered) {
		t.Fatalf("the pre-sync row put back on the receiver: %v", err)
	}
	r, err := B.st.Verify(ctx)
	if err != nil || !hasProblem(r, "users", mike, "version", "older than the recorded version") {
		t.Fatalf("verify on the receiver: %v %v", err, r)
	}
	putUserRow(t, B.st.db, curMike)

	// sam edited on both owners' devices: twice on B, then once (later) on A.
	ownerB := signIn(t, B.st, "olga", "owner-password-1")
	for _, roles := range [][]Role{{RoleSales, RoleMarketing}, {RoleSales, RoleAuditor}} {
		if err := ownerB.UpdateUser(ctx, sam, roles, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	if err := ownerA.UpdateUser(ctx, sam, []Role{RoleSales, RoleMechanic}, nil, nil); err != nil {
		t.Fatal(err)
	}
	exchange(t, A, B) // the later edit wins on B, with version 2 below B's 3: merged, not refused
	exchange(t, B, A)
	for _, d := range []*testDevice{A, B} {
		staff, err := d.st.verifiedUsers(ctx, "id = ?", sam)
		if err != nil || len(staff) != 1 || staff[0].roles != "mechanic,sales" {
			t.Fatalf("sam after the merge: %v %+v", err, staff)
		}
		signIn(t, d.st, "sam", staffPW)
		if r, err := d.st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify after the merge: %v %v", err, r.Problems)
		}
	}
	if ha, _ := A.st.DataHash(ctx); ha != must[string](t)(B.st.DataHash(ctx)) {
		t.Fatal("devices did not converge")
	}
}
