package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var recallID = regexp.MustCompile(`Recall ([0-9a-f-]{36}) entered`)

// TestCLIRecall: the owner enters a recall from a serial file; matches list the planted bike's
// owner for the owner only; a notice is recorded and counted; no serial is printed by create,
// list or show, nor written to any file of the data folder.
func TestCLIRecall(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	csv := "name,email,phone,bike_make,bike_model,bike_serial\n" +
		"Ada Recalled,ada@example.com,(415) 555-0101,Trek,Fuel EX,WTU 123 A4567\n" +
		"Ben Nearmiss,ben@example.com,(415) 555-0102,Trek,Fuel EX,WTU123A4568\n" +
		"Cat Other,cat@example.com,(415) 555-0103,Cube,Stereo,CUB999\n"
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte(csv)))
	list := writeFile(t, "serials.txt", []byte("# Trek 2026-11\nwtu-123-a4567\nZZZ000001\n\n"))
	if code, _, _ := owner.run("recall", "create", "--as", "olga", "--make", "Trek", "--reference", "R", "--title", "T", "--issued", "2026-11-30", "--years", "20x1"); code != 2 {
		t.Fatalf("bad years: exit %d", code)
	}
	if code, _, errs := owner.run("recall", "create", "--as", "olga", "--make", "Trek", "--reference", "R", "--title", "T", "--issued", "2026-11-30",
		"--serials", writeFile(t, "bad.txt", []byte("OK1\nWTU123A4567!\n"))); code != 1 || strings.Contains(errs, "WTU") || !strings.Contains(errs, "line 2") {
		t.Fatalf("bad serial list: exit %d %s", code, errs)
	}
	out := owner.ok("recall", "create", "--as", "olga", "--make", "Trek", "--reference", "TRK-11", "--title", "Frame inspection", "--issued", "2026-11-30", "--serials", list)
	m := recallID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create: %s", out)
	}
	id := m[1]
	printed := out + owner.ok("recall", "list", "--as", "olga") + owner.ok("recall", "show", id, "--as", "olga")
	if code, _, _ := sam.run("recall", "matches", id, "--as", "sam"); code != 1 {
		t.Fatal("a salesperson listed the matches")
	}
	if code, _, _ := sam.run("recall", "list", "--as", "sam"); code != 1 {
		t.Fatal("a salesperson listed the recalls")
	}
	ms := customersJSON(t, owner.ok("recall", "matches", id, "--as", "olga", "--json"))
	if len(ms) != 1 || ms[0]["name"] != "Ada Recalled" || ms[0]["by"] != "serial" {
		t.Fatalf("matches: %v", ms)
	}
	bike := ms[0]["bike_id"].(string)
	if rec := customersJSON(t, owner.ok("recall", "recipients", id, "--as", "olga", "--json")); len(rec) != 1 || rec[0]["customer_id"] != ms[0]["customer_id"] {
		t.Fatalf("recipients: %v", rec)
	}
	if code, _, _ := owner.run("recall", "notice", id, "--as", "olga", "--bike", bike, "--channel", "fax", "--outcome", "reached"); code != 1 {
		t.Fatal("a notice by fax")
	}
	owner.ok("recall", "notice", id, "--as", "olga", "--bike", bike, "--channel", "phone", "--outcome", "reached")
	if out := owner.ok("recall", "recipients", id, "--as", "olga"); strings.Contains(out, ms[0]["customer_id"].(string)) {
		t.Fatalf("a reached customer is still a recipient: %s", out)
	}
	show := owner.ok("recall", "show", id, "--as", "olga")
	if !strings.Contains(show, "Affected 1, reached 1, declined 0, unreachable 0, outstanding 0") {
		t.Fatalf("show: %s", show)
	}
	printed += show
	for _, s := range []string{"WTU", "A4567", "ZZZ000001", "Ada", "Ben"} {
		if strings.Contains(printed, s) {
			t.Fatalf("printed %q:\n%s", s, printed)
		}
	}
	filepath.WalkDir(c.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"WTU123A4567", "ZZZ000001", "Ada Recalled"} {
			if strings.Contains(string(b), s) {
				t.Fatalf("%s holds %q", filepath.Base(p), s)
			}
		}
		return nil
	})
}

// TestCLIRevenueRates: on the demo chain (shops in several currencies) revenue is reported per
// currency, never added; a conversion without a rate names it; only the owner sets rates, and
// with them the converted total names the day of the rates.
func TestCLIRevenueRates(t *testing.T) {
	c := newCLI(t)
	out := c.ok("demo", "--customers", "40", "--seed", "7")
	var ownerName, ownerPW, staffName, staffPW string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "owner" && ownerName == "" {
			ownerName, ownerPW = f[0], f[len(f)-1]
		}
		if len(f) >= 3 && f[1] == "mechanic" && staffName == "" {
			staffName, staffPW = f[0], f[len(f)-1]
		}
	}
	if ownerName == "" || staffName == "" {
		t.Fatalf("demo staff: %s", out)
	}
	owner := c.as(ownerName, ownerPW)
	var rep struct {
		Currencies []string `json:"currencies"`
	}
	if err := json.Unmarshal([]byte(owner.ok("report", "revenue", "--as", ownerName, "--json")), &rep); err != nil || len(rep.Currencies) < 2 {
		t.Fatalf("currencies %v %v", rep.Currencies, err)
	}
	text := owner.ok("report", "revenue", "--as", ownerName, "--convert-to", "USD")
	if !strings.Contains(text, "Amounts in different currencies are not added together") || !strings.Contains(text, "Not converted to USD: no rate for") {
		t.Fatalf("report: %s", text)
	}
	if code, _, _ := c.as(staffName, staffPW).run("rates", "set", "EUR=1.08", "--base", "USD", "--as", staffName); code != 1 {
		t.Fatal("a mechanic set rates")
	}
	if code, _, _ := owner.run("rates", "set", "EUR=abc", "--base", "USD", "--as", ownerName); code != 1 {
		t.Fatal("a bad rate")
	}
	args := []string{"rates", "set"}
	for _, cur := range rep.Currencies {
		if cur != "USD" {
			args = append(args, cur+"=0.5")
		}
	}
	args = append(args, "--base", "USD", "--on", "2026-11-30", "--as", ownerName)
	if out := owner.ok(args...); !strings.Contains(out, "Rates in USD, of 2026-11-30") {
		t.Fatalf("rates: %s", out)
	}
	if out := owner.ok("report", "revenue", "--as", ownerName, "--convert-to", "USD"); !strings.Contains(out, "Converted total USD: ") || !strings.Contains(out, "(rates of 2026-11-30)") {
		t.Fatalf("report: %s", out)
	}
}
