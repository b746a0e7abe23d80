package hub_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"spoke/protocol"
	"spoke/sync/hub/hubtest"
)

// plants are distinctive personal values (Latin, Chinese, emoji) sealed into
// change-sets; none may turn up in anything the hub keeps or emits.
var plants = []string{
	"Zebulon Quixote-Ærøskøbing", "欧阳翠花", "Pélissier 🚲 Rider", "zebulon.quixote.leak@example.org",
	"+14155550177", "77 Secretstrasse Leakville", "allergic to leakonium", "LEAK9988776655", "秘密备注泄漏",
}

// TestNoPlaintextLeaks pushes change-sets sealed from the plants (and one
// refused push carrying them in clear), then searches every byte of the data
// directory, the logs, /metrics and — on PostgreSQL — every table.
func TestNoPlaintextLeaks(t *testing.T) {
	for _, b := range allBackends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			open, pgURL := b.newDB(t)
			h := hubtest.StartHub(t, open)
			owner := h.Enroll(t, h.OwnerCode(t), "owner-laptop")
			shop := h.EnrollShop(t, owner, "shop1-counter", "shop-1")
			for i, p := range plants {
				if _, err := shop.Client.Push(ctx, shop.MustSeal(t, "shop-1", uint64(i+1), p, strings.ToUpper(p))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := owner.Client.Push(ctx, owner.MustSeal(t, protocol.OrgScope, 1, plants...)); err != nil {
				t.Fatal(err)
			}
			// Refused pushes: the hub must not log or keep what it refuses.
			shop.Client.Push(ctx, []byte(strings.Join(plants, "|")))
			shop.Client.Push(ctx, shop.MustSeal(t, "shop-2", 99, plants...))
			if _, err := shop.Client.Pull(ctx, 0, 100); err != nil {
				t.Fatal(err)
			}
			metrics, err := owner.Client.Metrics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			h.Server.Stop() // flush: nothing in flight while scanning

			scan := func(where string, data []byte) {
				t.Helper()
				for _, p := range plants {
					for _, form := range []string{p, strings.ToLower(p), strings.ToUpper(p), hex.EncodeToString([]byte(p))} {
						if bytes.Contains(data, []byte(form)) {
							t.Errorf("plaintext %q found in %s", form, where)
						}
					}
				}
			}
			files := 0
			filepath.Walk(h.Dir.Path, func(p string, fi os.FileInfo, err error) error {
				if err != nil || fi.IsDir() {
					return err
				}
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				files++
				scan(filepath.Base(p), data)
				return nil
			})
			logs := h.Logs.Bytes()
			scan("the logs", logs)
			scan("/metrics", []byte(metrics))
			if b.name == "sqlite" && files < 5 {
				t.Fatalf("scanned only %d files", files)
			}
			if !bytes.Contains(logs, []byte(`"msg":"change-set stored"`)) {
				t.Fatal("the logs were not captured")
			}
			if pgURL != "" {
				rows := 0
				conn, err := pgx.Connect(ctx, pgURL)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				for _, table := range []string{"changesets", "devices", "tokens", "envelopes", "checkpoints", "schema_version"} {
					r, err := conn.Query(ctx, fmt.Sprintf("SELECT t::text FROM %s t", table))
					if err != nil {
						t.Fatal(err)
					}
					for r.Next() {
						var row string
						if err := r.Scan(&row); err != nil {
							t.Fatal(err)
						}
						rows++
						scan("PostgreSQL table "+table, []byte(row))
					}
					r.Close()
				}
				if rows < len(plants)+3 {
					t.Fatalf("scanned only %d rows", rows)
				}
			}
		})
	}
}
