package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// midStreamWriter commits writes to the live database while the snapshot is being streamed.
type midStreamWriter struct {
	t      *testing.T
	ss     *Session
	buf    []byte
	writes int
}

func (w *midStreamWriter) Write(p []byte) (int, error) {
	if w.writes == 0 {
		for i := 0; i < 20; i++ {
			if _, err := w.ss.CreateCustomer(context.Background(), CustomerInput{Name: fmt.Sprintf("During %d", i), Notes: "written mid-stream"}); err != nil {
				w.t.Error(err)
			}
		}
	}
	w.writes++
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// TestStreamSnapshotIsOneMoment: the streamed pages are a database file whose Snapshot is the
// one returned, however many commits land while it streams.
func TestStreamSnapshotIsOneMoment(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	ss := signIn(t, st, "olga", "owner-password-1")
	for i := 0; i < 30; i++ {
		if _, err := ss.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Before %d", i), Email: fmt.Sprintf("b%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	w := &midStreamWriter{t: t, ss: ss}
	p, n, err := ss.StreamSnapshot(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(w.buf)) || n%4096 != 0 {
		t.Fatalf("%d bytes reported, %d written", n, len(w.buf))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	if err := os.WriteFile(path, w.buf, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := FileSnapshot(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentHash != p.ContentHash || got.AuditHead != p.AuditHead || got.ChangeSeq != p.ChangeSeq || got.Counts["customers"] != 30 {
		t.Fatalf("streamed copy %+v, snapshot %+v", got.Counts, p.Counts)
	}
	live, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if live.Counts["customers"] != 50 {
		t.Fatalf("the writes during the stream did not land: %d customers", live.Counts["customers"])
	}
	var ic string
	if err := rawDB(t, dir).QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity check of the streamed copy: %v %s", err, ic)
	}
}
