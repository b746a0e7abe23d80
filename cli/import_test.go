package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func posSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "csvimport", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, b)
}

// TestCLIImportPOS: --preview shows the mapping and the counts and writes nothing; the
// import and a re-import of the same file (updates by source id); bikes from their own export
// (re-import by serial); a malformed file imports nothing; no personal value of the sample is
// printed by any of it.
func TestCLIImportPOS(t *testing.T) {
	c := setupShop(t)
	sam := c.as("sam", "sales-password-1")
	f := posSample(t, "pos_lightspeed_r.csv")
	var outputs []string
	run := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := sam.run(args...)
		if code != want {
			t.Fatalf("spoke %v: exit %d, want %d\n%s\n%s", args, code, want, out, errs)
		}
		outputs = append(outputs, out, errs)
		return out
	}
	out := run(0, "import", "--as", "sam", "--preview", f)
	for _, want := range []string{"read as lightspeed-r ids", `"Mobile Phone"`, "-> phone (mobile first)", `"Work Phone"`, "-> phone_alt", `Ignored columns: 4 "Title"`,
		"Rows: 3 new, 0 update(s) by source id, 0 candidate(s), 0 not yours, 0 invalid", "Nothing was imported"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q:\n%s", want, out)
		}
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json")); len(got) != 0 {
		t.Fatalf("the preview imported %d customers", len(got))
	}
	if out := run(0, "import", "--as", "sam", f); !strings.Contains(out, "Imported 3 customer(s)") {
		t.Fatalf("import: %s", out)
	}
	if out := run(0, "import", "--as", "sam", "--preview", f); !strings.Contains(out, "Rows: 0 new, 3 update(s)") || !strings.Contains(out, "Updates (lines): 2, 5, 6") {
		t.Fatalf("second preview: %s", out)
	}
	if out := run(0, "import", "--as", "sam", f); !strings.Contains(out, "Imported 0 customer(s); updated 0, unchanged 3 (by source id)") {
		t.Fatalf("re-import: %s", out)
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json")); len(got) != 3 {
		t.Fatalf("after the re-import: %d customers", len(got))
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json", "--source", "lightspeed-r:1002")); len(got) != 1 || got[0]["name"] != "Tobias Fenn" {
		t.Fatalf("lookup by source: %v", got)
	}
	// A second-hand list with Harriet's e-mail but no ids: a candidate, skipped.
	fam := writeFile(t, "family.csv", []byte("name,email\nHolly Vale,harriet.vale@example.org\n"))
	if out := run(0, "import", "--as", "sam", "--preview", fam); !strings.Contains(out, "1 candidate(s)") || !strings.Contains(out, "Candidates: match a customer only by e-mail or phone; skipped unless --candidates new (lines): 2") {
		t.Fatalf("candidate preview: %s", out)
	}
	if out := run(0, "import", "--as", "sam", fam); !strings.Contains(out, "Imported 0 customer(s); skipped 1 candidate(s)") {
		t.Fatalf("candidate import: %s", out)
	}
	if out := run(0, "import", "--as", "sam", "--candidates", "new", fam); !strings.Contains(out, "Imported 1 customer(s); 1 candidate(s) imported as new") {
		t.Fatalf("candidate import as new: %s", out)
	}

	bikes := posSample(t, "bikes_export.csv")
	if out := run(0, "import", "--as", "sam", "--bikes", "--source", "lightspeed-r", "--preview", bikes); !strings.Contains(out, "Bikes: 3 new, 0 update(s) by serial") {
		t.Fatalf("bike preview: %s", out)
	}
	if out := run(0, "import", "--as", "sam", "--bikes", "--source", "lightspeed-r", bikes); !strings.Contains(out, "Imported 3 bike(s); updated 0") {
		t.Fatalf("bike import: %s", out)
	}
	if out := run(0, "import", "--as", "sam", "--bikes", "--source", "lightspeed-r", bikes); !strings.Contains(out, "Imported 0 bike(s); updated 3") {
		t.Fatalf("bike re-import: %s", out)
	}
	// Without --source the file's customer ids name no system: refused, saying what to do.
	run(1, "import", "--as", "sam", "--bikes", bikes)
	if errs := outputs[len(outputs)-1]; !strings.Contains(errs, "--source shopify") {
		t.Fatalf("bike import without --source: %s", errs)
	}
	// A different system's ids name no customer here.
	if out := run(0, "import", "--as", "sam", "--bikes", "--source", "shopify", bikes); !strings.Contains(out, "skipped 3 (no such customer 3") {
		t.Fatalf("bike import with another system: %s", out)
	}

	broken, _ := os.ReadFile(filepath.Join("..", "csvimport", "testdata", "pos_shopify.csv"))
	bad := writeFile(t, "broken.csv", []byte(strings.Replace(string(broken), "221 Larkspur Ave", `221 "Larkspur" Ave`, 1)))
	code, _, errs := sam.run("import", "--as", "sam", bad)
	outputs = append(outputs, errs)
	if code != 1 || !strings.Contains(errs, "line 2: a quote mark") || !strings.Contains(errs, "nothing was imported") {
		t.Fatalf("malformed file: %d %s", code, errs)
	}
	if got := customersJSON(t, sam.ok("customers", "--as", "sam", "--json")); len(got) != 4 {
		t.Fatalf("after the malformed file: %d customers", len(got))
	}
	if code, _, errs := sam.run("import", "--as", "sam", "--candidates", "merge", f); code != 2 || !strings.Contains(errs, "--candidates must be skip or new") {
		t.Fatalf("bad --candidates: %d %s", code, errs)
	}
	for _, s := range outputs {
		for _, v := range []string{"Harriet", "harriet.vale", "Mill Lane", "555-0123", "15035550142", "Tubeless", "Rowan", "Larkspur", "WTU", "Domane"} {
			if strings.Contains(s, v) {
				t.Errorf("output contains %q:\n%s", v, s)
			}
		}
	}
}
