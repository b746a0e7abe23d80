package auditrec_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"spoke/protocol/auditrec"
)

func sample() auditrec.Entry {
	return auditrec.Entry{Seq: 7, At: 1764547200123, User: "u-olga", Device: "dev-1", Action: "customer.update",
		Target: "c-42", Fields: "phone,email", Outcome: "ok", Detail: "break-glass", Reason: []byte{0, 1, 2, 0xff},
		MAC: bytes.Repeat([]byte{0xA5}, auditrec.MACSize)}
}

func TestRoundTrip(t *testing.T) {
	noReason := sample()
	noReason.Reason = nil
	unicode := sample()
	unicode.Detail, unicode.Target = "王小明 <&> \"quoted\"", "c-\u2028"
	keyed := sample()
	keyed.ReasonKey = []byte{0, 0, 0, 2, 9, 8, 7}
	for name, e := range map[string]auditrec.Entry{"full": sample(), "no reason": noReason, "unicode": unicode, "reason key": keyed} {
		t.Run(name, func(t *testing.T) {
			b := auditrec.Encode(e)
			got, err := auditrec.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
			}
			if !bytes.Equal(auditrec.Encode(got), b) {
				t.Fatal("decode then encode changed the bytes")
			}
		})
	}
}

// TestWireFormat pins the encoding other devices already hold in change-sets at the hub.
func TestWireFormat(t *testing.T) {
	e := sample()
	e.Reason = []byte("r")
	e.MAC = bytes.Repeat([]byte{0}, auditrec.MACSize)
	want := `{"seq":7,"at":1764547200123,"user":"u-olga","device":"dev-1","action":"customer.update","target":"c-42",` +
		`"fields":"phone,email","outcome":"ok","detail":"break-glass","reason":"cg==","mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`
	if got := string(auditrec.Encode(e)); got != want {
		t.Fatalf("wire form changed:\n got %s\nwant %s", got, want)
	}
	// A reason under its own key: the key follows, outside everything else; the entry without
	// it is the line above byte for byte (older receivers ignore the field).
	e.ReasonKey = []byte("k")
	if got := string(auditrec.Encode(e)); got != strings.TrimSuffix(want, "}")+`,"reason_key":"aw=="}` {
		t.Fatalf("wire form with a reason key:\n got %s", got)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good := auditrec.Encode(sample())
	with := func(f func(*auditrec.Entry)) []byte { e := sample(); f(&e); return auditrec.Encode(e) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, auditrec.ErrMalformed},
		{"not json", []byte("seq=7"), auditrec.ErrMalformed},
		{"trailing garbage", append(bytes.Clone(good), 'x'), auditrec.ErrMalformed},
		{"trailing object", append(bytes.Clone(good), "{}"...), auditrec.ErrMalformed},
		{"two entries", append(bytes.Clone(good), good...), auditrec.ErrMalformed},
		{"wrong type", []byte(`{"seq":"7"}`), auditrec.ErrMalformed},
		{"too large", []byte(`{"detail":"` + strings.Repeat("a", auditrec.MaxSize) + `"}`), auditrec.ErrTooLarge},
		{"seq zero", with(func(e *auditrec.Entry) { e.Seq = 0 }), auditrec.ErrIncomplete},
		{"seq negative", with(func(e *auditrec.Entry) { e.Seq = -1 }), auditrec.ErrIncomplete},
		{"short mac", with(func(e *auditrec.Entry) { e.MAC = e.MAC[:31] }), auditrec.ErrIncomplete},
		{"long mac", with(func(e *auditrec.Entry) { e.MAC = append(e.MAC, 0) }), auditrec.ErrIncomplete},
		{"no device", with(func(e *auditrec.Entry) { e.Device = "" }), auditrec.ErrIncomplete},
		{"no action", with(func(e *auditrec.Entry) { e.Action = "" }), auditrec.ErrIncomplete},
		{"empty object", []byte(`{}`), auditrec.ErrIncomplete},
		{"reason key, no reason", with(func(e *auditrec.Entry) { e.Reason, e.ReasonKey = nil, []byte{1, 2, 3, 4, 5} }), auditrec.ErrIncomplete},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := auditrec.Decode(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode = %v, want %v", err, c.want)
			}
			if !reflect.DeepEqual(e, auditrec.Entry{}) {
				t.Fatalf("a refused entry came back with fields: %+v", e)
			}
		})
	}
}

// TestTruncated: every proper prefix of an entry is refused.
func TestTruncated(t *testing.T) {
	b := auditrec.Encode(sample())
	for n := range len(b) {
		if _, err := auditrec.Decode(b[:n]); err == nil {
			t.Fatalf("a prefix of %d of %d bytes decoded", n, len(b))
		}
	}
}

// TestFlippedByte: a byte flipped anywhere is refused or yields another entry, never the same
// one (so the chain MAC, which covers every field, sees the change).
func TestFlippedByte(t *testing.T) {
	want := sample()
	b := auditrec.Encode(want)
	for i := range b {
		for _, bit := range []byte{0x01, 0x20, 0x80} {
			c := bytes.Clone(b)
			c[i] ^= bit
			got, err := auditrec.Decode(c)
			if err == nil && reflect.DeepEqual(got, want) && !caseOnlyKey(b, i) {
				t.Fatalf("flipping bit %#x of byte %d (%q) decoded to the same entry", bit, i, b[i])
			}
		}
	}
}

// caseOnlyKey reports whether byte i is a letter of a JSON key: encoding/json matches keys
// without regard to case, so {"SEQ":7} is the same entry. That is harmless (the MAC covers the
// values), and no spoke ever encodes it.
func caseOnlyKey(b []byte, i int) bool {
	q := bytes.Count(b[:i], []byte{'"'}) // inside a string when odd
	if q%2 == 0 {
		return false
	}
	end := bytes.IndexByte(b[i:], '"')
	return end >= 0 && i+end+1 < len(b) && b[i+end+1] == ':'
}

// FuzzDecode: decoding never panics, whatever decodes passes the shape checks, and its
// encoding decodes to the same entry and re-encodes to the same bytes (stable round trip).
func FuzzDecode(f *testing.F) {
	f.Add(auditrec.Encode(sample()))
	keyed := sample()
	keyed.ReasonKey = []byte{0, 0, 0, 1, 0xAA}
	f.Add(auditrec.Encode(keyed))
	e := sample()
	e.Reason = nil
	f.Add(auditrec.Encode(e))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"seq":1,"mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","device":"d","action":"a"} `))
	f.Add([]byte(`{"seq":1,"mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","device":"d","action":"a","reason":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := auditrec.Decode(b)
		if err != nil {
			if !errors.Is(err, auditrec.ErrMalformed) && !errors.Is(err, auditrec.ErrIncomplete) && !errors.Is(err, auditrec.ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if e.Seq < 1 || len(e.MAC) != auditrec.MACSize || e.Device == "" || e.Action == "" {
			t.Fatalf("an incomplete entry decoded: %+v", e)
		}
		enc := auditrec.Encode(e)
		again, err := auditrec.Decode(enc)
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("re-decode: %v %+v", err, again)
		}
		if !bytes.Equal(auditrec.Encode(again), enc) {
			t.Fatal("encoding is not stable")
		}
	})
}
