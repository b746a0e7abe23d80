package checkup

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestFindingCheck(t *testing.T) {
	ok := F("versions", "update_available", Medium, "dev-1", "device", "dev-1", "version", "0.11.0", "newest", "0.12.0")
	for _, tc := range []struct {
		name string
		mod  func(*Finding)
		bad  bool
	}{
		{"as made", func(*Finding) {}, false},
		{"accepted", func(f *Finding) { f.Status = Accepted }, false},
		{"fixed is a decision, not a run's status", func(f *Finding) { f.Status = Fixed }, true},
		{"unknown severity", func(f *Finding) { f.Severity = "urgent" }, true},
		{"key of another kind", func(f *Finding) { f.Key = "password_weak:dev-1" }, true},
		{"key with a space", func(f *Finding) { f.Key = "update_available:dev 1" }, true},
		{"html in an argument", func(f *Finding) { f.Args["device"] = "<script>" }, true},
		{"a name in an argument's key", func(f *Finding) { f.Args["Olga Owner"] = "x" }, true},
		{"newline in an argument", func(f *Finding) { f.Args["version"] = "1\n2" }, true},
		{"long argument", func(f *Finding) { f.Args["version"] = strings.Repeat("9", 129) }, true},
		{"bad source", func(f *Finding) { f.Source = "Versions!" }, true},
	} {
		f := ok
		f.Args = map[string]string{}
		for k, v := range ok.Args {
			f.Args[k] = v
		}
		tc.mod(&f)
		if err := f.Check(); (err != nil) != tc.bad {
			t.Errorf("%s: Check = %v, want bad=%v", tc.name, err, tc.bad)
		}
	}
	if a := Arg("0.12<b>\n" + strings.Repeat("x", 200)); len(a) != 128 || strings.ContainsAny(a, "<>\n") {
		t.Errorf("Arg = %q", a)
	}
}

// TestEveryKindSaysSomethingInBothLanguages: every built-in kind has a title and a detail in
// English and Chinese, and the Chinese is not the English.
func TestEveryKindSaysSomethingInBothLanguages(t *testing.T) {
	if len(Kinds()) < 20 {
		t.Fatalf("only %d kinds", len(Kinds()))
	}
	for _, k := range Kinds() {
		f := Finding{Kind: k}
		for _, l := range []Lang{EN, ZH} {
			if f.Title(l) == "" || f.Detail(l) == "" {
				t.Errorf("%s: empty text in %s", k, l)
			}
		}
		if f.Title(EN) == f.Title(ZH) || f.Detail(EN) == f.Detail(ZH) {
			t.Errorf("%s: the Chinese text is the English one", k)
		}
	}
}

func TestTextsFillArguments(t *testing.T) {
	f := F("passwords", "password_weak", High, "u1", "username", "sam", "rule", "short", "at", "2026-03-14")
	if got := f.Detail(EN); !strings.Contains(got, "sam") || !strings.Contains(got, "shorter than 12 characters") || strings.Contains(got, "{") {
		t.Errorf("EN detail: %s", got)
	}
	if got := f.Detail(ZH); !strings.Contains(got, "少于 12 个字符") {
		t.Errorf("ZH detail: %s", got)
	}
	missing := F("versions", "update_available", Medium, "d")
	if got := missing.Detail(EN); !strings.Contains(got, "?") {
		t.Errorf("a missing argument must show as ?: %s", got)
	}
	unknown := F("training", "training_overdue", High, "u1", "username", "sam", "days", "3")
	if unknown.Title(EN) != "training overdue" || unknown.Detail(EN) != "days=3, username=sam" {
		t.Errorf("unknown kind: %q %q", unknown.Title(EN), unknown.Detail(EN))
	}
	Describe("test_kind", T("Test", "测试"), T("{n} things", "{n} 件事"))
	if got := F("t", "test_kind", Low, "", "n", "3").Detail(ZH); got != "3 件事" {
		t.Errorf("described kind: %q", got)
	}
}

func sampleReport() *Report {
	fs := []Finding{
		F("config", "config_change", Info, "dev-1:7", "name", "checkup.every_days", "old", "-", "new", "30", "by", "olga", "at", "2026-03-14", "device", "dev-1"),
		F("incidents", "incident_overdue", Critical, "inc-1", "incident", "inc-1", "kind", "device_lost", "due", "2026-03-10 09:00"),
		F("backups", "backup_overdue", High, "dev-1", "device", "dev-1", "last", "2026-03-01", "hours", "300", "limit_hours", "1"),
	}
	fs[2].Status, fs[2].Note, fs[2].DecidedBy, fs[2].DecidedAt = Accepted, "<script>alert(1)</script> the USB disk is at the bank", "olga", time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	fs[1].Reopened = true
	return &Report{RunID: "run-1", At: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), RunBy: "olga", Device: "dev-1", Trigger: "scheduled", Version: "0.12.0", Findings: fs}
}

func TestReportHTML(t *testing.T) {
	r := sampleReport()
	for _, tc := range []struct {
		l    Lang
		want []string
	}{
		{EN, []string{`lang="en"`, "Security check-up", "Critical", "Breach register: notification deadline passed", "marked fixed before, still found", "the first check-up", "&lt;script&gt;", "scheduled"}},
		{ZH, []string{`lang="zh-Hans"`, "安全检查", "严重", "泄露登记：通知期限已过", "曾标记为已修复", "首次检查", "&lt;script&gt;", "计划执行"}},
	} {
		b, err := r.HTML(tc.l, time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		out := string(b)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: missing %q", tc.l, w)
			}
		}
		if strings.Contains(out, "<script>") || strings.Contains(out, "ZgotmplZ") {
			t.Errorf("%s: unescaped or refused content", tc.l)
		}
		// Most urgent first.
		if strings.Index(out, "incident_overdue:inc-1") > strings.Index(out, "backup_overdue:dev-1") {
			t.Errorf("%s: critical not before high", tc.l)
		}
	}
	c := r.Counts()
	if c[0].Severity != Critical || c[0].Open != 1 || c[1].Accepted != 1 || c[4].Open != 1 {
		t.Errorf("counts: %+v", c)
	}
	if r.OpenAt(Critical) != 1 || r.OpenAt(High) != 0 || r.Finding("backup_overdue:dev-1") == nil {
		t.Error("OpenAt / Finding")
	}
}

func TestParseLang(t *testing.T) {
	for in, want := range map[string]Lang{"en": EN, "EN-us": EN, "zh": ZH, "zh_CN": ZH, "zh-Hans": ZH} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("ParseLang(%q) = %v %v", in, got, err)
		}
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Error("fr parsed")
	}
}

// FuzzFindings: a run's findings as the file or another device holds them (JSON). Whatever
// decodes and passes Check renders in both languages without a raw tag from its arguments.
func FuzzFindings(f *testing.F) {
	b, _ := json.Marshal(sampleReport().Findings)
	f.Add(b)
	f.Add([]byte(`[{"key":"x","source":"s","kind":"x","severity":"low","status":"open","args":{"a":"<b>"}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fs []Finding
		if json.Unmarshal(b, &fs) != nil {
			return
		}
		var ok []Finding
		for _, x := range fs {
			if x.Check() == nil {
				x.Note = ""
				ok = append(ok, x)
			}
		}
		r := &Report{RunID: "r", Findings: ok}
		for _, l := range []Lang{EN, ZH} {
			out, err := r.HTML(l, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "<b>") || strings.Contains(string(out), "<script") {
				t.Fatalf("raw tag in the report: %s", out)
			}
		}
	})
}
