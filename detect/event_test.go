package detect

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	cases := []struct {
		name, line string
		want       Event
		err        string
	}{
		{name: "audit line", line: `{"seq":7,"at":"2026-03-14T09:30:00.123+01:00","user_id":"u1","username":"ana","device_id":"d1","action":"customer.read","target":"c1","fields":["name"],"outcome":"ok","role":"sales","shop_id":"s1","grant":"own"}`,
			want: Event{Seq: 7, At: time.Date(2026, 3, 14, 9, 30, 0, 123e6, time.FixedZone("", 3600)), UserID: "u1", Username: "ana", DeviceID: "d1", Action: "customer.read", Target: "c1", Outcome: "ok", Role: "sales", ShopID: "s1", Grant: "own"}},
		{name: "minimal, outcome defaults to ok", line: `{"at":"2026-03-14T08:30:00Z","user_id":"u1","action":"stats.read"}`,
			want: Event{At: time.Date(2026, 3, 14, 8, 30, 0, 0, time.UTC), UserID: "u1", Action: "stats.read", Outcome: "ok"}},
		{name: "unknown action kept (Observe ignores it)", line: `{"at":"2026-03-14T08:30:00Z","user_id":"u1","action":"campaign.send"}`,
			want: Event{At: time.Date(2026, 3, 14, 8, 30, 0, 0, time.UTC), UserID: "u1", Action: "campaign.send", Outcome: "ok"}},
		{name: "no at", line: `{"user_id":"u1","action":"customer.read"}`, err: `no "at"`},
		{name: "no user", line: `{"at":"2026-03-14T08:30:00Z","action":"customer.read"}`, err: `no "user_id"`},
		{name: "no action", line: `{"at":"2026-03-14T08:30:00Z","user_id":"u1"}`, err: `no "action"`},
		{name: "bad time", line: `{"at":"14.3.2026 08:30","user_id":"u1","action":"x"}`, err: "not an RFC 3339 time"},
		{name: "time out of range", line: `{"at":"0001-01-01T00:00:00Z","user_id":"u1","action":"x"}`, err: "out of range"},
		{name: "seq a string", line: `{"seq":"7","at":"2026-03-14T08:30:00Z","user_id":"u1","action":"x"}`, err: `field "seq" has the wrong type`},
		{name: "not JSON", line: `seq=7 at=now`, err: "malformed JSON"},
		{name: "truncated", line: `{"at":"2026-03-14T08:30:00Z","user_id":"u1"`, err: "malformed JSON"},
		{name: "an array", line: `[1,2]`, err: "wrong type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseEvent([]byte(c.line))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrBadEvent) {
					t.Fatalf("err = %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(c.want.At) {
				t.Fatalf("at %v, want %v", got.At, c.want.At)
			}
			got.At, c.want.At = time.Time{}, time.Time{}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestDetailParsing(t *testing.T) {
	for _, c := range []struct {
		detail, key string
		n           int
		ok          bool
	}{
		{"count=212", "count", 212, true},
		{"purpose=x count=5", "count", 5, true},
		{"recount=5", "count", 0, false},
		{"count=", "count", 0, false},
		{"matches=3 a b c", "matches", 3, true},
		{"failed attempts=5; locked", "attempts", 5, true},
		{"count=99999999999999", "count", 999999999, true},
	} {
		n, ok := detailInt(c.detail, c.key)
		if n != c.n || ok != c.ok {
			t.Errorf("detailInt(%q, %q) = %d, %v; want %d, %v", c.detail, c.key, n, ok, c.n, c.ok)
		}
	}
	if ids := matchedIDs("matches=2 c-1 c-2"); len(ids) != 2 || ids[1] != "c-2" {
		t.Errorf("matchedIDs: %v", ids)
	}
	if ids := matchedIDs("matches=0"); ids != nil {
		t.Errorf("matchedIDs of none: %v", ids)
	}
}

// FuzzParseEvent: any line either fails with ErrBadEvent or gives an event with the required
// fields, which encodes and decodes back to itself.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"seq":7,"at":"2026-03-14T09:30:00.123+01:00","user_id":"u1","username":"ana","device_id":"d1","action":"customer.read","target":"c1","outcome":"ok","role":"sales","shop_id":"s1","grant":"own"}`))
	f.Add([]byte(`{"at":"2026-03-14T08:30:00Z","user_id":"unknown","action":"auth.sign_in","outcome":"failed","detail":"unknown user"}`))
	f.Add([]byte(`{"at":"2026-03-14T08:30:00Z","user_id":"u","action":"customer.export","detail":"count=50"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := ParseEvent(line)
		if err != nil {
			if !errors.Is(err, ErrBadEvent) {
				t.Fatalf("error without ErrBadEvent: %v", err)
			}
			return
		}
		if ev.At.IsZero() || ev.UserID == "" || ev.Action == "" || ev.Outcome == "" {
			t.Fatalf("accepted without a required field: %+v", ev)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := ParseEvent(b)
		if err != nil {
			t.Fatalf("re-encoded event refused: %v (%s)", err, b)
		}
		if !ev2.At.Equal(ev.At) {
			t.Fatalf("time changed: %v -> %v", ev.At, ev2.At)
		}
		ev.At, ev2.At = time.Time{}, time.Time{}
		if ev != ev2 {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", ev, ev2)
		}
		// The detector takes whatever the decoder accepts.
		New(Config{}, nil).Observe(ev)
	})
}
