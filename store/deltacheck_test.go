package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckDelta: a delta as BackupDelta wrote it passes; one edited anywhere a drill relies
// on (a row's byte, its clock, an audit entry dropped, the state of another moment, a row
// outside the range) fails, with ErrTampered.
func TestCheckDelta(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	owner := signIn(t, st, "olga", "owner-password-1")
	c1 := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Ada Lovelace", Email: "ada@example.com"}))
	from, _, err := owner.StreamSnapshot(ctx, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.UpdateCustomer(ctx, c1, CustomerInput{Name: "Ada King", Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Grace Hopper", Email: "grace@example.com"}))
	good := filepath.Join(t.TempDir(), "delta.db")
	to := must[*Snapshot](t)(owner.BackupDelta(ctx, good, from))
	if err := st.checkDelta(ctx, good, from, to); err != nil {
		t.Fatalf("a genuine delta: %v", err)
	}
	cases := []struct {
		name string
		sql  string
		to   func(p Snapshot) *Snapshot
	}{
		{"row byte edited", "UPDATE customers SET updated_at = updated_at + 1 WHERE id = '" + c1 + "'", nil},
		{"row clock edited", "UPDATE row_clocks SET hlc = hlc + 1", nil},
		{"audit entry dropped", "DELETE FROM audit WHERE seq = (SELECT MIN(seq) FROM audit)", nil},
		{"audit entry edited", "UPDATE audit SET detail = detail || ' ' WHERE seq = (SELECT MAX(seq) FROM audit)", nil},
		{"row dropped", "DELETE FROM customers WHERE id = '" + c1 + "'", nil},
		{"state of another moment", "", func(p Snapshot) *Snapshot { p.ContentHash = from.ContentHash; return &p }},
		{"counts of another moment", "", func(p Snapshot) *Snapshot {
			p.Counts = map[string]int64{"customers": 1}
			return &p
		}},
		{"rows outside the range", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "delta.db")
			b, _ := os.ReadFile(good)
			os.WriteFile(path, b, 0o600)
			if tc.sql != "" {
				db, err := sql.Open("sqlite", "file:"+path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				db.Close()
			}
			want, f := to, from
			if tc.to != nil {
				want = tc.to(*to)
			}
			if tc.name == "rows outside the range" {
				later := *from
				later.ChangeSeq = to.ChangeSeq - 1
				f = &later
			}
			if err := st.checkDelta(ctx, path, f, want); !errors.Is(err, ErrTampered) {
				t.Fatalf("err = %v, want ErrTampered", err)
			}
		})
	}
}
