package detect_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"spoke/detect"
	"spoke/detect/eval"
)

func smallTrace(t testing.TB) *eval.Trace {
	t.Helper()
	return eval.Generate(eval.Params{Seed: 3, Staff: 10, Weeks: 7})
}

// A detector saved halfway through a trace and restored raises, over the rest, exactly the
// alerts the one that ran on raises: the baselines, windows and episodes survive a restart.
func TestStateRoundTrip(t *testing.T) {
	tr := smallTrace(t)
	shops, err := tr.ShopList()
	if err != nil {
		t.Fatal(err)
	}
	cfg := detect.DefaultConfig()
	for _, cut := range []int{len(tr.Events) / 3, len(tr.Events) * 2 / 3} {
		a := detect.New(cfg, shops)
		var want []detect.Alert
		for _, ev := range tr.Events[:cut] {
			a.Observe(ev)
		}
		state, err := a.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range tr.Events[cut:] {
			want = append(want, a.Observe(ev)...)
		}
		b, err := detect.Restore(cfg, shops, state)
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		again, err := b.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(state, again) {
			t.Fatal("a restored state does not save to the same bytes")
		}
		var got []detect.Alert
		for _, ev := range tr.Events[cut:] {
			got = append(got, b.Observe(ev)...)
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d: %d alerts after restore, %d without", cut, len(got), len(want))
		}
	}
}

func TestRestoreRefuses(t *testing.T) {
	tr := smallTrace(t)
	d := detect.New(detect.DefaultConfig(), nil)
	for _, ev := range tr.Events[:len(tr.Events)/2] {
		d.Observe(ev)
	}
	state, err := d.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(state, &m); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var c map[string]any
		json.Unmarshal(state, &c)
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	firstUser := func(m map[string]any) map[string]any {
		for _, u := range m["users"].(map[string]any) {
			um := u.(map[string]any)
			if items, _ := um["items"].([]any); len(items) > 2 {
				return um
			}
		}
		t.Fatal("no user with a window")
		return nil
	}
	cases := []struct {
		name, err string
		state     []byte
	}{
		{"not JSON", "malformed", []byte("spoke")},
		{"another version", "version 2, this build reads version 1", []byte(`{"v":2}`)},
		{"no version", "version 0", []byte(`{"users":{}}`)},
		{"an unknown key", "unknown field", edit(func(m map[string]any) { m["extra"] = 1 })},
		{"a window out of order", "window out of order", edit(func(m map[string]any) {
			items := firstUser(m)["items"].([]any)
			items[0].(map[string]any)["t"] = 1e15
		})},
		{"a baseline too long", "wrong size", edit(func(m map[string]any) {
			h := firstUser(m)["hist"].([]any)[0].(map[string]any)
			h["v"] = make([]float64, 91)
		})},
		{"a negative count", "out of range", edit(func(m map[string]any) {
			h := firstUser(m)["hist"].([]any)[0].(map[string]any)
			h["v"] = []float64{-1}
		})},
		{"a share above one", "share out of range", edit(func(m map[string]any) {
			firstUser(m)["not_own"] = map[string]any{"mean": 2, "n": 1}
		})},
		{"too large", "larger than", make([]byte, detect.MaxState+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := detect.Restore(detect.DefaultConfig(), nil, c.state)
			if err == nil || !errors.Is(err, detect.ErrBadState) || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
		})
	}
}

var fuzzTrace = eval.Generate(eval.Params{Seed: 1, Staff: 8, Weeks: 7})

// FuzzRestore: any bytes are refused with ErrBadState or restore to a detector that observes
// without failing and saves to bytes that restore to the same bytes again.
func FuzzRestore(f *testing.F) {
	tr := fuzzTrace
	d := detect.New(detect.DefaultConfig(), nil)
	for i, ev := range tr.Events {
		d.Observe(ev)
		if i == 300 {
			s, _ := d.MarshalState()
			f.Add(s)
		}
	}
	f.Add([]byte(`{"v":1,"users":{"u":{"id":"u","first":1,"last":2,"items":[{"t":1,"b":1,"c":"c"}]}}}`))
	f.Add([]byte(`{"v":1}`))
	probe := tr.Events[len(tr.Events)-50:]
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := detect.Restore(detect.DefaultConfig(), nil, b)
		if err != nil {
			if !errors.Is(err, detect.ErrBadState) {
				t.Fatalf("error without ErrBadState: %v", err)
			}
			return
		}
		s1, err := r.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := detect.Restore(detect.DefaultConfig(), nil, s1)
		if err != nil {
			t.Fatalf("a saved state is refused: %v", err)
		}
		s2, _ := r2.MarshalState()
		if !bytes.Equal(s1, s2) {
			t.Fatal("save, restore, save gives other bytes")
		}
		for _, ev := range probe {
			r.Observe(ev)
		}
	})
}
