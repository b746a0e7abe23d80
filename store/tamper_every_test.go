package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/protocol/auditrec"
)

// uncaught lists the cells (table.column, "table.*" for every column, "table.-" for a deleted
// row) that an edit in the file is not caught in, each with its reason. Everything else in
// every table of the file must be caught and named. Keep it short.
var uncaught = map[string]string{
	// Local bookkeeping of the sync engine with no MAC yet. The outbox's bytes are a sealed,
	// signed change-set (an edit is refused by every receiver and the hub), its set_seq and
	// scope are inside that signature; a deleted set leaves a gap the receivers hold on.
	// last_change_seq is written and never read again.
	"sync_outbox.*": "sealed, signed set; checked by receivers, not here",
	"sync_outbox.-": "a dropped set is a gap the receivers see, not this device",
	// A held set has no MAC yet: its bytes are authenticated whole (signature, seal, sender
	// and sequence inside them) when it is retried, so an edit is refused then, not named
	// here; reason and held_at are display only; a deleted held set is a gap the sender's
	// next set waits on.
	"sync_held.*": "re-authenticated whole when retried; not named by verify",
	"sync_held.-": "a dropped held set is a gap the sender's next set waits on",
	// A kept conflict's id is only its handle in the list: its MAC covers everything it says
	// (and the integrity state counts and sums them), so a renumbered one restores the same.
	"conflicts.id": "a handle, not content",
	// A deleted applied position makes the sender's old sets look new: they are duplicates of
	// rows the merge already holds (same clocks), so they change nothing.
	"sync_applied.-": "the merge refuses what it holds already",
	// When a scope key version was made: shown nowhere, decides nothing.
	"scope_keys.created_at": "decides nothing",
	// A break-glass reason's key, deleted: that is what expiring the reason is (reasons.go);
	// the entry and every link stay as they were.
	"reason_keys.-": "deleting a reason's key is expiring it",
	// The differencing guard's memory of a user's audiences (audience.go): device bookkeeping
	// with no personal value and no MAC. Editing or deleting it weakens the guard on this
	// device alone, which someone holding the file could as well do by using another device.
	"audience_history.*": "the guard's memory on this device; an edit weakens the guard, reveals nothing",
	"audience_history.-": "the guard's memory on this device; an edit weakens the guard, reveals nothing",
	// The newest remote audit entry of a device, deleted: the copy is shorter, which the hub's
	// signed checkpoints show; the first entry (what this test deletes) is caught here.
}

// TestTamperEveryTable plays someone holding the file but no key: it builds a database that
// uses every table (sync bookkeeping included), then for every table sqlite_master lists (not
// a hand list: a new table fails here until it is covered or listed above) edits each column
// of one row, deletes that row, and adds a row, each in a fresh copy, and requires the reopened
// store to catch and name it: the unlock fails with the tamper named, or verify names the
// table (and the column, where its check can tell columns apart).
func TestTamperEveryTable(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops := must[[]Shop](t)(owner.Shops(ctx))
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleMechanic}, ShopID: shops[0].ID}))
	c1 := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "n1"}))
	if err := owner.UpdateCustomer(ctx, c1, CustomerInput{Name: "Ada King", Email: "ada@example.com", Phone: "+1 415 555 0101", Notes: "n2"}); err != nil {
		t.Fatal(err)
	}
	bike := must[string](t)(owner.AddBike(ctx, c1, Bike{Make: "Surly", Model: "Straggler", Serial: "SUR-123-456"}))
	must[string](t)(owner.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: c1, BikeID: bike, Complaint: "creaks", MechanicID: sam,
		Lines: []Line{{Kind: "labour", SKU: "L1", Description: "tune", Qty: 1, UnitPrice: 5000}}}))
	must[string](t)(owner.RecordSale(ctx, SaleInput{CustomerID: c1, PaymentMethod: "card", Lines: []Line{{Kind: "part", SKU: "T1", Description: "tube", Qty: 2, UnitPrice: 800}}}))
	// An erased customer: the ledger's row.
	must[*ErasureResult](t)(owner.EraseCustomer(ctx, must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Gone Soon"}))))
	// The shop's derived keys, as a rotation after that erasure keeps them.
	must[int](t)(st.RewrapAfterErasure(ctx, shops[0].ID, 1))
	plantRequest(t, owner, c1)
	// Consent events and the org settings (the transfer declaration).
	must[string](t)(owner.RecordConsent(ctx, c1, ConsentEvent{Purpose: PurposeEmailMarketing, Granted: true, Source: SourceCounter, Notice: "2026-11"}))
	if err := owner.SetTransferSetting(ctx, TransferSetting{HubCountry: "DE", OwnerCountries: []string{"DE"}}); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetBackupConfig(ctx, BackupConfig{Folder: t.TempDir(), Full: 24 * time.Hour, Differential: time.Hour, Incremental: time.Minute, KeepFulls: 2}); err != nil {
		t.Fatal(err)
	}
	useRetentionTables(t, st, owner)
	usePeopleTables(t, st, owner)
	takeQuiz(t, owner, "counter", 1) // a training result, 4 of 5 (training.go)
	useCheckupTables(t, owner)
	useHoldTables(t, st, owner)
	useReminderTables(t, st, owner)
	useCampaignTables(t, owner)
	useRecallTables(t, owner)
	// Sync bookkeeping: state, a secret, an applied position, a held set, a set in the outbox,
	// another device's audit copy, and a kept conflict.
	if err := st.SaveSyncState(ctx, SyncState{NextSetSeq: 5, PushedSeq: 3}); err != nil {
		t.Fatal(err)
	}
	if err := st.setSecret(ctx, "tls", []byte("private key")); err != nil {
		t.Fatal(err)
	}
	must[any](t)(func() (any, error) { return st.deviceIdentity(ctx) }())
	if err := st.markApplied(ctx, "laptop", OrgScope, 7); err != nil {
		t.Fatal(err)
	}
	if err := st.hold(ctx, HeldSet{Device: "laptop", Scope: OrgScope, ScopeSeq: 9, Bytes: []byte("a set"), Reason: "gap"}); err != nil {
		t.Fatal(err)
	}
	if err := st.enqueue(ctx, OrgScope, 3, -1, func(setSeq, scopeSeq uint64) ([]byte, error) { return []byte("sealed set"), nil }); err != nil {
		t.Fatal(err)
	}
	akey := must[[]byte](t)(st.orgDerived(ctx, purposeAudit))
	var prev []byte
	var remote []auditrec.Entry
	for seq := int64(1); seq <= 2; seq++ {
		e := auditrec.Entry{Seq: seq, At: 1000 + seq, User: "u", Device: "laptop", Action: "customer.create", Target: "t", Outcome: "ok", Detail: "d"}
		e.MAC = auditMAC(akey, e.Seq, e.At, e.User, e.Device, e.Action, e.Target, e.Fields, e.Outcome, e.Detail, e.Reason, prev, auditCtx{})
		prev = e.MAC
		remote = append(remote, e)
	}
	must[int](t)(st.applyRemoteAudit(ctx, "laptop", remote))
	if err := st.write(ctx, storeActor, "test.conflict", func(w *wtx) error {
		return w.conflict(ChangeRecord{HLC: 5, Device: "laptop", Scope: shops[0].ID, Table: "bikes", RowID: bike, Column: "make", Value: "Trek"}, 6, st.DeviceID())
	}); err != nil {
		t.Fatal(err)
	}
	dir := st.Dir()
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("fixture does not verify: %v", r.Problems)
	}
	st.Close()
	pristine := t.TempDir()
	copyDir(t, dir, pristine)

	type cell struct {
		table, column, sql string
		args               []any
	}
	var cases []cell
	db := rawDB(t, pristine)
	tbls := must[[]string](t)(queryStrings(ctx, db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
	for _, tb := range tbls {
		cols := must[[]string](t)(queryStrings(ctx, db, "SELECT name FROM pragma_table_info(?)", tb))
		pk := must[[]string](t)(queryStrings(ctx, db, "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", tb))
		if len(pk) == 0 {
			pk = []string{"rowid"}
		}
		order := strings.Join(pk, ", ")
		if tb == "meta" {
			// Every meta row: each key is a different value with a different check.
			keys := must[[]string](t)(queryStrings(ctx, db, "SELECT key FROM meta ORDER BY key"))
			for _, k := range keys {
				w := "WHERE key = '" + k + "'"
				var v []byte
				if err := db.QueryRow("SELECT value FROM meta " + w).Scan(&v); err != nil {
					t.Fatal(err)
				}
				cases = append(cases, cell{"meta", k, "UPDATE meta SET value = " + changed("value", v) + " " + w, nil})
				// The ids, wraps and the key check must be there to unlock; the rest, deleted.
				if !slices.Contains([]string{metaDBID, metaKeyStore, metaMKPass, metaMKCheck, metaMKRecovery, metaDeviceID}, k) {
					cases = append(cases, cell{"meta", k + "/-", "DELETE FROM meta " + w, nil})
				}
			}
			cases = append(cases, cell{"meta", "planted/-", "INSERT INTO meta(key, value) VALUES('secret:planted', X'00')", nil})
			continue
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("the fixture has no %s row: it must use every table", tb)
			continue
		}
		where := func() string {
			return "WHERE (" + order + ") = (SELECT " + order + " FROM " + tb + " ORDER BY " + order + " LIMIT 1)"
		}()
		for _, c := range cols {
			var v any
			if err := db.QueryRow("SELECT " + c + " FROM " + tb + " " + where).Scan(&v); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, cell{tb, c, "UPDATE " + tb + " SET " + c + " = " + changed(c, v) + " " + where, nil})
		}
		cases = append(cases, cell{tb, "-", "DELETE FROM " + tb + " " + where, nil})
	}
	// Rows added: a copy of a kept conflict under a new id (its MAC does not cover the id), a
	// device number, an applied position for another sender, a scope key version.
	cases = append(cases,
		cell{"conflicts", "+", "INSERT INTO conflicts(tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at, resolved_at, mac) SELECT tbl, row_id, col, scope, value, sealed, hlc, device_id, winner_hlc, winner_dev, recorded_at, resolved_at, mac FROM conflicts LIMIT 1", nil},
		cell{"devices", "+", "INSERT INTO devices(n, id) VALUES (99, 'planted')", nil},
		cell{"sync_applied", "+", "INSERT INTO sync_applied(device_id, scope, scope_seq, mac) SELECT 'desk', scope, scope_seq, mac FROM sync_applied LIMIT 1", nil},
		cell{"scope_keys", "+", "INSERT INTO scope_keys(scope, version, wrapped, created_at) SELECT scope, version + 1, wrapped, created_at FROM scope_keys ORDER BY scope LIMIT 1", nil},
		cell{"remote_audit", "+", "INSERT INTO remote_audit SELECT device_id, seq + 10, at, user_id, action, target, fields, outcome, detail, reason, mac, role, shop_id, grant_used FROM remote_audit ORDER BY seq DESC LIMIT 1", nil},
	)
	db.Close()

	for i, c := range cases {
		key := c.table + "." + c.column
		if why, ok := uncaught[key]; ok || uncaught[c.table+".*"] != "" && c.column != "-" && c.column != "+" {
			if why == "" {
				why = uncaught[c.table+".*"]
			}
			t.Logf("%s: not caught: %s", key, why)
			continue
		}
		t.Run(fmt.Sprintf("%03d_%s_%s", i, c.table, strings.ReplaceAll(c.column, "/", "_")), func(t *testing.T) {
			work := t.TempDir()
			copyDir(t, pristine, work)
			raw := rawDB(t, work)
			if _, err := raw.Exec(c.sql, c.args...); err != nil {
				// A key one up collides with the next row's: move it well past every row.
				if _, err2 := raw.Exec(strings.Replace(c.sql, "SET "+c.column+" = ", "SET "+c.column+" = 1000000 + ", 1), c.args...); err2 != nil {
					raw.Close()
					t.Fatalf("%s: the file refuses the edit: %v", c.sql, err)
				}
			}
			raw.Close()
			st, err := Open(ctx, work, testOptions())
			if err != nil {
				// Refused at unlock: it must say so for what it is.
				var te *TamperError
				if errors.As(err, &te) {
					if te.Table != c.table {
						t.Fatalf("%s: unlock named %s %s %s", c.sql, te.Table, te.Row, te.Column)
					}
					return
				}
				if strings.Contains(err.Error(), c.table+":") || strings.Contains(err.Error(), c.table+" ") {
					return // named in the refusal (the roster's own check)
				}
				if c.table == "meta" && (strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "unknown key store") || strings.Contains(err.Error(), "wrap")) {
					return // a wrap, the key check or what they are bound to: the key does not open
				}
				t.Fatalf("%s: open: %v", c.sql, err)
			}
			defer st.Close()
			r, err := st.Verify(ctx)
			if err != nil {
				var te *TamperError
				if errors.As(err, &te) && te.Table == c.table {
					return
				}
				t.Fatalf("%s: verify: %v", c.sql, err)
			}
			if !named(r, c.table, c.column) {
				t.Fatalf("%s: verify did not name %s %s; got %v", c.sql, c.table, c.column, r.Problems)
			}
		})
	}
}

// named reports whether the report names the edit: its table (row_clocks and cell_clocks are
// named as the row they clock, or themselves), and, where the check tells columns apart, its
// column; a meta edit by its key.
func named(r *Report, table, column string) bool {
	return slices.ContainsFunc(r.Problems, func(p Problem) bool {
		switch table {
		case "meta":
			k, _, _ := strings.Cut(column, "/")
			if k == metaAuditHead {
				return p.Table == "audit" // the head is the trail's: named as where the trail ends
			}
			return p.Table == "meta" && (p.Row == k || p.Row == metaBook || k == "planted" && strings.HasPrefix(p.Row, "secret:planted"))
		case "row_clocks", "cell_clocks", "devices":
			return p.Table == table || tables[p.Table] != nil && tables[p.Table].synced && (p.Column == "clock" || p.Column == "-" || strings.Contains(p.Column, "clock"))
		}
		if p.Table != table {
			return false
		}
		if column == "-" || column == "+" || column == "id" {
			return true // a row deleted, added, or moved (its old id missing, its new one unclocked)
		}
		// Checks that authenticate a row whole name it, not a column: the chained trails, the
		// roster, the bookkeeping MACs, the wrapped scope keys.
		switch table {
		case "audit", "remote_audit", "roster", "conflicts", "sync_applied", "scope_keys", "sqlite_sequence", "sync_held", "sync_outbox", "reason_keys":
			return true
		}
		return slices.Contains(strings.Split(p.Column, ","), column)
	})
}
