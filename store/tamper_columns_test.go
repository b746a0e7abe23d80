package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"spoke/compliance/deadline"
)

// TestTamperAnyColumn edits, one at a time, every column of one row of every synced table, and
// every column of that row's clock, in the file, as someone holding the file but no key would.
// Verify must name each edit (table, row, column; "clock" for the clock), and a customer row so
// edited must not be read.
func TestTamperAnyColumn(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	shops := must[[]Shop](t)(owner.Shops(ctx))
	sam := must[string](t)(owner.AddUser(ctx, NewUser{Username: "sam", Password: staffPW, Roles: []Role{RoleMechanic}, ShopID: shops[0].ID}))
	c1 := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+1 415 555 0101", Address: "1 Loop", Birthday: "1985-12-10", Notes: "n1"}))
	if err := owner.UpdateCustomer(ctx, c1, CustomerInput{Name: "Ada King", Email: "ada@example.com", Phone: "+1 415 555 0101", Address: "1 Loop", Birthday: "1985-12-10", Notes: "n2"}); err != nil {
		t.Fatal(err)
	}
	bike := must[string](t)(owner.AddBike(ctx, c1, Bike{Make: "Surly", Model: "Straggler", Year: 2020, Serial: "SUR-123-456", Notes: "saddle 74"}))
	must[string](t)(owner.CreateWorkOrder(ctx, WorkOrderInput{CustomerID: c1, BikeID: bike, Complaint: "creaks", Notes: "check bb", MechanicID: sam,
		Lines: []Line{{Kind: "labour", SKU: "L1", Description: "tune", Qty: 1, UnitPrice: 5000}}}))
	must[string](t)(owner.RecordSale(ctx, SaleInput{CustomerID: c1, PaymentMethod: "card", Lines: []Line{{Kind: "part", SKU: "T1", Description: "tube", Qty: 2, UnitPrice: 800}}}))
	// An erased customer: the ledger's row.
	must[*ErasureResult](t)(owner.EraseCustomer(ctx, must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Gone Soon"}))))
	// The shop's derived keys, as a rotation after that erasure keeps them.
	must[int](t)(st.RewrapAfterErasure(ctx, shops[0].ID, 1))
	plantRequest(t, owner, c1)
	useRetentionTables(t, st, owner)
	usePeopleTables(t, st, owner)
	takeQuiz(t, owner, "counter", 1) // a training result, 4 of 5 (training.go)
	useCheckupTables(t, owner)
	useHoldTables(t, st, owner)
	useReminderTables(t, st, owner)
	useCampaignTables(t, owner)
	useRecallTables(t, owner)
	// Consent events and the org settings (the transfer declaration).
	must[string](t)(owner.RecordConsent(ctx, c1, ConsentEvent{Purpose: PurposeEmailMarketing, Granted: true, Source: SourceCounter, Notice: "2026-11"}))
	if err := owner.SetTransferSetting(ctx, TransferSetting{HubCountry: "DE", OwnerCountries: []string{"DE"}}); err != nil {
		t.Fatal(err)
	}
	dir := st.Dir()
	if r := must[*Report](t)(st.Verify(ctx)); !r.OK() {
		t.Fatalf("fixture does not verify: %v", r.Problems)
	}
	st.Close()
	pristine := t.TempDir()
	copyDir(t, dir, pristine)

	type edit struct {
		table, row, column, sql string
		args                    []any
	}
	var edits []edit
	db := rawDB(t, pristine)
	for code, tb := range schema {
		if !tb.synced {
			continue
		}
		var id string
		if err := db.QueryRow("SELECT id FROM " + tb.name + " ORDER BY id LIMIT 1").Scan(&id); err != nil {
			t.Fatalf("no %s row in the fixture: %v", tb.name, err)
		}
		cols := must[[]string](t)(queryStrings(ctx, db, "SELECT name FROM pragma_table_info(?)", tb.name))
		for _, c := range cols {
			if c == "id" {
				continue
			}
			var v any
			if err := db.QueryRow("SELECT "+c+" FROM "+tb.name+" WHERE id = ?", id).Scan(&v); err != nil {
				t.Fatal(err)
			}
			edits = append(edits, edit{tb.name, id, c, "UPDATE " + tb.name + " SET " + c + " = " + changed(c, v) + " WHERE id = '" + id + "'", nil})
		}
		key := "unhex(replace('" + id + "', '-', ''))"
		for _, c := range []string{"hlc", "dev", "base_seq", "seq", "flags"} {
			edits = append(edits, edit{tb.name, id, "clock", fmt.Sprintf("UPDATE row_clocks SET %s = %s + 1000000 WHERE id = %s", c, c, key), nil})
		}
		var mac []byte
		if err := db.QueryRow("SELECT mac FROM row_clocks WHERE id = " + key).Scan(&mac); err != nil {
			t.Fatal(err)
		}
		tags, macPart := slices.Clone(mac), slices.Clone(mac)
		tags[len(tags)-1] ^= 1
		macPart[3] ^= 1 // inside the 16-byte MAC
		// Tags only name columns: edited alone they are caught by the sum, not by the row.
		edits = append(edits, edit{"row_clocks", "-", "-", "UPDATE row_clocks SET mac = ? WHERE id = " + key, []any{tags}},
			edit{tb.name, id, "-", "UPDATE row_clocks SET mac = ? WHERE id = " + key, []any{macPart}})
		_ = code
	}
	// A cell clock (the customer's later edit) and a device's id.
	edits = append(edits, edit{"customers", c1, "clock", "UPDATE cell_clocks SET hlc = hlc + 1 WHERE id = unhex(replace('" + c1 + "', '-', '')) AND col = (SELECT MIN(col) FROM cell_clocks WHERE id = unhex(replace('" + c1 + "', '-', '')))", nil})
	edits = append(edits, edit{"customers", c1, "clock", "UPDATE devices SET id = id || 'x' WHERE n = 1", nil})
	db.Close()

	// One store on a working copy; each edit is made by a second, raw connection (as someone
	// holding the file would), verified, then undone from the pristine copy.
	work := t.TempDir()
	copyDir(t, pristine, work)
	st2, err := Open(ctx, work, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	raw := rawDB(t, work)
	raw.SetMaxOpenConns(1)
	if _, err := raw.Exec("ATTACH DATABASE ? AS pristine", filepath.Join(pristine, DBFile)); err != nil {
		t.Fatal(err)
	}
	var undo []string
	for _, tb := range append([]string{"row_clocks", "cell_clocks", "devices"}, func() (n []string) {
		for _, tb := range schema {
			if tb.synced {
				n = append(n, tb.name)
			}
		}
		return n
	}()...) {
		undo = append(undo, "DELETE FROM main."+tb, "INSERT INTO main."+tb+" SELECT * FROM pristine."+tb)
	}
	for i, e := range edits {
		t.Run(fmt.Sprintf("%02d_%s_%s", i, e.table, e.column), func(t *testing.T) {
			if _, err := raw.Exec(e.sql, e.args...); err != nil {
				t.Fatalf("%s: %v", e.sql, err)
			}
			defer func() {
				for _, q := range undo {
					if _, err := raw.Exec(q); err != nil {
						t.Fatalf("undo: %s: %v", q, err)
					}
				}
			}()
			r := must[*Report](t)(st2.Verify(ctx))
			if !slices.ContainsFunc(r.Problems, func(p Problem) bool {
				return p.Table == e.table && p.Row == e.row && slices.Contains(strings.Split(p.Column, ","), e.column)
			}) {
				t.Fatalf("%s: verify did not name %s %s %s; got %v", e.sql, e.table, e.row, e.column, r.Problems)
			}
			// (A device's id edited under a running store is not seen by reads, which keep the
			// numbers they read first: the genuine ones. Verify reads them again.)
			if e.table == "customers" && e.row == c1 && !strings.Contains(e.sql, "devices") {
				if _, err := st2.loadCust(ctx, st2.db, c1); err == nil {
					t.Fatal("the edited customer row is still read")
				}
			}
		})
	}
	// Undone, the copy verifies again: every edit above was found for what it was.
	if r := must[*Report](t)(st2.Verify(ctx)); !r.OK() {
		t.Fatalf("after undoing every edit: %v", r.Problems)
	}
}

// changed is an SQL expression for a value different from v in column c, of the same type.
func changed(c string, v any) string {
	switch x := v.(type) {
	case nil:
		if strings.HasSuffix(c, "_id") {
			return "'01234567-89ab-7def-8123-456789abcdef'"
		}
		return "X'01'"
	case int64:
		switch c {
		case "active", "granted", "parental", "subject_under_age", "passed", "enabled", "implicit_tls":
			return fmt.Sprint(1 - x) // a flag stays a flag
		}
		if c == "deleted_at" {
			return fmt.Sprint(x + 1<<50) // a request's tombstone must come long after it closed (its CHECK)
		}
		return fmt.Sprint(x + 1)
	case string:
		if c == "kind" {
			return map[string]string{"labour": "'part'", "part": "'labour'", "device_lost": "'device_stolen'", "device_stolen": "'device_lost'", "other": "'device_lost'",
				"roles": "'deactivate'", "deactivate": "'leave'", "leave": "'roles'",
				"mass_read": "'off_hours'", "off_hours": "'mass_read'",
				"export": "'delete'", "delete": "'export'",
				"first_service": "'yearly_service'", "yearly_service": "'ebike_check'", "ebike_check": "'after_job'", "after_job": "'first_service'", "ready": "'after_job'"}[x]
		}
		if c == "token_hash" && len(x) == 64 { // a hash stays a hash (its CHECK)
			return "'" + strings.Repeat("0", 64) + "'"
		}
		// A code its column's CHECK holds to a list becomes the list's next one.
		for _, codes := range codeLists[c] {
			if i := slices.Index(codes, x); i >= 0 {
				return "'" + codes[(i+1)%len(codes)] + "'"
			}
		}
		if d, err := deadline.ParseDate(x); err == nil {
			return "'" + d.AddDays(1).String() + "'"
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "x'"
	case []byte:
		b := slices.Clone(x)
		b[len(b)/2] ^= 1
		return fmt.Sprintf("X'%x'", b)
	}
	return "NULL"
}

// codeLists are the lists a column's CHECK holds its codes to.
var codeLists = map[string][][]string{
	"type":           {RequestTypes},
	"channel":        {RequestChannels, enumStrings(Channels)}, // the first list that holds the value
	"purpose":        {enumStrings(Purposes)},
	"lawful_basis":   {enumStrings(LawfulBases)},
	"source":         {enumStrings(ConsentSources)},
	"status":         {RequestStatuses},
	"jurisdiction":   {{"gdpr", "ccpa", "pipl", "default"}},
	"verify_method":  {append([]string{""}, VerifyMethods...)},
	"outcome":        {append([]string{""}, RequestOutcomes...), {"sent", "called", "no_consent", "no_address", "failed", "dismissed"}},
	"unit":           {{"weeks", "months"}},
	"lang":           {{"en", "zh"}},
	"refusal_reason": {append([]string{""}, RefusalReasons...)},
}

// copyDir copies a database folder's files.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+from+"/"+DBFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("VACUUM INTO ?", to+"/"+DBFile); err != nil {
		t.Fatal(err)
	}
}

// plantRequest gives a fixture a data-subject request, answered (so every column holds a
// value), and a holiday.
func plantRequest(t *testing.T, owner *Session, subject string) {
	t.Helper()
	ctx := context.Background()
	req := must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: subject, Type: "access", Channel: "email"}))
	if err := owner.ConfirmReceipt(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := owner.VerifyIdentity(ctx, req, "email_match"); err != nil {
		t.Fatal(err)
	}
	if err := owner.CloseRequest(ctx, req, "partially_fulfilled", "legal_obligation_to_retain"); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.AddHoliday(ctx, "", deadline.Date{Year: 2030, Month: 12, Day: 25}, "Christmas Day"))
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
