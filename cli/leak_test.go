package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spoke/demo"
)

// plants are distinctive personal values (Latin, Chinese, emoji) that must never reach disk
// in clear, in any file of the data directory.
var plants = []string{
	"Zebulon Quixote-Ærøskøbing", "Quixote", "欧阳翠花", "Pélissier 🚲 Rider", "🚲 Rider",
	"zebulon.quixote.leak@example.org", "cuihua.ouyang.leak@example.net",
	"+14155550177", "4155550177", "555-0177", "+8613800138077", "13800138077",
	"77 Secretstrasse Leakville", "Secretstrasse", "allergic to leakonium", "leakonium", "秘密备注泄漏",
	"LEAK9988776655", "LEAK 9988-776655", "leakreason",
}

// scanDir reports every planted value found in any byte of any file under dir.
func scanDir(t *testing.T, dir string, values []string) {
	t.Helper()
	for _, h := range findPlaintext(t, dir, values) {
		t.Error(h)
	}
}

// findPlaintext returns one line per planted value found in a file under dir.
func findPlaintext(t *testing.T, dir string, values []string) []string {
	t.Helper()
	var hits []string
	n := 0
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		for _, v := range values {
			for _, form := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
				if bytes.Contains(b, []byte(form)) {
					hits = append(hits, fmt.Sprintf("plaintext %q found in %s", form, filepath.Base(p)))
				}
			}
			if strings.ContainsAny(v, "@") == false && len(v) > 3 && bytes.Contains(b, utf16le(v)) {
				hits = append(hits, fmt.Sprintf("UTF-16 plaintext %q found in %s", v, filepath.Base(p)))
			}
		}
		if strings.ContainsAny(filepath.Base(p), "@ ") {
			hits = append(hits, "odd file name "+filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("scanned no files")
	}
	return hits
}

// TestScannerFindsPlants proves the scanner can fail: a planted value in a -wal file, in
// upper case and in UTF-16 is found.
func TestScannerFindsPlants(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "spoke.db-wal"), []byte("xx ZEBULON QUIXOTE-ÆRØSKØBING yy"), 0o600)
	os.WriteFile(filepath.Join(dir, "other"), append([]byte("zz"), utf16le("Secretstrasse")...), 0o600)
	hits := findPlaintext(t, dir, plants)
	if len(hits) < 2 {
		t.Fatalf("scanner missed planted values: %v", hits)
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		if r > 0xffff {
			continue
		}
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

// TestNoPlaintextOnDisk plants values through every command and searches every file.
func TestNoPlaintextOnDisk(t *testing.T) {
	c := setupShop(t)
	owner, sam, sue := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1"), c.as("sue", "sales-password-1")
	csv := "name,email,phone,address,notes,bike_make,bike_model,bike_serial\n" +
		"Zebulon Quixote-Ærøskøbing,zebulon.quixote.leak@example.org,415 555 0177,77 Secretstrasse Leakville,allergic to leakonium,Trek,Domane,LEAK 9988-776655\n" +
		"欧阳翠花,cuihua.ouyang.leak@example.net,+86 138 0013 8077,,秘密备注泄漏,,,\n" +
		"Pélissier 🚲 Rider,,,,,,,\n"
	f := writeFile(t, "plant.csv", []byte(csv))
	sam.ok("import", "--as", "sam", "--assign-to", "sam", f)
	scanDir(t, c.dir, plants)

	res := customersJSON(t, sam.ok("customers", "--as", "sam", "--json", "zebulon"))
	if len(res) != 1 {
		t.Fatalf("search found %d", len(res))
	}
	id := res[0]["id"].(string)
	sam.ok("customer", "--as", "sam", "--json", id)
	sue.ok("customer", "--as", "sue", "--reason", "leakreason: customer phoned", id)
	owner.ok("customers", "--as", "olga", "欧阳")
	owner.ok("audit", "--as", "olga", "--json")
	c.ok("verify")
	// A failing import of planted values leaves no trace either.
	bad := writeFile(t, "bad.csv", []byte("name,email\nZebulon Quixote-Ærøskøbing,zebulon.quixote.leak@example\n"))
	if code, _, errs := sam.run("import", "--as", "sam", bad); code == 0 || strings.Contains(errs, "zebulon") || strings.Contains(errs, "Zebulon") {
		t.Fatalf("bad import: exit %d, stderr %s", code, errs)
	}
	usb := t.TempDir()
	owner.ok("backup", "--as", "olga", "--to", usb)
	owner.ok("backup", "--as", "olga", "--to", usb, "--incremental")
	c.ok("backups", "--to", usb)
	c.ok("backup", "check", "--to", usb, "--read-data")
	// Through a hub: its database, its logs.
	code, stop, hubDir, hubLogs := startHubLogged(t)
	owner.ok("connect", "--as", "olga", "--code", code)
	owner.ok("sync")
	stop()
	scanDir(t, c.dir, plants)
	scanDir(t, usb, plants)
	scanDir(t, hubDir, plants)
	for _, p := range plants {
		if hubLogs.Len() == 0 || bytes.Contains(hubLogs.Bytes(), []byte(p)) {
			t.Errorf("hub logs empty or holding %q", p)
		}
	}
	if t.Failed() {
		return
	}

	// The demo shop's own generated people stay sealed too.
	d := newCLI(t)
	d.ok("demo", "--customers", "60", "--seed", "3")
	ch := demo.Generate(demo.Options{Customers: 60, Seed: 3})
	var gen []string
	for _, cu := range ch.Customers {
		gen = append(gen, cu.Name, cu.Phone)
		if cu.Email != "" {
			gen = append(gen, cu.Email)
		}
		if len(cu.Notes) > 8 {
			gen = append(gen, cu.Notes)
		}
		for _, b := range cu.Bikes {
			gen = append(gen, b.Serial)
		}
	}
	scanDir(t, d.dir, gen)
}
