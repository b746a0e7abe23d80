package wire

import "fmt"

// Kind is the SQLite storage class of a [Value]. REAL is deliberately absent:
// the schema keeps amounts as integer cents so that merges never round.
type Kind uint8

// The kinds, with the numbers written on the wire.
const (
	KindNull Kind = 0
	KindInt  Kind = 1
	KindText Kind = 2
	KindBlob Kind = 3
)

// Value is a SQLite value of exactly one kind: only the field that matches
// Kind may be set. An empty blob is Blob == nil; decoding produces that form.
type Value struct {
	Kind Kind
	Int  int64
	Text string
	Blob []byte
}

// ValueOf converts what database/sql scans into an any (nil, int64, string,
// []byte), plus int and bool (false 0, true 1, as SQLite stores them). The
// blob is copied, so a driver's reused buffer cannot change it later. Other
// types are an error naming the type.
func ValueOf(v any) (Value, error) {
	switch x := v.(type) {
	case nil:
		return Value{Kind: KindNull}, nil
	case int64:
		return Value{Kind: KindInt, Int: x}, nil
	case int:
		return Value{Kind: KindInt, Int: int64(x)}, nil
	case bool:
		if x {
			return Value{Kind: KindInt, Int: 1}, nil
		}
		return Value{Kind: KindInt}, nil
	case string:
		return Value{Kind: KindText, Text: x}, nil
	case []byte:
		// A nil []byte is still a blob (of length zero), not NULL: the caller
		// said blob. Normalise to nil so equal values compare equal.
		if len(x) == 0 {
			return Value{Kind: KindBlob}, nil
		}
		return Value{Kind: KindBlob, Blob: append([]byte(nil), x...)}, nil
	default:
		return Value{}, fmt.Errorf("wire: unsupported value type %T", v)
	}
}

// Any returns the value as database/sql expects an argument: nil, int64,
// string or []byte. An empty blob comes back as a non-nil empty slice, since
// drivers bind a nil []byte as NULL. A Value of an unknown kind returns nil.
func (v Value) Any() any {
	switch v.Kind {
	case KindInt:
		return v.Int
	case KindText:
		return v.Text
	case KindBlob:
		if v.Blob == nil {
			return []byte{}
		}
		return v.Blob
	default:
		return nil
	}
}
