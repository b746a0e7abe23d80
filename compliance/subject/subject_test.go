package subject

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"spoke/compliance/docfile"
	"spoke/compliance/processing"
	"spoke/store"
)

// testWF keeps scrypt cheap where a test does not check the real cost.
const testWF = 10

var at = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func sample() *store.SubjectData {
	return &store.SubjectData{Format: store.SubjectFormat, GeneratedAt: at, CustomerID: "c0ffee00-0000-4000-8000-000000000001",
		Shop: store.Shop{ID: "s1", Name: "上海飞轮单车 & <Co>", Region: "CN", Currency: "CNY"},
		Contact: store.SubjectContact{Name: "王小明 <script>alert(1)</script>", Email: "xm@example.cn", Phone: "+8613800138000", Address: "上海市徐汇区 1 号", Notes: `likes "fast" bikes & tea`,
			PhoneAlt: "+862161234567", Source: "shopify:7301234567001", CreatedAt: at},
		Bikes: []store.SubjectBike{{ID: "b1", Make: "Giant", Model: "TCR", Serial: "GNT0001X", Notes: "座高 72cm", CreatedAt: at}},
		WorkOrders: []store.SubjectWorkOrder{{ID: "w1", BikeID: "b1", Status: store.StatusReady, Complaint: "刹车异响", Notes: "rear pads worn", Total: 12000, LabourTotal: 8000, PartsTotal: 4000,
			Lines: []store.SubjectLine{{Kind: "labour", Description: "Brake service", Qty: 1, UnitPrice: 8000, Total: 8000}}, CreatedAt: at, UpdatedAt: at}},
		Sales: []store.SubjectSale{{ID: "s1", PaymentMethod: "card", SoldAt: at, Total: 3998, Lines: []store.SubjectLine{{Kind: "part", SKU: "TUBE-700", Description: "Inner tube 700c", Qty: 2, UnitPrice: 1999, Total: 3998}}}},
		Sections: []store.SubjectSection{{Name: "consents", Title: store.Label{En: "Consents", Zh: "同意记录"},
			Columns: []store.SectionColumn{{Key: "purpose", Label: store.Label{En: "Purpose", Zh: "目的"}}}, Rows: [][]string{{"sms <b>marketing</b>"}}}},
		Audit: []store.SubjectAccess{{At: at, Action: "customer.read.break_glass", About: "customer", Target: "c0ffee00-0000-4000-8000-000000000001", ByRole: "sales", Outcome: "ok",
			Fields: []string{"name", "phone"}, Reason: "customer <at> the counter"}},
	}
}

// esc is how html/template writes a value in text.
func esc(s string) string { return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;") }

func sampleRecord(d *store.SubjectData) processing.Record {
	return processing.Build([]store.Shop{d.Shop}, store.PersonalFields(), processing.Options{Now: at})
}

func TestHTMLHoldsEveryValueEscaped(t *testing.T) {
	d := sample()
	rec := sampleRecord(d)
	values := []string{d.Contact.Name, d.Contact.Email, d.Contact.Phone, d.Contact.PhoneAlt, d.Contact.Source, d.Contact.Address, d.Contact.Notes, d.Bikes[0].Serial, d.Bikes[0].Notes,
		d.WorkOrders[0].Complaint, d.WorkOrders[0].Notes, "Brake service", "Inner tube 700c", "sms <b>marketing</b>", "customer <at> the counter", d.Shop.Name}
	for _, tc := range []struct {
		l    processing.Lang
		want []string
	}{
		{processing.EN, []string{`lang="en"`, "Your personal data", "Who used your data", "viewed by break-glass", "salesperson", "120.00 CNY", "Purposes and lawful basis", "Your rights", "Consents"}},
		{processing.ZH, []string{`lang="zh-Hans"`, "您的个人信息", "谁使用了您的数据", "紧急访问查看", "销售员", "可取车", "处理目的与合法依据", "您的权利", "同意记录"}},
	} {
		b, err := HTML(d, rec, tc.l)
		if err != nil {
			t.Fatal(err)
		}
		out := string(b)
		for _, v := range values {
			if !strings.Contains(out, esc(v)) {
				t.Errorf("%s: lacks %q", tc.l, v)
			}
		}
		for _, w := range append(tc.want, `<meta charset="utf-8">`, "Noto Sans CJK SC", "Microsoft YaHei") {
			if !strings.Contains(out, w) {
				t.Errorf("%s: lacks %q", tc.l, w)
			}
		}
		for _, bad := range []string{"<script>", "<b>marketing", "<at>", "<Co>", "ZgotmplZ", "<no value>"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: holds %q unescaped", tc.l, bad)
			}
		}
		// Every category of the record (every sealed column) is stated to the person.
		for _, f := range store.PersonalFields() {
			if !strings.Contains(out, esc(processing.FieldName(f.Key()).In(tc.l))) {
				t.Errorf("%s: category %s not stated", tc.l, f.Key())
			}
		}
	}
}

func TestSealOpen(t *testing.T) {
	d := sample()
	files, err := Files(d, sampleRecord(d))
	if err != nil {
		t.Fatal(err)
	}
	pass, err := NewPassphrase()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := seal(files, pass, at, testWF)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"王小明", "GNT0001X", "xm@example.cn"} {
		if bytes.Contains(sealed, []byte(v)) {
			t.Fatalf("sealed file shows %q", v)
		}
	}
	got, err := Open(sealed, "  "+strings.ToLower(pass)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, files) {
		t.Fatal("opened files differ from sealed ones")
	}
	js, _ := Find(got, FileJSON)
	var back store.SubjectData
	if err := json.Unmarshal(js, &back); err != nil || back.Contact.Name != d.Contact.Name || back.Bikes[0].Serial != "GNT0001X" {
		t.Fatalf("subject.json: %v %+v", err, back.Contact)
	}
	other, _ := NewPassphrase()
	if _, err := Open(sealed, other); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(sealed, ""); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-20] ^= 1
	if _, err := Open(bad, pass); err == nil || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("tampered payload: %v", err)
	}
	if _, err := seal(files, "", at, testWF); err == nil {
		t.Fatal("sealed without a passphrase")
	}
}

func TestPassphrase(t *testing.T) {
	re := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$`)
	seen := map[string]bool{}
	for range 200 {
		p, err := NewPassphrase()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(p) || seen[p] {
			t.Fatalf("passphrase %q", p)
		}
		seen[p] = true
	}
}

// TestWrite runs the real thing: scrypt at its production cost, the file written once.
func TestWrite(t *testing.T) {
	d := sample()
	path := filepath.Join(t.TempDir(), DefaultName(d.CustomerID, at))
	if !strings.Contains(path, d.CustomerID) || strings.Contains(path, "王") {
		t.Fatalf("default name %q", path)
	}
	res, err := Write(path, d, sampleRecord(d))
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := os.ReadFile(path)
	if len(sealed) != res.Bytes || len(res.Files) != 5 || res.Counts[1] != (store.SubjectCount{Name: "bikes", N: 1}) {
		t.Fatalf("result %+v", res)
	}
	files, err := Open(sealed, res.Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{FileJSON, FileProcessing, FileHTMLEN, FileHTMLZH, FileReadme} {
		if _, ok := Find(files, n); !ok {
			t.Errorf("no %s", n)
		}
	}
	if _, err := Write(path, d, sampleRecord(d)); !errors.Is(err, docfile.ErrExists) {
		t.Fatalf("second write: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, sealed) {
		t.Fatal("the first export was overwritten")
	}
}

func TestPlainName(t *testing.T) {
	for name, want := range map[string]bool{"subject.json": true, "README.txt": true, "subject-zh.html": true, "": false, ".": false, "..": false,
		"../x": false, "a/b": false, `a\b`: false, "/etc/passwd": false, "C:x": false, ".hidden": false, "a\x00b": false, "\xff": false,
		strings.Repeat("a", 65): false} {
		if plainName(name) != want {
			t.Errorf("plainName(%q) = %v", name, !want)
		}
	}
}

func zipOf(t testing.TB, names ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
	}
	zw.Close()
	return b.Bytes()
}

func TestReadArchiveRefusesWhatSealNeverWrites(t *testing.T) {
	for name, z := range map[string][]byte{
		"traversal": zipOf(t, "../evil"), "folder": zipOf(t, "a/b.json"), "duplicate": zipOf(t, "a", "a"),
		"too many": zipOf(t, strings.Split(strings.Repeat("f,", maxFiles+1), ",")[:maxFiles+1]...), "not a zip": []byte("hello"),
	} {
		if name == "too many" {
			var names []string
			for i := range maxFiles + 1 {
				names = append(names, "f"+string(rune('a'+i%26))+string(rune('a'+i/26)))
			}
			z = zipOf(t, names...)
		}
		if _, err := readArchive(z); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if fs, err := readArchive(zipOf(t, "a.json", "b.html")); err != nil || len(fs) != 2 {
		t.Fatalf("valid archive: %v", err)
	}
}

func FuzzReadArchive(f *testing.F) {
	d := sample()
	files, _ := Files(d, sampleRecord(d))
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, fl := range files {
		w, _ := zw.Create(fl.Name)
		w.Write(fl.Data)
	}
	zw.Close()
	f.Add(b.Bytes())
	f.Add(zipOf(f, "../x"))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, z []byte) {
		fs, err := readArchive(z)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		if len(fs) > maxFiles {
			t.Fatalf("%d files", len(fs))
		}
		for _, fl := range fs {
			if !plainName(fl.Name) || seen[fl.Name] || len(fl.Data) > maxFile {
				t.Fatalf("accepted %q", fl.Name)
			}
			seen[fl.Name] = true
		}
	})
}

func FuzzOpen(f *testing.F) {
	sealed, err := seal([]File{{"subject.json", []byte("{}")}}, "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", at, testWF)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
	f.Add(sealed, "wrong")
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 30\n"), "x")
	f.Fuzz(func(t *testing.T, b []byte, pass string) {
		fs, err := Open(b, pass)
		if err == nil {
			for _, fl := range fs {
				if !plainName(fl.Name) {
					t.Fatalf("accepted %q", fl.Name)
				}
			}
		}
	})
}
