package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"spoke/detect"
	"spoke/detect/eval"
)

// detectCLI runs spoke detect in-process (it needs no data directory).
func detectCLI(t testing.TB, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), env, append([]string{"detect"}, args...))
	return code, out.String(), errb.String()
}

func alertsOf(t testing.TB, out string) []detect.Alert {
	t.Helper()
	var as []detect.Alert
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var a detect.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("not one JSON alert per line: %q", sc.Text())
		}
		as = append(as, a)
	}
	return as
}

// A small trail, out of order, with an unknown action and a blank line: twelve deletions in
// six minutes are one bulk-delete alert, whose fields are those the issue names.
func TestCLIDetect(t *testing.T) {
	var lines []string
	for i := 11; i >= 0; i-- { // newest first, as spoke audit prints them
		lines = append(lines, fmt.Sprintf(`{"seq":%d,"at":"2026-03-17T11:%02d:00+01:00","user_id":"u-ana","username":"ana","device_id":"d1","action":"customer.delete","target":"c-%d","outcome":"ok","role":"manager","shop_id":"s1","grant":"shop"}`, 100+i, i/2, i))
	}
	lines = append(lines, "", `{"at":"2026-03-17T11:03:00+01:00","user_id":"u-ana","action":"coffee.brew","fields":["x"]}`)
	file := writeFile(t, "events.jsonl", []byte(strings.Join(lines, "\n")+"\n"))
	shops := writeFile(t, "shops.json", []byte(`[{"shop_id":"s1","tz":"Europe/Berlin","open":{"tue":["09:00","18:30"]}}]`))

	code, out, errs := detectCLI(t, "", "--events", file, "--shops", shops, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	as := alertsOf(t, out)
	if len(as) != 1 {
		t.Fatalf("alerts: %s", out)
	}
	a := as[0]
	if a.UserID != "u-ana" || a.Username != "ana" || a.Kind != detect.KindBulkDelete || a.Score < 80 ||
		a.FirstAt.Format("15:04") != "11:00" || a.RaisedAt.Format("15:04") != "11:05" || len(a.Reasons) == 0 {
		t.Fatalf("alert %+v", a)
	}
	var raw map[string]any
	json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &raw)
	for _, k := range []string{"user_id", "username", "kind", "score", "first_at", "raised_at", "reasons"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	if !strings.Contains(errs, "13 events replayed (1 with actions the detector does not use), 1 alert(s)") {
		t.Errorf("stderr %q", errs)
	}
	// The table, from standard input.
	code, out, _ = detectCLI(t, strings.Join(lines, "\n"), "--events", "-")
	if code != 0 || !strings.Contains(out, "RAISED") || !strings.Contains(out, "bulk_delete") || !strings.Contains(out, "deleted 11 customers") {
		t.Fatalf("exit %d, table:\n%s", code, out)
	}
}

func TestCLIDetectRefuses(t *testing.T) {
	good := `{"at":"2026-03-17T11:00:00Z","user_id":"u","action":"customer.read","target":"c"}`
	events := writeFile(t, "e.jsonl", []byte(good+"\n"+good+"\n"+`{"at":"yesterday","user_id":"u","action":"customer.read"}`+"\n"))
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no events flag", nil, 2, "usage: spoke detect --events FILE.jsonl"},
		{"a stray argument", []string{"--events", events, "extra"}, 2, "usage:"},
		{"an unknown flag", []string{"--evnts", events}, 2, "flag provided but not defined"},
		{"a malformed line", []string{"--events", events}, 1, `line 3: not an audit event: "at" is not an RFC 3339 time`},
		{"no such file", []string{"--events", filepath.Join(t.TempDir(), "none.jsonl")}, 1, "open the events file"},
		{"bad shops", []string{"--events", writeFile(t, "ok.jsonl", []byte(good)), "--shops", writeFile(t, "s.json", []byte(`[{"shop_id":"s1","tz":"Mars/Olympus","open":{}}]`))}, 1, `tz "Mars/Olympus" is not a known time zone`},
		{"bad leavers", []string{"--events", writeFile(t, "ok2.jsonl", []byte(good)), "--leavers", writeFile(t, "l.json", []byte(`[{"user_id":"u","leaving":"soon"}]`))}, 1, "entry 1 (u): leaving is not a YYYY-MM-DD day"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := detectCLI(t, "", c.args...)
			if code != c.code || !strings.Contains(errs, c.err) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, c.code, errs, c.err)
			}
			if out != "" {
				t.Fatalf("printed %q", out)
			}
		})
	}
}

// The CLI path scored: a generated trace written as the files spoke-eval writes, replayed by
// spoke detect, gives the alerts the in-process harness gives (leaving dates aside, which the
// file gives from the start), and finds every scenario kind of this seed.
func TestCLIDetectScoresGeneratedTrace(t *testing.T) {
	tr := eval.Generate(eval.Params{Seed: 11, Staff: 14})
	dir := t.TempDir()
	if err := eval.WriteTrace(dir, tr); err != nil {
		t.Fatal(err)
	}
	code, out, errs := detectCLI(t, "", "--events", filepath.Join(dir, "events.jsonl"), "--shops", filepath.Join(dir, "shops.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := alertsOf(t, out)
	want, err := eval.Run(tr, detect.DefaultConfig(), eval.Options{NoLeavers: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("the CLI raised %d alerts, the harness %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.RaisedAt.Equal(w.RaisedAt) || !g.FirstAt.Equal(w.FirstAt) {
			t.Fatalf("alert %d at %v/%v, harness %v/%v", i, g.FirstAt, g.RaisedAt, w.FirstAt, w.RaisedAt)
		}
		g.RaisedAt, g.FirstAt = w.RaisedAt, w.FirstAt // equal instants; the zones differ (named vs offset)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("alert %d:\n%+v\n%+v", i, g, w)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels eval.Labels
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	res := eval.Score(labels, got)
	for _, f := range res.Scenarios {
		if !f.Found {
			t.Errorf("scenario %s (%s) not found", f.Scenario.ID, f.Scenario.Kind)
		}
	}
	if res.FalsePerShopWeek() > 1 {
		t.Errorf("%.2f false alerts per shop-week", res.FalsePerShopWeek())
	}
	// With the leaving dates, as the owner would have recorded them.
	code, out, errs = detectCLI(t, "", "--events", filepath.Join(dir, "events.jsonl"), "--shops", filepath.Join(dir, "shops.json"),
		"--leavers", filepath.Join(dir, "leavers.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if r := eval.Score(labels, alertsOf(t, out)); r.Recall < 1 {
		t.Errorf("with leavers: recall %.2f", r.Recall)
	}
}
