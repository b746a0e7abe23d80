package processing

import (
	"bytes"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"spoke/store"
)

var testShops = []store.Shop{
	{ID: "s1", Name: "Spoke & Chain <Berlin>", Region: "DE", Currency: "EUR"},
	{ID: "s2", Name: "Rose City Cycles", Region: "US", Currency: "USD"},
	{ID: "s3", Name: "上海飞轮单车", Region: "CN", Currency: "CNY"},
}

func testRecord(shops ...store.Shop) Record {
	if len(shops) == 0 {
		shops = testShops
	}
	return Build(shops, store.PersonalFields(), Options{Now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)})
}

func write(t *testing.T, r Record, f Format, l Lang) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Write(&b, f, l); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRecordListsEveryPersonalColumn: every sealed column of the registry has a name of its own
// and appears, by key and by name, in every format and language; so a sealed field added to
// store/schema.go cannot be left out of the record.
func TestRecordListsEveryPersonalColumn(t *testing.T) {
	r := testRecord()
	fields := store.PersonalFields()
	if len(fields) < 10 {
		t.Fatalf("only %d personal fields", len(fields))
	}
	for _, f := range fields {
		if !KnowsField(f.Key()) {
			t.Errorf("%s has no name in fieldNames: add one in English and Chinese", f.Key())
		}
		n := FieldName(f.Key())
		if n.En == "" || n.Zh == "" || n.Zh == n.En {
			t.Errorf("%s: name %+v is not in both languages", f.Key(), n)
		}
	}
	for _, l := range []Lang{EN, ZH} {
		for _, f := range []Format{FormatText, FormatJSON, FormatHTML} {
			out := write(t, r, f, l)
			for _, pf := range fields {
				name := FieldName(pf.Key()).In(l)
				if f == FormatHTML {
					name = html.EscapeString(name)
				}
				if f == FormatJSON {
					b, _ := json.Marshal(name)
					name = strings.Trim(string(b), `"`)
				}
				if !strings.Contains(out, pf.Key()) || !strings.Contains(out, name) {
					t.Errorf("%s/%s: %s (%s) missing", f, l, pf.Key(), name)
				}
			}
		}
	}
	// The purposes that cover everything (sync, backups) name every category.
	for _, p := range r.Purposes {
		if p.Key == "sync" && len(r.CategoryNames(p, EN)) != len(r.Categories) {
			t.Errorf("sync names %d of %d categories", len(r.CategoryNames(p, EN)), len(r.Categories))
		}
		for _, k := range p.Categories {
			if k == "*" {
				continue
			}
			found := false
			for _, c := range r.Categories {
				found = found || c.Key == k
			}
			if !found {
				t.Errorf("purpose %s names unknown category %s", p.Key, k)
			}
		}
	}
}

func TestRecordRendersInBothLanguages(t *testing.T) {
	r := testRecord()
	for _, tc := range []struct {
		l        Lang
		lang     string
		headings []string
	}{
		{EN, `lang="en"`, []string{"Record of processing activities", "Purposes and lawful basis", "Retention", "Transfers and safeguards", "Security measures"}},
		{ZH, `lang="zh-Hans"`, []string{"个人信息处理活动记录", "处理目的与合法依据", "保存期限", "数据传输与保障措施", "安全措施"}},
	} {
		out := write(t, r, FormatHTML, tc.l)
		for _, want := range append(tc.headings, tc.lang, `<meta charset="utf-8">`, "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
			"上海飞轮单车", "Spoke &amp; Chain &lt;Berlin&gt;", "HGB", "11 CCR §7101", "AES-256-GCM", "TLS 1.3") {
			if !strings.Contains(out, want) {
				t.Errorf("%s: HTML lacks %q", tc.l, want)
			}
		}
		if strings.Contains(out, "<Berlin>") || strings.Contains(out, "<no value>") || strings.Contains(out, "ZgotmplZ") {
			t.Errorf("%s: unescaped or broken output", tc.l)
		}
		txt := write(t, r, FormatText, tc.l)
		for _, want := range tc.headings {
			if !strings.Contains(txt, want) {
				t.Errorf("%s: text lacks %q", tc.l, want)
			}
		}
	}
	var back Record
	if err := json.Unmarshal([]byte(write(t, r, FormatJSON, EN)), &back); err != nil || back.Format != RecordFormat || len(back.Shops) != 3 {
		t.Fatalf("JSON: %v %+v", err, back.Shops)
	}
	if back.Shops[0].Laws[0].Key != "gdpr" || back.Shops[1].Laws[0].Key != "ccpa" || back.Shops[2].Laws[0].Key != "pipl" {
		t.Fatalf("laws: %+v", back.Shops)
	}
	// Where the settings declare no hub location, the record says so rather than guess.
	if !strings.Contains(write(t, r, FormatText, EN), "The hub's location as configured") {
		t.Error("no hub location statement")
	}
	h := Build(testShops[:1], store.PersonalFields(), Options{HubLocation: "Frankfurt, DE", InactiveYears: 3, AuditYears: 6, ReasonMonths: 12})
	txt := write(t, h, FormatText, EN)
	for _, want := range []string{"The hub: Frankfurt, DE", "after 3 years without activity", "6 years; break-glass reasons expire after 12 months"} {
		if !strings.Contains(txt, want) {
			t.Errorf("options: text lacks %q", want)
		}
	}
}

func TestNotice(t *testing.T) {
	for _, l := range []Lang{EN, ZH} {
		for _, shop := range testShops {
			var b bytes.Buffer
			if err := testRecord(shop).WriteNotice(&b, l, `privacy@shop.example <script>alert(1)</script>`); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.Contains(out, html.EscapeString(shop.Name)) || strings.Contains(out, "<script>") || !strings.Contains(out, "privacy@shop.example") {
				t.Errorf("%s/%s: shop or contact wrong", l, shop.Region)
			}
			for _, rt := range rights {
				if !strings.Contains(out, html.EscapeString(rt.Name.In(l))) {
					t.Errorf("%s/%s: right %s missing", l, shop.Region, rt.Key)
				}
			}
			for _, p := range purposes {
				if !strings.Contains(out, html.EscapeString(p.Name.In(l))) {
					t.Errorf("%s/%s: purpose %s missing", l, shop.Region, p.Key)
				}
			}
			clock := map[string]string{"DE": "gdpr", "US": "ccpa", "CN": "pipl"}[shop.Region]
			for _, c := range clocks {
				if has := strings.Contains(out, html.EscapeString(c.Text.In(l))); has != (c.Key == clock) {
					t.Errorf("%s/%s: clock %s shown %v", l, shop.Region, c.Key, has)
				}
			}
			for _, want := range []string{`<meta charset="utf-8">`, `lang="` + l.HTMLLang() + `"`, "@media print", NoticeVersion()} {
				if !strings.Contains(out, want) {
					t.Errorf("%s/%s: lacks %q", l, shop.Region, want)
				}
			}
		}
	}
	if err := testRecord().WriteNotice(&bytes.Buffer{}, EN, ""); err == nil {
		t.Error("a notice for three shops")
	}
	if v := NoticeVersion(); len(v) != 12 || v != NoticeVersion() {
		t.Errorf("version %q", v)
	}
}

func TestLawsOf(t *testing.T) {
	for region, want := range map[string]string{"DE": "gdpr", "de": "gdpr", "FR": "gdpr", "NO": "gdpr", "GB": "uk-gdpr", "US": "ccpa",
		"CN": "pipl", "HK": "local", "": "local", "XX": "local", " us ": "ccpa"} {
		if got := LawsOf(region)[0].Key; got != want {
			t.Errorf("%q: %s, want %s", region, got, want)
		}
	}
}

func TestParseLangAndFormat(t *testing.T) {
	for in, want := range map[string]Lang{"en": EN, "EN": EN, "en-US": EN, "en_GB": EN, "zh": ZH, "zh-Hans": ZH, "zh-CN": ZH, "zh_cn": ZH, " zh ": ZH,
		"": "", "fr": "", "zh-TW": "", "zh-Hant": "", "english": "", "en-": "", "en-USA": "", "zh-": ""} {
		got, err := ParseLang(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseLang(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]Format{"text": FormatText, "JSON": FormatJSON, " html ": FormatHTML, "pdf": "", "": ""} {
		got, err := ParseFormat(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
}

func FuzzParseLang(f *testing.F) {
	for _, s := range []string{"en", "zh-Hans", "zh_CN", "en-us", "", "zh-", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLang(s)
		if err == nil && l != EN && l != ZH {
			t.Fatalf("ParseLang(%q) = %q", s, l)
		}
		if err != nil && l != "" {
			t.Fatalf("ParseLang(%q) returned %q with an error", s, l)
		}
	})
}

// TestNoticeSaysNoTracking: the notice tells, in both languages, that opens and clicks of
// campaign messages are not tracked (issue 14).
func TestNoticeSaysNoTracking(t *testing.T) {
	for l, want := range map[Lang]string{EN: "no tracking pixel, no redirect links", ZH: "没有跟踪像素、没有跳转链接"} {
		var b bytes.Buffer
		if err := testRecord(testShops[0]).WriteNotice(&b, l, "privacy@shop.example"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s: the notice does not say opens and clicks are not tracked", l)
		}
	}
}
