package paper

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var when = time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)

func sampleTicket(l Lang, name string) Ticket {
	return Ticket{Lang: l, Shop: Shop{Name: "Spoke & Sons Cycles", Address: "12 Harbour Road\nBristol BS1 4RN", Phone: "+44 117 496 0000", Region: "GB", Currency: "GBP"},
		JobNumber: "7F3A-19C2", WorkOrder: "0195f0c2-7f3a-7000-8000-00000a7f19c2", DateIn: when, Promised: when.Add(72 * time.Hour),
		Bike: Bike{Make: "Brompton", Model: "C Line Explore", Colour: "Racing green", FrameSize: "M"}, Work: "Gears slip under load; check the chain.",
		Lines:  []Line{{Kind: "labour", Description: "Full service", Qty: 1, UnitPrice: 8500}, {Kind: "part", Description: "KMC X10 chain", Qty: 1, UnitPrice: 2899}},
		Labour: 8500, Parts: 2899, Total: 11399, Customer: name, Phone: "+44 7700 900123", PrintedAt: when}
}

// samples are one document of each kind, in English and in Chinese, with the text each must
// show.
func samples() []struct {
	name   string
	render func() ([]byte, error)
	want   []string
	pages  int
} {
	tag := func(l Lang, name string) Tag {
		return Tag{Lang: l, Shop: "Spoke & Sons Cycles", JobNumber: "7F3A-19C2", Name: name, Bike: Bike{Make: "Brompton", Model: "C Line", Colour: "green"}, Promised: when}
	}
	rec := func(l Lang, region, cur string) Receipt {
		return Receipt{Lang: l, Shop: Shop{Name: "Radhaus Mitte", Address: "Torstraße 1, 10119 Berlin", Region: region, Currency: cur}, Sale: "0195f0c2-aaaa-7000-8000-0000000051e5",
			SoldAt: when, Lines: []Line{{Description: "Schwalbe Marathon 700x35", Qty: 2, UnitPrice: 3495}, {Description: "内胎 700C", Qty: 1, UnitPrice: 899}}, Total: 7889, Payment: "card", Seller: "Lena"}
	}
	notice := func(l Lang) Notice {
		return Notice{Lang: l, Title: map[Lang]string{EN: "Privacy notice · Spoke & Sons", ZH: "隐私声明 · 上海车行"}[l], Subtitle: "Notice version abc123 · 2026-03-14",
			Sections: []Section{{Heading: map[Lang]string{EN: "Your rights", ZH: "您的权利"}[l], Paragraphs: []string{"Ask at the counter."},
				Items: []Item{{Name: "Access", Text: "A copy of your data."}, {Name: "删除", Text: "您可以要求删除您的个人信息。"}}}}}
	}
	return []struct {
		name   string
		render func() ([]byte, error)
		want   []string
		pages  int
	}{
		{"ticket-en", func() ([]byte, error) { return RenderTicket(sampleTicket(EN, "Olivia Bennett")) }, []string{"Spoke & Sons Cycles", "Customer copy", "7F3A-19C2", "Olivia Bennett", "Brompton", "Racing green", "2026-03-17", "£113.99", "£28.99", "Full service"}, 1},
		{"ticket-zh", func() ([]byte, error) { return RenderTicket(sampleTicket(ZH, "王小明")) }, []string{"维修单", "客户联", "王小明", "合计", "£113.99"}, 1},
		{"tag-en", func() ([]byte, error) { return RenderTag(tag(EN, "Bennett")) }, []string{"7F3A-19C2", "Bennett", "Brompton C Line", "2026-03-14"}, 1},
		{"tag-zh", func() ([]byte, error) { return RenderTag(tag(ZH, "王")) }, []string{"7F3A-19C2", "王", "约定取车"}, 1},
		{"receipt-de", func() ([]byte, error) { return RenderReceipt(rec(EN, "DE", "EUR")) }, []string{"Kein Kassenbeleg", "KassenSichV", "Kassenbeleg", "Not a fiscal receipt", "€78.89", "card", "Lena", "内胎"}, 1},
		{"receipt-cn-zh", func() ([]byte, error) { return RenderReceipt(rec(ZH, "CN", "CNY")) }, []string{"销售单", "不是发票", "¥78.89", "银行卡"}, 1},
		{"receipt-us", func() ([]byte, error) { return RenderReceipt(rec(EN, "US", "USD")) }, []string{"This is not a fiscal receipt", "$78.89"}, 1},
		{"notice-en", func() ([]byte, error) { return RenderNotice(notice(EN)) }, []string{"Privacy notice", "Your rights", "Access", "删除"}, 1},
		{"notice-zh", func() ([]byte, error) { return RenderNotice(notice(ZH)) }, []string{"隐私声明", "您的权利", "您可以要求删除您的个人信息"}, 1},
	}
}

// needTool finds a poppler tool. The CI installs poppler-utils (scripts/setup-debian.sh), so
// there a missing tool fails the test; elsewhere it is skipped with the way to install it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: run scripts/setup-debian.sh (it installs poppler-utils)", name)
		}
		t.Skipf("%s is missing: apt-get install poppler-utils (scripts/setup-debian.sh)", name)
	}
	return p
}

func pdfText(t *testing.T, b []byte) (string, int) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(needTool(t, "pdftotext"), "-layout", "-enc", "UTF-8", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	info, err := exec.Command(needTool(t, "pdfinfo"), f).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	pages := 0
	for _, ln := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(ln, "Pages:"); ok {
			for _, r := range strings.TrimSpace(v) {
				pages = pages*10 + int(r-'0')
			}
		}
	}
	return string(out), pages
}

// TestDocumentsRender renders every document in English and Chinese, reads the text back with
// pdftotext and rasterises each with pdftoppm (with SPOKE_SCREENSHOTS set, into that folder,
// which `make screenshots` does).
func TestDocumentsRender(t *testing.T) {
	shots := os.Getenv("SPOKE_SCREENSHOTS")
	for _, c := range samples() {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.render()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
			text, pages := pdfText(t, b)
			squeezed := strings.Join(strings.Fields(text), " ")
			for _, w := range c.want {
				if !strings.Contains(squeezed, w) && !strings.Contains(strings.ReplaceAll(squeezed, " ", ""), strings.ReplaceAll(w, " ", "")) {
					t.Errorf("the PDF lacks %q; it says:\n%s", w, text)
				}
			}
			if pages != c.pages {
				t.Errorf("pages = %d, want %d", pages, c.pages)
			}
			dir := shots
			if dir == "" {
				dir = t.TempDir()
			}
			pdf := filepath.Join(t.TempDir(), c.name+".pdf")
			if err := os.WriteFile(pdf, b, 0o600); err != nil {
				t.Fatal(err)
			}
			prefix := filepath.Join(dir, "paper-"+c.name)
			if out, err := exec.Command(needTool(t, "pdftoppm"), "-png", "-r", "110", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			fi, err := os.Stat(prefix + ".png")
			if err != nil || fi.Size() < 2000 {
				t.Fatalf("pdftoppm wrote no image (%v)", err)
			}
		})
	}
}
