package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"spoke/protocol"
	"spoke/sync/hub"
	"spoke/sync/hub/sqlite"
)

// startHub runs a real hub (TLS 1.3, mutual TLS, SQLite) on loopback and returns the owner's
// first enrollment code, as `spoke-hub init` prints it.
func startHub(t *testing.T) (code string, stop func()) {
	code, stop, _, _ = startHubLogged(t)
	return code, stop
}

// startHubLogged also returns the hub's data directory and its captured logs.
func startHubLogged(t *testing.T) (code string, stop func(), dir string, logs *bytes.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d, err := hub.InitDir(t.TempDir(), ln.Addr().String(), hub.StorageSQLite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(d.Path, hub.SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	logs = &bytes.Buffer{}
	srv, err := hub.NewServer(hub.ConfigFromDir(d, st, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ln); err != nil {
		t.Fatal(err)
	}
	c, _, err := hub.IssueToken(context.Background(), st, d.CA, d.Config.Addr, protocol.RoleOwner, nil, nil, "init", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			srv.Stop()
			st.Close()
		}
	}
	t.Cleanup(stop)
	return c.Encode(), stop, d.Path, logs
}

func TestCLITwoMachinesConverge(t *testing.T) {
	code, stop := startHub(t)
	shop := setupShop(t) // the shop's counter PC: owner olga, salespeople sam and sue
	owner := shop.as("olga", "owner-password-1")
	sam := shop.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email\nAda Lovelace,ada@example.com\n")))
	if out := owner.ok("connect", "--as", "olga", "--code", code); !strings.Contains(out, "Connected") || !strings.Contains(out, "pushed") {
		t.Fatalf("connect: %s", out)
	}
	addCode := strings.TrimSpace(owner.ok("devices", "add", "--as", "olga"))
	if !strings.HasPrefix(addCode, "spoke1_") || strings.Contains(addCode, "\n") {
		t.Fatalf("the code is not one copy-pasteable line: %q", addCode)
	}
	laptop := &cliT{t: t, dir: filepath.Join(t.TempDir(), "laptop"), vars: map[string]string{"SPOKE_PASSPHRASE": "laptop passphrase", "SPOKE_PASSWORD": "owner-password-1"}}
	if out := laptop.ok("connect", "--code", addCode); !strings.Contains(out, "Recovery code") || !strings.Contains(out, "received") {
		t.Fatalf("laptop connect: %s", out)
	}
	got := customersJSON(t, laptop.ok("customers", "--as", "olga", "--json"))
	if len(got) != 1 || got[0]["name"] != "Ada Lovelace" {
		t.Fatalf("laptop customers: %v", got)
	}
	// Work on both machines, then sync both ways.
	sam.ok("import", "--as", "sam", writeFile(t, "in2.csv", []byte("name\nGrace Hopper\n")))
	laptop.ok("import", "--as", "olga", "--assign-to", "sue", writeFile(t, "in3.csv", []byte("name\nKatherine Johnson\n")))
	shop.ok("sync")
	laptop.ok("sync")
	shop.ok("sync")
	a := customersJSON(t, owner.ok("customers", "--as", "olga", "--json"))
	b := customersJSON(t, laptop.ok("customers", "--as", "olga", "--json"))
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("after sync: shop %d, laptop %d customers", len(a), len(b))
	}
	if out := owner.ok("devices", "--as", "olga"); strings.Count(out, "active  active") != 2 {
		t.Fatalf("devices:\n%s", out)
	}
	laptop.ok("sync")
	if out := laptop.ok("devices", "verify", "--as", "olga"); strings.Count(out, "audit chain ok")+strings.Count(out, "audit chain behind") != 2 || strings.Count(out, "audit chain ok") == 0 {
		t.Fatalf("devices verify:\n%s", out)
	}
	if out := shop.ok("verify", "--hub"); !strings.Contains(out, ": ok") {
		t.Fatalf("verify --hub:\n%s", out)
	}
	if out := owner.ok("conflicts", "--as", "olga"); !strings.Contains(out, "LOSING VALUE") {
		t.Fatalf("conflicts: %s", out)
	}
	if code, _, _ := sam.run("conflicts", "--as", "sam"); code != 1 {
		t.Fatal("a salesperson listed conflicts")
	}
	// Compaction: only the owner; a machine connected afterwards starts from the snapshots.
	if exit, _, errs := sam.run("compact", "--as", "sam"); exit != 1 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("salesperson compact: exit %d, %s", exit, errs)
	}
	if out := owner.ok("compact", "--as", "olga"); !strings.Contains(out, "org: snapshot of") || !strings.Contains(out, "the hub deleted") {
		t.Fatalf("compact:\n%s", out)
	}
	third := &cliT{t: t, dir: filepath.Join(t.TempDir(), "third"), vars: map[string]string{"SPOKE_PASSPHRASE": "third passphrase", "SPOKE_PASSWORD": "owner-password-1"}}
	if out := third.ok("connect", "--code", strings.TrimSpace(owner.ok("devices", "add", "--as", "olga"))); !strings.Contains(out, "started from 2 snapshot(s)") {
		t.Fatalf("connect after compaction: %s", out)
	}
	if c := customersJSON(t, third.ok("customers", "--as", "olga", "--json")); len(c) != 3 {
		t.Fatalf("after compaction the new machine has %d customers", len(c))
	}
	// The hub down: a clear message and a non-zero exit, nothing lost.
	stop()
	sam.ok("import", "--as", "sam", writeFile(t, "in4.csv", []byte("name\nMary Jackson\n")))
	code2, _, errs := shop.run("sync")
	if code2 != 1 || !strings.Contains(errs, "unreachable") {
		t.Fatalf("sync with the hub down: exit %d, %s", code2, errs)
	}
	shop.ok("verify")
}

// TestCLIConnectNeedsTheOwner: a database with staff connects only as its owner. Without --as
// the command says so; a salesperson is refused by the operation itself and the denial is in
// the trail; the owner then connects.
func TestCLIConnectNeedsTheOwner(t *testing.T) {
	code, stop := startHub(t)
	defer stop()
	shop := setupShop(t)
	if exit, _, errs := shop.run("connect", "--code", code); exit != 2 || !strings.Contains(errs, "--as OWNER") {
		t.Fatalf("connect without --as: exit %d, %s", exit, errs)
	}
	sam := shop.as("sam", "sales-password-1")
	if exit, _, errs := sam.run("connect", "--as", "sam", "--code", code); exit == 0 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("salesperson connect: exit %d, %s", exit, errs)
	}
	owner := shop.as("olga", "owner-password-1")
	if out := owner.ok("audit", "--as", "olga", "--action", "device.connect"); !strings.Contains(out, "denied") {
		t.Fatalf("the refused connect is not in the trail:\n%s", out)
	}
	if out := owner.ok("connect", "--as", "olga", "--code", code); !strings.Contains(out, "Connected") {
		t.Fatalf("owner connect: %s", out)
	}
}
