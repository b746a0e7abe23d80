package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"spoke/compliance/subject"
)

var requestID = regexp.MustCompile(`waits as request ([0-9a-f-]{36})`)

// TestCLIHeldExportAndDelete: a manager's export over the limit is held and names who can
// approve it; neither she nor a salesperson can approve it, the owner can, and she then runs
// it into a file. Under the limit an export is written at once (age-sealed here); a deletion
// under the limit runs, over it is held, and a refused one never runs.
func TestCLIHeldExportAndDelete(t *testing.T) {
	c := setupShop(t)
	c.vars["SPOKE_NEW_PASSWORD"] = "manager-password-1"
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	owner.ok("user", "add", "--as", "olga", "--username", "mia", "--role", "manager")
	mia := c.as("mia", "manager-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,phone\nAda Lovelace,(415) 555-0101\nGrace Hopper,+1 415 555 0102\n=HYPERLINK(1),+1 415 555 0103\n")))
	sue := c.as("sue", "sales-password-1")
	sue.ok("import", "--as", "sue", writeFile(t, "sue.csv", []byte("name,phone\nKatherine Johnson,415-555-0199\n")))
	if out := owner.ok("holds", "limits", "--as", "olga", "--export", "2", "--delete", "1"); !strings.Contains(out, "over 2") {
		t.Fatalf("limits: %s", out)
	}
	dir := t.TempDir()
	out := mia.ok("customers", "export", "--as", "mia", "--out", filepath.Join(dir, "all.csv"))
	m := requestID.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Who can approve it: olga") {
		t.Fatalf("held export: %s", out)
	}
	id := m[1]
	if _, err := os.Stat(filepath.Join(dir, "all.csv")); err == nil {
		t.Fatal("a held export wrote its file")
	}
	for _, who := range []*cliT{mia, sam} {
		user := map[*cliT]string{mia: "mia", sam: "sam"}[who]
		if code, _, errs := who.run("holds", "approve", id, "--as", user); code != 1 {
			t.Fatalf("%s approved: %d %s", user, code, errs)
		}
	}
	if code, _, _ := mia.run("holds", "run", id, "--as", "mia", "--out", filepath.Join(dir, "early.csv")); code != 1 {
		t.Fatal("ran before approval")
	}
	if l := owner.ok("holds", "--as", "olga"); !strings.Contains(l, id) || !strings.Contains(l, "open") {
		t.Fatalf("owner's list: %s", l)
	}
	owner.ok("holds", "approve", id, "--as", "olga")
	out = mia.ok("holds", "run", id, "--as", "mia", "--out", filepath.Join(dir, "all.csv"))
	if !strings.Contains(out, "Exported 4 customers") {
		t.Fatalf("run: %s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "all.csv"))
	if strings.Count(string(b), "\n") != 5 || !strings.Contains(string(b), "'=HYPERLINK(1)") {
		t.Fatalf("the CSV: %q", b)
	}
	if l := mia.ok("holds", "list", "--as", "mia", "--json"); !strings.Contains(l, `"status":"done"`) {
		t.Fatalf("after the run: %s", l)
	}

	// Under the limit, sealed with age: the passphrase opens it.
	out = owner.ok("customers", "export", "--as", "olga", "--owner", "sue", "--format", "age", "--out", filepath.Join(dir, "sue.age"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pass := ""
	for i, l := range lines {
		if strings.HasPrefix(l, "Passphrase") && i+1 < len(lines) {
			pass = lines[i+1]
		}
	}
	sealed, _ := os.ReadFile(filepath.Join(dir, "sue.age"))
	files, err := subject.Open(sealed, pass)
	if err != nil {
		t.Fatalf("open the archive: %v\n%s", err, out)
	}
	if csv, ok := subject.Find(files, "customers.csv"); !ok || !strings.Contains(string(csv), "Katherine Johnson") || strings.Contains(string(csv), "Ada") {
		t.Fatalf("archive: %q", csv)
	}
	if code, _, _ := sam.run("customers", "export", "--as", "sam", "--out", filepath.Join(dir, "sam.csv")); code != 1 {
		t.Fatal("a salesperson exported")
	}

	// Deletions.
	ids := customersJSON(t, owner.ok("customers", "--as", "olga", "--json"))
	if code, _, _ := mia.run("customers", "delete", "--as", "mia", ids[0]["id"].(string)); code != 2 {
		t.Fatal("deleted without --yes")
	}
	if out := mia.ok("customers", "delete", "--as", "mia", "--yes", ids[0]["id"].(string)); !strings.Contains(out, "Deleted 1") {
		t.Fatalf("delete: %s", out)
	}
	out = mia.ok("customers", "delete", "--as", "mia", "--yes", ids[1]["id"].(string), ids[2]["id"].(string))
	m = requestID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("held delete: %s", out)
	}
	owner.ok("holds", "refuse", m[1], "--as", "olga")
	if code, _, errs := mia.run("holds", "run", m[1], "--as", "mia"); code != 1 || !strings.Contains(errs, "refused") {
		t.Fatalf("a refused deletion ran: %d %s", code, errs)
	}
	if code, _, _ := mia.run("holds", "frobnicate", "--as", "mia"); code != 2 {
		t.Fatal("an unknown subcommand")
	}
}
