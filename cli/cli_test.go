package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"spoke/crypto/keychain/keychaintest"
	"spoke/crypto/keys"
	"spoke/store"
)

// cliT runs commands in-process against one data directory.
type cliT struct {
	t    *testing.T
	dir  string
	vars map[string]string
	kc   store.Keychain   // nil: the OS keychain
	now  func() time.Time // nil: the wall clock
}

func newCLI(t *testing.T) *cliT {
	return &cliT{t: t, dir: t.TempDir(), vars: map[string]string{"SPOKE_PASSPHRASE": "shop passphrase 1"}}
}

// run runs one command and returns its exit code, stdout and stderr.
func (c *cliT) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return c.vars[k] },
		Options: store.Options{KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}, Keychain: c.kc, Now: c.now}}
	code := Run(context.Background(), env, append(append([]string{args[0]}, args[1:]...), "--data", c.dir))
	return code, out.String(), errb.String()
}

func (c *cliT) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != 0 {
		c.t.Fatalf("spoke %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out
}

func (c *cliT) as(user, pw string) *cliT {
	c2 := *c
	c2.vars = map[string]string{}
	for k, v := range c.vars {
		c2.vars[k] = v
	}
	c2.vars["SPOKE_PASSWORD"] = pw
	return &c2
}

func writeFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// setupShop makes a shop with owner "olga" and salespeople "sam" and "sue".
func setupShop(t *testing.T) *cliT {
	c := newCLI(t)
	c.vars["SPOKE_PASSWORD"] = "owner-password-1"
	out := c.ok("init", "--shop", "Spoke & Chain", "--owner", "olga", "--region", "US")
	if !strings.Contains(out, "Recovery code: ") || !strings.Contains(out, "passphrase") {
		t.Fatalf("init output: %s", out)
	}
	c.vars["RECOVERY"] = strings.TrimSpace(strings.SplitN(out[strings.Index(out, "Recovery code: ")+len("Recovery code: "):], "\n", 2)[0])
	c.vars["SPOKE_NEW_PASSWORD"] = "sales-password-1"
	c.ok("user", "add", "--as", "olga", "--username", "sam", "--role", "sales")
	c.ok("user", "add", "--as", "olga", "--username", "sue", "--role", "sales")
	c.ok("user", "add", "--as", "olga", "--username", "aud", "--role", "auditor")
	return c
}

func customersJSON(t *testing.T, out string) []map[string]any {
	var res []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		res = append(res, m)
	}
	return res
}

func TestCLIWorkflow(t *testing.T) {
	c := setupShop(t)
	owner, sam, sue := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1"), c.as("sue", "sales-password-1")
	csv := "name,email,phone,address,notes,bike_make,bike_model,bike_serial\n" +
		"Ada Lovelace,ada@example.com,(415) 555-0101,1 Analytical Way,likes steel frames,Surly,Straggler,SUR 123 456\n" +
		"Grace Hopper,grace@example.com,+1 415 555 0102,,,,,\n"
	f := writeFile(t, "in.csv", []byte(csv))
	if out := sam.ok("import", "--as", "sam", f); !strings.Contains(out, "Imported 2") {
		t.Fatalf("import: %s", out)
	}
	sue.ok("import", "--as", "sue", writeFile(t, "sue.csv", []byte("Name,E-mail,Mobile\nKatherine Johnson,kj@example.com,415-555-0199\n")))

	all := customersJSON(t, owner.ok("customers", "--as", "olga", "--json"))
	if len(all) != 3 {
		t.Fatalf("owner sees %d customers", len(all))
	}
	mine := customersJSON(t, sam.ok("customers", "--as", "sam", "--json"))
	if len(mine) != 2 {
		t.Fatalf("sam sees %d customers: %v", len(mine), mine)
	}
	for _, m := range mine {
		for _, k := range []string{"id", "name", "email", "phone", "owner"} {
			if _, ok := m[k]; !ok && k != "email" {
				t.Fatalf("JSON lacks %s: %v", k, m)
			}
		}
		if m["owner"] != "sam" {
			t.Fatalf("sam sees a customer of %v", m["owner"])
		}
	}
	hit := customersJSON(t, sam.ok("customers", "--as", "sam", "--json", "lovel"))
	if len(hit) != 1 || hit[0]["name"] != "Ada Lovelace" || hit[0]["phone"] != "+14155550101" {
		t.Fatalf("search: %v", hit)
	}
	adaID := hit[0]["id"].(string)
	// Exact lookups through the blind indexes, in the forms people type.
	for _, args := range [][]string{{"--email", "ADA@example.com"}, {"--phone", "415.555.0101"}, {"--serial", "sur-123 456"}} {
		got := customersJSON(t, sam.ok(append([]string{"customers", "--as", "sam", "--json"}, args...)...))
		if len(got) != 1 || got[0]["id"] != adaID {
			t.Fatalf("lookup %v: %v", args, got)
		}
		if got := customersJSON(t, sue.ok(append([]string{"customers", "--as", "sue", "--json"}, args...)...)); len(got) != 0 {
			t.Fatalf("sue found sam's customer by %v", args)
		}
	}
	card := sam.ok("customer", "--as", "sam", adaID)
	for _, want := range []string{"Ada Lovelace", "ada@example.com", "Surly Straggler", "serial SUR123456"} {
		if !strings.Contains(card, want) {
			t.Fatalf("card lacks %q:\n%s", want, card)
		}
	}
	// Sue may not open Sam's customer without a reason; with one she gets the minimal view.
	code, _, errs := sue.run("customer", "--as", "sue", adaID)
	if code != 1 || !strings.Contains(errs, "give a reason") {
		t.Fatalf("break-glass without reason: %d %s", code, errs)
	}
	out := sue.ok("customer", "--as", "sue", "--reason", "customer called about a recall", adaID)
	if !strings.Contains(out, "BREAK-GLASS") || strings.Contains(out, "ada@example.com") || strings.Contains(out, "SUR123456") {
		t.Fatalf("break-glass view:\n%s", out)
	}
	// Audit: owner sees the reason, the auditor does not, a salesperson may not look.
	if a := owner.ok("audit", "--as", "olga"); !strings.Contains(a, "customer.read.break_glass") || !strings.Contains(a, "recall") {
		t.Fatalf("owner audit:\n%s", a)
	}
	if a := c.as("aud", "sales-password-1").ok("audit", "--as", "aud", "--json"); strings.Contains(a, "recall") || !strings.Contains(a, "break_glass") {
		t.Fatalf("auditor audit shows reason or lacks entry")
	}
	if code, _, errs := sam.run("audit", "--as", "sam"); code != 1 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("sales audit: %d %s", code, errs)
	}
	if out := c.ok("verify"); !strings.Contains(out, "OK") {
		t.Fatalf("verify: %s", out)
	}
	// Wrong password, unknown user: one answer.
	if code, _, errs := c.as("sam", "nope-nope-nope").run("customers", "--as", "sam"); code != 1 || !strings.Contains(errs, "wrong username or password") {
		t.Fatalf("bad password: %d %s", code, errs)
	}
}

func TestCLIImportRefusesBadFile(t *testing.T) {
	c := setupShop(t)
	sam := c.as("sam", "sales-password-1")
	bad := "name,email,phone\nZebulon Quixote,not-an-email,\n,ok@example.com,\nValid Person,valid@example.com,+1 415 555 0103\n"
	f := writeFile(t, "bad.csv", []byte(bad))
	code, _, errs := sam.run("import", "--as", "sam", f)
	if code != 1 || !strings.Contains(errs, "line 2, column email") || !strings.Contains(errs, "line 3, column name") || !strings.Contains(errs, "nothing was imported") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	for _, v := range []string{"Zebulon", "not-an-email", "ok@example.com"} {
		if strings.Contains(errs, v) {
			t.Fatalf("error output contains a value %q", v)
		}
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json")); len(got) != 0 {
		t.Fatalf("a bad file imported %d customers", len(got))
	}
	if out := sam.ok("import", "--as", "sam", "--skip-invalid", f); !strings.Contains(out, "Imported 1") || !strings.Contains(out, "skipped 2") {
		t.Fatalf("skip-invalid: %s", out)
	}
	// GBK-encoded Chinese from an old Excel: converted, with a note.
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("姓名,手机\n王小明,+86 138 0013 8000\n"))
	code, out, errs := sam.run("import", "--as", "sam", writeFile(t, "gbk.csv", gbk))
	if code != 0 || !strings.Contains(errs, "GB18030") || !strings.Contains(out, "Imported 1") {
		t.Fatalf("GBK import: %d %s %s", code, out, errs)
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json", "小明")); len(got) != 1 || got[0]["name"] != "王小明" {
		t.Fatalf("GBK name after import: %v", got)
	}
}

func TestCLINoKeychainMessage(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/spoke-test-bus")
	c := newCLI(t)
	delete(c.vars, "SPOKE_PASSPHRASE")
	c.vars["SPOKE_PASSWORD"] = "owner-password-1"
	code, _, errs := c.run("init", "--shop", "X", "--owner", "olga")
	if code != 1 || !strings.Contains(errs, "no system keychain is available") || !strings.Contains(errs, "SPOKE_PASSPHRASE") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if store.Exists(c.dir) {
		t.Fatal("a database was left behind without a key")
	}
}

func TestCLIDemoDeterministic(t *testing.T) {
	names := func() []string {
		c := newCLI(t)
		out := c.ok("demo", "--customers", "40", "--seed", "7")
		if !strings.Contains(out, "Recovery code") || !strings.Contains(out, "mechanic") {
			t.Fatalf("demo output: %s", out)
		}
		// The printed owner password signs in.
		var ownerPW string
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) >= 3 && f[1] == "owner" {
				ownerPW = f[len(f)-1]
				ownerName := f[0]
				res := customersJSON(t, c.as(ownerName, ownerPW).ok("customers", "--as", ownerName, "--json", "--limit", "1000"))
				if len(res) != 40 {
					t.Fatalf("demo has %d customers", len(res))
				}
				var ns []string
				for _, r := range res {
					ns = append(ns, r["name"].(string))
				}
				c.ok("verify")
				return ns
			}
		}
		t.Fatalf("no owner in demo output:\n%s", out)
		return nil
	}
	a, b := names(), names()
	if strings.Join(sorted(a), "|") != strings.Join(sorted(b), "|") {
		t.Fatal("the same seed gave different customers")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestCLIBackupRestore(t *testing.T) {
	c := setupShop(t)
	owner := c.as("olga", "owner-password-1")
	sam := c.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email\nAda Lovelace,ada@example.com\nGrace Hopper,grace@example.com\n")))
	usb := t.TempDir()
	if out := owner.ok("backup", "--as", "olga", "--to", usb); !strings.Contains(out, "full backup") || !strings.Contains(out, "drill passed") {
		t.Fatalf("backup: %s", out)
	}
	sam.ok("import", "--as", "sam", writeFile(t, "in2.csv", []byte("name\nKatherine Johnson\n")))
	owner.ok("backup", "schedule", "--as", "olga", "--to", usb, "--full-every", "168h", "--keep", "3")
	if out := owner.ok("backup", "--as", "olga"); !strings.Contains(out, "incremental backup") {
		t.Fatalf("scheduled incremental into the saved folder: %s", out)
	}
	if code, _, errs := sam.run("backup", "--as", "sam", "--to", usb); code != 1 || !strings.Contains(errs, "not allowed") {
		t.Fatalf("sales backup: %d %s", code, errs)
	}
	if out := c.ok("backups", "--to", usb); strings.Count(out, "passed") != 2 {
		t.Fatalf("backups:\n%s", out)
	}
	if out := c.ok("backup", "check", "--to", usb, "--read-data"); !strings.Contains(out, "OK") {
		t.Fatalf("check: %s", out)
	}
	// A new machine: another data directory, the recovery code and this machine's new
	// passphrase (item 10: the restored database opens with it, not with the old one).
	newData := filepath.Join(t.TempDir(), "laptop")
	n := &cliT{t: t, dir: newData, vars: map[string]string{"SPOKE_RECOVERY_CODE": c.vars["RECOVERY"], "SPOKE_PASSPHRASE": "the new laptop's passphrase"}}
	if out := n.ok("restore", "--from", usb); !strings.Contains(out, "Verified") || !strings.Contains(out, "protected by the passphrase you gave") {
		t.Fatalf("restore: %s", out)
	}
	n.vars["SPOKE_PASSWORD"] = "sales-password-1"
	delete(n.vars, "SPOKE_RECOVERY_CODE")
	if got := customersJSON(t, n.ok("customers", "--as", "sam", "--json")); len(got) != 3 {
		t.Fatalf("restored %d customers", len(got))
	}
	n.ok("verify")
	old := n.as("sam", "sales-password-1")
	old.vars["SPOKE_PASSPHRASE"] = c.vars["SPOKE_PASSPHRASE"]
	if code, _, errs := old.run("customers", "--as", "sam"); code != 1 || !strings.Contains(errs, "wrong") {
		t.Fatalf("the old machine's passphrase on the restored database: %d %s", code, errs)
	}
	// verify with the recovery code alone.
	rc := &cliT{t: t, dir: newData, vars: map[string]string{"SPOKE_RECOVERY_CODE": c.vars["RECOVERY"]}}
	if out := rc.ok("verify"); !strings.Contains(out, "OK") {
		t.Fatalf("verify with the recovery code: %s", out)
	}
	// Or this machine's keychain, when no passphrase is given.
	kc := keychaintest.New()
	k := &cliT{t: t, dir: filepath.Join(t.TempDir(), "laptop2"), vars: map[string]string{"SPOKE_RECOVERY_CODE": c.vars["RECOVERY"]}, kc: kc}
	if out := k.ok("restore", "--from", usb); !strings.Contains(out, "keychain") {
		t.Fatalf("restore into the keychain: %s", out)
	}
	delete(k.vars, "SPOKE_RECOVERY_CODE")
	k.vars["SPOKE_PASSWORD"] = "sales-password-1"
	if got := customersJSON(t, k.ok("customers", "--as", "sam", "--json")); len(got) != 3 {
		t.Fatalf("restored into the keychain: %d customers", len(got))
	}
	noKC := &cliT{t: t, dir: filepath.Join(t.TempDir(), "laptop3"), vars: map[string]string{"SPOKE_RECOVERY_CODE": c.vars["RECOVERY"]}, kc: &keychaintest.Mem{Down: true}}
	if code, _, errs := noKC.run("restore", "--from", usb); code != 1 || !strings.Contains(errs, "passphrase") {
		t.Fatalf("restore with no keychain and no passphrase: %d %s", code, errs)
	}
	bad := &cliT{t: t, dir: filepath.Join(t.TempDir(), "x"), vars: map[string]string{"SPOKE_RECOVERY_CODE": "0000-0000-0000-0000-0000-0000-0000-0000"}}
	if code, _, errs := bad.run("restore", "--from", usb); code != 1 || !strings.Contains(errs, "wrong") {
		t.Fatalf("wrong code: %d %s", code, errs)
	}
}

// TestCLIVerifyFindsRollback: an older genuine copy of the database file put back is below
// the configured backup folder's newest manifest: verify names it, sign-in fails closed.
func TestCLIVerifyFindsRollback(t *testing.T) {
	c := setupShop(t)
	owner := c.as("olga", "owner-password-1")
	usb := t.TempDir()
	owner.ok("backup", "schedule", "--as", "olga", "--to", usb)
	owner.ok("backup", "--as", "olga")
	old := t.TempDir()
	copyFile(t, filepath.Join(c.dir, store.DBFile), filepath.Join(old, store.DBFile))
	owner.ok("user", "add", "--as", "olga", "--username", "sid", "--role", "sales")
	owner.ok("backup", "--as", "olga")
	if out := c.ok("verify"); !strings.Contains(out, "reaches the newest backup") {
		t.Fatalf("verify: %s", out)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(filepath.Join(c.dir, store.DBFile+suffix))
	}
	copyFile(t, filepath.Join(old, store.DBFile), filepath.Join(c.dir, store.DBFile))
	code, out, _ := c.run("verify")
	if code != 1 || !strings.Contains(out, "BAD audit - anchor: trail ends at seq") || !strings.Contains(out, "below the anchored seq") {
		t.Fatalf("verify of a rolled-back file: %d\n%s", code, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
