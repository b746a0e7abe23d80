package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"spoke/crypto/keys"
	"spoke/store"
)

// TestCLIPrint prints a ticket, a tag, a receipt and the notice, checks the files are PDFs
// named by ids only, that an existing file is kept without --force and replaced with it, that
// a salesperson may not print another's job, and (where pdftotext is installed, which the CI
// has) that the paper says what it should.
func TestCLIPrint(t *testing.T) {
	c := setupShop(t)
	ctx := context.Background()
	st, err := store.Open(ctx, c.dir, store.Options{Passphrase: c.vars["SPOKE_PASSPHRASE"], KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sam, err := st.SignIn(ctx, "sam", "sales-password-1")
	if err != nil {
		t.Fatal(err)
	}
	cust := must(t)(sam.CreateCustomer(ctx, store.CustomerInput{Name: "王小明", Phone: "+1 415 555 0188"}))
	bike := must(t)(sam.AddBike(ctx, cust, store.Bike{Make: "Giant", Model: "TCR", Colour: "blue", Serial: "GNT998877"}))
	wo := must(t)(sam.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: cust, BikeID: bike, Complaint: "刹车异响",
		Lines: []store.Line{{Kind: "labour", Description: "Brake bleed", Qty: 1, UnitPrice: 3500}}}))
	sale := must(t)(sam.RecordSale(ctx, store.SaleInput{CustomerID: cust, PaymentMethod: "cash", Lines: []store.Line{{Description: "Bottle", Qty: 1, UnitPrice: 1200}}}))
	st.Close()

	dir := t.TempDir()
	samCLI := c.as("sam", "sales-password-1")
	ticket := filepath.Join(dir, "t.pdf")
	out := samCLI.ok("print", "ticket", wo, "--as", "sam", "--lang", "zh", "--out", ticket)
	if !strings.Contains(out, "Wrote") {
		t.Fatalf("print ticket: %s", out)
	}
	if code, _, errs := samCLI.run("print", "ticket", wo, "--as", "sam", "--out", ticket); code == 0 || !strings.Contains(errs, "--force") {
		t.Fatalf("overwrote without --force: exit %d %s", code, errs)
	}
	samCLI.ok("print", "ticket", wo, "--as", "sam", "--out", ticket, "--force")
	// The default name is made of ids: run in a folder of our own.
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	samCLI.ok("print", "tag", wo, "--as", "sam")
	samCLI.ok("print", "receipt", sale, "--as", "sam")
	owner := c.as("olga", "owner-password-1")
	owner.ok("print", "settings", "--as", "olga", "--shop", "Spoke & Chain", "--address", `9 Bridge St\nPortland`, "--phone", "+1 503 555 0000")
	owner.ok("print", "notice", "--as", "olga", "--lang", "zh")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	want := map[string]bool{"t.pdf": true, "tag-" + store.JobNumber(wo) + ".pdf": true, "receipt-" + strings.ReplaceAll(sale[len(sale)-12:], "-", "") + ".pdf": true, "notice.pdf": true}
	if len(files) != len(want) {
		t.Fatalf("files: %v, want %v", files, want)
	}
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("unexpected file %s", filepath.Base(f))
		}
		b, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(b), "%PDF-") {
			t.Errorf("%s is not a PDF", f)
		}
	}
	// Another salesperson's job and sale are refused, and write nothing.
	sue := c.as("sue", "sales-password-1")
	for _, args := range [][]string{{"print", "ticket", wo}, {"print", "receipt", sale}} {
		code, _, errs := sue.run(append(args, "--as", "sue", "--out", filepath.Join(dir, "sue.pdf"))...)
		if code == 0 || strings.Contains(errs, "王") {
			t.Fatalf("sue %v: exit %d %s", args, code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sue.pdf")); err == nil {
		t.Fatal("a refused print wrote a file")
	}
	if code, _, _ := samCLI.run("print", "poster", wo, "--as", "sam"); code != 2 {
		t.Fatalf("unknown document: exit %d", code)
	}
	if code, _, _ := samCLI.run("print", "ticket", "--as", "sam"); code != 2 {
		t.Fatalf("no id: exit %d", code)
	}
	// The paper itself.
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is missing: run scripts/setup-debian.sh (it installs poppler-utils)")
		}
		t.Skip("pdftotext is missing: apt-get install poppler-utils")
	}
	for file, says := range map[string][]string{
		ticket: {"王小明", "刹车异响", "Giant TCR", "$35.00", store.JobNumber(wo)},
		filepath.Join(dir, "tag-"+store.JobNumber(wo)+".pdf"):                                  {"王", store.JobNumber(wo)},
		filepath.Join(dir, "receipt-"+strings.ReplaceAll(sale[len(sale)-12:], "-", "")+".pdf"): {"$12.00", "not a fiscal receipt", "cash"},
		filepath.Join(dir, "notice.pdf"):                                                       {"隐私声明", "9 Bridge St Portland"},
	} {
		b, err := exec.Command(pdftotext, file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", file, err)
		}
		text := strings.Join(strings.Fields(string(b)), " ")
		for _, s := range says {
			if !strings.Contains(text, s) {
				t.Errorf("%s lacks %q:\n%s", filepath.Base(file), s, text)
			}
		}
		if strings.Contains(text, "GNT998877") {
			t.Errorf("%s prints the frame serial", filepath.Base(file))
		}
	}
}

func must(t *testing.T) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
