package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"spoke/store"
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
