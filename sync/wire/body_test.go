package wire

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestValueOfAny(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want Value
		back any // what Any returns
	}{
		{"nil", nil, Value{Kind: KindNull}, nil},
		{"int64", int64(-7), Value{Kind: KindInt, Int: -7}, int64(-7)},
		{"int", 12, Value{Kind: KindInt, Int: 12}, int64(12)},
		{"true", true, Value{Kind: KindInt, Int: 1}, int64(1)},
		{"false", false, Value{Kind: KindInt}, int64(0)},
		{"text", "Lena", Value{Kind: KindText, Text: "Lena"}, "Lena"},
		{"empty text", "", Value{Kind: KindText}, ""},
		{"blob", []byte{0, 1, 2}, Value{Kind: KindBlob, Blob: []byte{0, 1, 2}}, []byte{0, 1, 2}},
		{"empty blob", []byte{}, Value{Kind: KindBlob}, []byte{}},
		{"nil blob", []byte(nil), Value{Kind: KindBlob}, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ValueOf(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, tt.want) {
				t.Fatalf("ValueOf = %#v, want %#v", v, tt.want)
			}
			back := v.Any()
			if !reflect.DeepEqual(back, tt.back) {
				t.Fatalf("Any = %#v, want %#v", back, tt.back)
			}
			// Any's result fed back gives the same Value.
			again, err := ValueOf(back)
			if err != nil || !reflect.DeepEqual(again, v) {
				t.Fatalf("ValueOf(Any) = %#v, %v", again, err)
			}
			// An empty blob must stay a blob for the driver, not become NULL.
			if v.Kind == KindBlob && back.([]byte) == nil {
				t.Fatal("Any returned a nil []byte for a blob")
			}
		})
	}
	t.Run("blob is copied", func(t *testing.T) {
		buf := []byte("abc")
		v, _ := ValueOf(buf)
		buf[0] = 'X'
		if string(v.Blob) != "abc" {
			t.Fatal("ValueOf aliases the caller's buffer")
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		for _, in := range []any{3.5, float32(1), uint64(1), struct{}{}, []string{"x"}} {
			if _, err := ValueOf(in); err == nil {
				t.Errorf("ValueOf(%T) succeeded", in)
			}
		}
	})
	if (Value{Kind: 9}).Any() != nil {
		t.Error("unknown kind: Any is not nil")
	}
}

func TestBodyRoundTrip(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name    string
		changes []Change
	}{
		{"empty", nil},
		{"sample", sampleChanges()},
		{"limits", []Change{{
			HLC: 1, Device: long(maxString), Table: long(maxName), RowID: long(maxString), Column: long(maxName),
			Value: Value{Kind: KindText, Text: long(maxValue)},
		}, {
			HLC: 2, Device: "d", Table: "t", RowID: "r", Column: "c",
			Value: Value{Kind: KindBlob, Blob: bytes.Repeat([]byte{0xff}, maxValue)}, Sealed: true,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := EncodeBody(tt.changes)
			if len(b) != bodySize(tt.changes) {
				t.Fatalf("len = %d, bodySize = %d", len(b), bodySize(tt.changes))
			}
			got, err := DecodeBody(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.changes) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, tt.changes)
			}
			if !bytes.Equal(EncodeBody(got), b) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

// Body building blocks for hand-made inputs.
func u16(n int) []byte    { return binary.BigEndian.AppendUint16(nil, uint16(n)) }
func u32(n int) []byte    { return binary.BigEndian.AppendUint32(nil, uint32(n)) }
func str(s string) []byte { return append(u16(len(s)), s...) }

// change builds one encoded change from its parts.
func change(device, table, row, col string, flags, kind byte, value []byte) []byte {
	return concat(make([]byte, 8), str(device), str(table), str(row), str(col), []byte{flags, kind}, value)
}

func body(changes ...[]byte) []byte {
	return concat(append([][]byte{u32(len(changes))}, changes...)...)
}

func TestDecodeBodyRefuses(t *testing.T) {
	ok := change("d", "t", "r", "c", 0, byte(KindNull), nil)
	if _, err := DecodeBody(body(ok)); err != nil {
		t.Fatalf("baseline body refused: %v", err)
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"nil", nil, ErrMalformed},
		{"short count", []byte{0, 0, 0}, ErrMalformed},
		{"count past limit", u32(maxChanges + 1), ErrTooLarge},
		{"count max uint32", u32(-1), ErrTooLarge},
		{"count beyond input", concat(u32(2), ok), ErrMalformed},
		{"trailing after empty", concat(u32(0), []byte{0}), ErrMalformed},
		{"trailing after change", concat(body(ok), []byte{0}), ErrMalformed},
		{"device length past limit", body(change(strings.Repeat("d", maxString+1), "t", "r", "c", 0, 0, nil)), ErrTooLarge},
		{"declared device length 0xffff", concat(u32(1), make([]byte, 8), u16(0xffff), make([]byte, 30)), ErrTooLarge},
		{"declared device length beyond input", concat(u32(1), make([]byte, 8), u16(1000), make([]byte, 30)), ErrMalformed},
		{"table too long", body(change("d", strings.Repeat("t", maxName+1), "r", "c", 0, 0, nil)), ErrTooLarge},
		{"column too long", body(change("d", "t", "r", strings.Repeat("c", maxName+1), 0, 0, nil)), ErrTooLarge},
		{"row id too long", body(change("d", "t", strings.Repeat("r", maxString+1), "c", 0, 0, nil)), ErrTooLarge},
		{"value length past limit", body(change("d", "t", "r", "c", 0, byte(KindBlob), u32(maxValue+1))), ErrTooLarge},
		{"value length max uint32", body(change("d", "t", "r", "c", 0, byte(KindText), u32(-1))), ErrTooLarge},
		{"value length beyond input", body(change("d", "t", "r", "c", 0, byte(KindBlob), concat(u32(100), []byte("xy")))), ErrMalformed},
		{"int truncated", body(change("d", "t", "r", "c", 0, byte(KindInt), []byte{1, 2, 3})), ErrMalformed},
		{"empty device", body(change("", "t", "r", "c", 0, 0, []byte{0, 0, 0})), ErrMalformed},
		{"empty table", body(change("d", "", "r", "c", 0, 0, []byte{0, 0, 0})), ErrMalformed},
		{"empty row id", body(change("d", "t", "", "c", 0, 0, []byte{0, 0, 0})), ErrMalformed},
		{"empty column", body(change("d", "t", "r", "", 0, 0, []byte{0, 0, 0})), ErrMalformed},
		{"device with slash", body(change("../d", "t", "r", "c", 0, 0, nil)), ErrMalformed},
		{"table with space", body(change("d", "t x", "r", "c", 0, 0, nil)), ErrMalformed},
		{"column starts with digit", body(change("d", "t", "r", "1c", 0, 0, nil)), ErrMalformed},
		{"table with quote", body(change("d", `t"`, "r", "c", 0, 0, nil)), ErrMalformed},
		{"row id with newline", body(change("d", "t", "r\n", "c", 0, 0, nil)), ErrMalformed},
		{"row id with C1 control", body(change("d", "t", "r\u0085", "c", 0, 0, nil)), ErrMalformed},
		{"row id not UTF-8", body(change("d", "t", "r\xff", "c", 0, 0, nil)), ErrMalformed},
		{"unknown flag bits", body(change("d", "t", "r", "c", 2, 0, nil)), ErrMalformed},
		{"unknown kind", body(change("d", "t", "r", "c", 0, 4, nil)), ErrMalformed},
		{"sealed text", body(change("d", "t", "r", "c", 1, byte(KindText), concat(u32(1), []byte("x")))), ErrMalformed},
		{"sealed int", body(change("d", "t", "r", "c", 1, byte(KindInt), make([]byte, 8))), ErrMalformed},
		{"second change bad", body(ok, change("d", "t", "r", "c", 0, 9, nil)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBody(tt.in)
			if got != nil {
				t.Fatal("changes returned with an error")
			}
			wantErr(t, err, tt.want)
		})
	}
}

// The declared count must not buy memory: a 4-byte body claiming the
// maximum number of changes is refused without allocating for them.
func TestDecodeBodyAllocatesByInput(t *testing.T) {
	in := concat(u32(maxChanges), make([]byte, 64))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, err := DecodeBody(in); err == nil {
			t.Fatal("accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Fatalf("10 refusals allocated %d bytes", n)
	}
}

func TestDecodeBodyTruncated(t *testing.T) {
	b := EncodeBody(sampleChanges())
	for n := range len(b) {
		if got, err := DecodeBody(b[:n]); err == nil || got != nil {
			t.Fatalf("prefix of %d/%d bytes accepted", n, len(b))
		}
	}
}

func TestDecodeBodyDoesNotAlias(t *testing.T) {
	b := EncodeBody(sampleChanges())
	got, err := DecodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !reflect.DeepEqual(got, sampleChanges()) {
		t.Fatal("decoded changes alias the input")
	}
}

// Invalid changes encode to bytes the decoder refuses, never to a different
// valid set (EncodeBody cannot return an error).
func TestEncodeBodyInvalidIsRefused(t *testing.T) {
	tests := []struct {
		name string
		c    Change
	}{
		{"string past uint16", Change{Device: strings.Repeat("d", 70000), Table: "t", RowID: "r", Column: "c"}},
		{"name past limit", Change{Device: "d", Table: strings.Repeat("t", 65), RowID: "r", Column: "c"}},
		{"unknown kind", Change{Device: "d", Table: "t", RowID: "r", Column: "c", Value: Value{Kind: 7, Int: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeBody(EncodeBody([]Change{tt.c})); err == nil {
				t.Fatal("decoded")
			}
		})
	}
}
