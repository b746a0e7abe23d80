package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"spoke/store"
	"spoke/sync/hub"
)

// BenchmarkSync100kFieldChanges moves about 100,000 field changes (10,000 new customers: a
// data key, six sealed fields and the plain columns each) from one spoke through a real TLS
// hub to another, beside a raw HTTPS upload and download of the same number of bytes in the
// same run:
//
//	go test ./sync/engine/ -run '^$' -bench Sync100k -benchtime 1x
func BenchmarkSync100kFieldChanges(b *testing.B) {
	ctx := context.Background()
	var wireBytes int64
	b.Run("spoke-through-hub", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			_, a, owner, north := chain(b)
			other := join(b, a, owner, north) // enrolled and confirmed before the data exists
			for i := 0; i < 10000; i++ {
				if _, err := owner.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i),
					Phone: "+1 415 555 0100", Address: "1 Main St", Notes: "bench", ShopID: north}); err != nil {
					b.Fatal(err)
				}
			}
			recs, _ := a.st.LocalChanges(ctx, 0, 1<<30)
			b.StartTimer()
			pushed, err := a.eng.SyncNow(ctx)
			if err != nil {
				b.Fatal(err)
			}
			pulled, err := other.eng.SyncNow(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			wireBytes = pushed.BytesPushed
			b.ReportMetric(float64(len(recs)), "changes")
			b.ReportMetric(float64(pulled.Applied), "applied")
			b.ReportMetric(float64(wireBytes)/1e6, "MB")
			b.StartTimer()
		}
	})
	b.Run("raw-https-same-bytes", func(b *testing.B) {
		if wireBytes == 0 {
			b.Skip("run together with spoke-through-hub")
		}
		payload := bytes.Repeat([]byte{0x5a}, int(wireBytes))
		var stored []byte
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				stored, _ = io.ReadAll(r.Body)
				return
			}
			w.Write(stored)
		}))
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
		srv.StartTLS()
		defer srv.Close()
		client := srv.Client()
		for b.Loop() {
			resp, err := client.Post(srv.URL, "application/octet-stream", bytes.NewReader(payload))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			resp, err = client.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		b.ReportMetric(float64(wireBytes)/1e6, "MB")
	})
}

// BenchmarkCompactThenJoin measures what compaction buys a device that joins late: an owner
// device writes 2,000 customers (SPOKE_BENCH_CUSTOMERS overrides) and edits each twice, a
// shop device joins from the whole history at the hub; then the owner compacts and another
// shop device joins from the snapshot. Reported: both joins' first sync, the compaction, and
// the hub's stored change-set bytes before and after:
//
//	go test ./sync/engine/ -run '^$' -bench CompactThenJoin -benchtime 1x
func BenchmarkCompactThenJoin(b *testing.B) {
	ctx := context.Background()
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("SPOKE_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	for b.Loop() {
		b.StopTimer()
		h, a, owner, north := chain(b)
		ids := make([]string, n)
		for i := range ids {
			in := store.CustomerInput{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("c%d@example.com", i), Phone: "+1 415 555 0100", ShopID: north}
			ids[i] = must[string](b)(owner.CreateCustomer(ctx, in))
		}
		for round := range 2 {
			for i, id := range ids {
				in := store.CustomerInput{Name: fmt.Sprintf("Customer %d v%d", i, round+2), Email: fmt.Sprintf("c%d@example.com", i), Phone: "+1 415 555 0100", Address: "1 Main St", ShopID: north}
				if err := owner.UpdateCustomer(ctx, id, in); err != nil {
					b.Fatal(err)
				}
			}
			a.sync(b)
		}
		hubBytes := func() int64 {
			var sum int64
			for _, d := range must[[]hub.Device](b)(h.storage.Devices(ctx)) {
				sum += must[int64](b)(h.storage.StoredBytes(ctx, d.ID))
			}
			return sum
		}
		before := hubBytes()
		t0 := time.Now()
		late := newShopDevice(b, a, owner, north)
		late.sync(b)
		fromHistory := time.Since(t0)
		a.sync(b)
		late.sync(b)
		t0 = time.Now()
		rep, err := Compact(ctx, owner, a.hc)
		if err != nil {
			b.Fatal(err)
		}
		compaction := time.Since(t0)
		for _, s := range rep.Scopes {
			if s.Skipped != "" {
				b.Fatalf("scope %s skipped: %s", s.Scope, s.SkipCause)
			}
		}
		after := hubBytes()
		t0 = time.Now()
		later := newShopDevice(b, a, owner, north)
		r := later.sync(b)
		fromSnapshot := time.Since(t0)
		if r.Snapshots != 2 {
			b.Fatalf("the late device imported %d snapshots", r.Snapshots)
		}
		b.ReportMetric(fromHistory.Seconds(), "join-history-s")
		b.ReportMetric(fromSnapshot.Seconds(), "join-snapshot-s")
		b.ReportMetric(compaction.Seconds(), "compact-s")
		b.ReportMetric(float64(before)/1e6, "hub-MB-before")
		b.ReportMetric(float64(after)/1e6, "hub-MB-after")
		b.StartTimer()
	}
}
