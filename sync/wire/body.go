package wire

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// Limits. They are part of the format: a decoder refuses anything beyond them
// and Seal refuses to produce it, so every set Seal makes can be opened.
const (
	maxString  = 1 << 10  // ids: scope, device, row id
	maxName    = 64       // table and column names
	maxValue   = 1 << 20  // one text or blob value
	maxChanges = 100_000  // change records per set
	maxSealed  = 32 << 20 // a whole sealed change-set
	maxBody    = 64 << 20 // the decompressed body (compression-bomb guard)
)

// minChangeSize is the smallest encoded change: hlc, four one-byte strings
// with their lengths, flags and kind of a null value. DecodeBody uses it to
// refuse a declared count the input cannot hold before allocating for it.
const minChangeSize = 8 + 4*(2+1) + 1 + 1

// Change is one field-level change record; it mirrors a row of the store's
// change log.
type Change struct {
	// HLC is the hybrid logical clock of the change: 48-bit Unix
	// milliseconds << 16 | counter (see spoke/hlc).
	HLC uint64
	// Device is the device that made the change, the last-writer-wins
	// tie-break. It usually equals Header.Device, but a relayed change keeps
	// its origin.
	Device string
	// Table, RowID and Column name the field that changed.
	Table, RowID, Column string
	// Value is the new value of the field.
	Value Value
	// Sealed says Value holds a field ciphertext, already sealed under a
	// customer data key; such a value is a blob, or null for an empty field.
	Sealed bool
}

// EncodeBody returns the canonical plaintext encoding of changes, in the
// given order, before compression (the layout is in the package comment).
//
// EncodeBody does not validate; Seal does. For valid changes,
// DecodeBody(EncodeBody(x)) equals x; for invalid ones (a string past its
// limit, an unknown kind) the result is bytes that DecodeBody refuses, and
// fields that do not belong to a value's kind are dropped.
func EncodeBody(changes []Change) []byte {
	out := make([]byte, 0, bodySize(changes))
	out = binary.BigEndian.AppendUint32(out, clampUint32(len(changes)))
	for i := range changes {
		c := &changes[i]
		out = binary.BigEndian.AppendUint64(out, c.HLC)
		out = appendString(out, c.Device)
		out = appendString(out, c.Table)
		out = appendString(out, c.RowID)
		out = appendString(out, c.Column)
		var flags byte
		if c.Sealed {
			flags = 1
		}
		out = append(out, flags, byte(c.Value.Kind))
		switch c.Value.Kind {
		case KindInt:
			out = binary.BigEndian.AppendUint64(out, uint64(c.Value.Int))
		case KindText:
			out = appendBytes32(out, []byte(c.Value.Text))
		case KindBlob:
			out = appendBytes32(out, c.Value.Blob)
		}
	}
	return out
}

// bodySize is the exact length EncodeBody produces, or maxBody+1 for
// anything larger. Seal uses it to refuse an oversize body before building
// it; the sum is 64-bit so that it cannot wrap on a 32-bit platform.
func bodySize(changes []Change) int {
	n := uint64(4)
	for i := range changes {
		c := &changes[i]
		n += 8 + 2 + uint64(len(c.Device)) + 2 + uint64(len(c.Table)) + 2 + uint64(len(c.RowID)) + 2 + uint64(len(c.Column)) + 2
		switch c.Value.Kind {
		case KindInt:
			n += 8
		case KindText:
			n += 4 + uint64(len(c.Value.Text))
		case KindBlob:
			n += 4 + uint64(len(c.Value.Blob))
		}
		if n > maxBody {
			return maxBody + 1
		}
	}
	return int(n)
}

func clampUint32(n int) uint32 {
	if uint64(n) > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}

// appendString writes a uint16 length and the bytes. A string too long for
// the prefix is cut at 0xFFFF bytes: that length is past every limit, so the
// result is refused by the decoder instead of silently meaning something else.
func appendString(out []byte, s string) []byte {
	if len(s) > math.MaxUint16 {
		s = s[:math.MaxUint16]
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
	return append(out, s...)
}

// appendBytes32 is appendString with a uint32 length, for values.
func appendBytes32(out, b []byte) []byte {
	if uint64(len(b)) > math.MaxUint32 {
		b = b[:math.MaxUint32]
	}
	out = binary.BigEndian.AppendUint32(out, uint32(len(b)))
	return append(out, b...)
}

// DecodeBody decodes a body made by EncodeBody. It refuses anything that is
// not the canonical encoding of valid changes, so EncodeBody(DecodeBody(b))
// gives back b whenever DecodeBody succeeds. Strings and blobs are copies:
// nothing returned aliases b. An empty body (count 0) decodes to nil.
func DecodeBody(b []byte) ([]Change, error) {
	r := reader{b: b}
	count, ok := r.uint32()
	if !ok {
		return nil, fail(ErrMalformed, "body: truncated change count")
	}
	if count > maxChanges {
		return nil, fail(ErrTooLarge, "body: more than 100000 changes")
	}
	// Checked before allocating: the count alone must not buy memory.
	if uint64(count)*minChangeSize > uint64(len(r.b)) {
		return nil, fail(ErrMalformed, "body: truncated: fewer bytes than the change count needs")
	}
	if count == 0 {
		if len(r.b) != 0 {
			return nil, fail(ErrMalformed, "body: data after the last change")
		}
		return nil, nil
	}
	changes := make([]Change, count)
	for i := range changes {
		if err := r.change(&changes[i]); err != nil {
			return nil, inChange(i, err)
		}
		if err := validateChange(&changes[i]); err != nil {
			return nil, inChange(i, err)
		}
	}
	if len(r.b) != 0 {
		return nil, fail(ErrMalformed, "body: data after the last change")
	}
	return changes, nil
}

// reader consumes b from the front. Each method reports false when b is too
// short, and then consumes nothing.
type reader struct {
	b []byte
	// last holds the previous change's device, table, row id and column:
	// consecutive changes mostly repeat them, and reusing the string saves an
	// allocation per field.
	last [4]string
}

func (r *reader) uint8() (byte, bool) {
	if len(r.b) < 1 {
		return 0, false
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v, true
}

func (r *reader) uint16() (uint16, bool) {
	if len(r.b) < 2 {
		return 0, false
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v, true
}

func (r *reader) uint32() (uint32, bool) {
	if len(r.b) < 4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v, true
}

func (r *reader) uint64() (uint64, bool) {
	if len(r.b) < 8 {
		return 0, false
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v, true
}

// bytes returns the next n bytes without copying.
func (r *reader) bytes(n uint64) ([]byte, bool) {
	if uint64(len(r.b)) < n {
		return nil, false
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v, true
}

// string reads a uint16-prefixed string of at most limit bytes. The limit
// is checked before the remaining length, so an oversize declaration is
// reported as such even when the input is also short.
func (r *reader) string(what string, limit int) (string, error) {
	s, err := r.stringBytes(what, limit)
	return string(s), err
}

// field is string for the i-th string field of a change, reusing the
// previous change's string when the bytes are the same.
func (r *reader) field(i int, what string, limit int) (string, error) {
	s, err := r.stringBytes(what, limit)
	if err != nil {
		return "", err
	}
	if string(s) != r.last[i] { // the conversion in a comparison does not allocate
		r.last[i] = string(s)
	}
	return r.last[i], nil
}

func (r *reader) stringBytes(what string, limit int) ([]byte, error) {
	n, ok := r.uint16()
	if !ok {
		return nil, fail(ErrMalformed, what+": truncated length")
	}
	if int(n) > limit {
		return nil, fail(ErrTooLarge, what+" is longer than its limit")
	}
	s, ok := r.bytes(uint64(n))
	if !ok {
		return nil, fail(ErrMalformed, what+": truncated")
	}
	return s, nil
}

// change decodes one change record into c; validateChange checks it after.
func (r *reader) change(c *Change) error {
	var ok bool
	var err error
	if c.HLC, ok = r.uint64(); !ok {
		return fail(ErrMalformed, "hlc: truncated")
	}
	if c.Device, err = r.field(0, "device", maxString); err != nil {
		return err
	}
	if c.Table, err = r.field(1, "table", maxName); err != nil {
		return err
	}
	if c.RowID, err = r.field(2, "row id", maxString); err != nil {
		return err
	}
	if c.Column, err = r.field(3, "column", maxName); err != nil {
		return err
	}
	flags, ok := r.uint8()
	if !ok {
		return fail(ErrMalformed, "flags: truncated")
	}
	switch flags {
	case 0:
	case 1:
		c.Sealed = true
	default:
		return fail(ErrMalformed, "flags: unknown bits set")
	}
	kind, ok := r.uint8()
	if !ok {
		return fail(ErrMalformed, "value kind: truncated")
	}
	c.Value.Kind = Kind(kind)
	switch c.Value.Kind {
	case KindNull:
	case KindInt:
		v, ok := r.uint64()
		if !ok {
			return fail(ErrMalformed, "integer value: truncated")
		}
		c.Value.Int = int64(v)
	case KindText, KindBlob:
		n, ok := r.uint32()
		if !ok {
			return fail(ErrMalformed, "value length: truncated")
		}
		if n > maxValue {
			return fail(ErrTooLarge, "value is larger than 1 MiB")
		}
		v, ok := r.bytes(uint64(n))
		if !ok {
			return fail(ErrMalformed, "value: truncated")
		}
		if c.Value.Kind == KindText {
			c.Value.Text = string(v)
		} else if n > 0 {
			c.Value.Blob = append([]byte(nil), v...)
		}
	default:
		return fail(ErrMalformed, "value kind is unknown")
	}
	return nil
}

// validateChange checks everything about one change that the encoding alone
// does not: limits (for Seal's input), character sets and value shape. Seal
// and DecodeBody share it, so what one accepts the other accepts too.
func validateChange(c *Change) error {
	if err := checkID("device", c.Device); err != nil {
		return err
	}
	if err := checkName("table", c.Table); err != nil {
		return err
	}
	if err := checkRowID(c.RowID); err != nil {
		return err
	}
	if err := checkName("column", c.Column); err != nil {
		return err
	}
	return checkValue(c.Value, c.Sealed)
}

func checkValue(v Value, sealed bool) error {
	// Only the field of the value's own kind may be set: a stray field would
	// be dropped by EncodeBody, and the receiver would see something other
	// than what the sender held.
	stray := false
	switch v.Kind {
	case KindNull:
		stray = v.Int != 0 || v.Text != "" || len(v.Blob) != 0
	case KindInt:
		stray = v.Text != "" || len(v.Blob) != 0
	case KindText:
		stray = v.Int != 0 || len(v.Blob) != 0
		if len(v.Text) > maxValue {
			return fail(ErrTooLarge, "value is larger than 1 MiB")
		}
	case KindBlob:
		stray = v.Int != 0 || v.Text != ""
		if len(v.Blob) > maxValue {
			return fail(ErrTooLarge, "value is larger than 1 MiB")
		}
	default:
		return fail(ErrMalformed, "value kind is unknown")
	}
	if stray {
		return fail(ErrMalformed, "value has a field set that does not match its kind")
	}
	// A field ciphertext is bytes, or NULL for an empty field; a sealed
	// text or integer means the caller mixed up plaintext and ciphertext.
	if sealed && v.Kind != KindBlob && v.Kind != KindNull {
		return fail(ErrMalformed, "sealed value is neither a blob nor null")
	}
	return nil
}

// checkID accepts the ids that appear in the clear header and as change
// origins: device ids, shop ids (UUIDs) and "org". The narrow character set
// keeps them safe in file names, URLs, SQL and log lines at the hub.
func checkID(what, s string) error {
	if s == "" {
		return fail(ErrMalformed, what+" is empty")
	}
	if len(s) > maxString {
		return fail(ErrTooLarge, what+" is longer than 1024 bytes")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fail(ErrMalformed, what+" has a character outside A-Z a-z 0-9 _ -")
		}
	}
	return nil
}

// checkName accepts SQL identifiers. The merge code still checks table and
// column against its own schema; this refuses obvious junk early.
func checkName(what, s string) error {
	if s == "" {
		return fail(ErrMalformed, what+" is empty")
	}
	if len(s) > maxName {
		return fail(ErrTooLarge, what+" is longer than 64 bytes")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return fail(ErrMalformed, what+" is not an identifier")
		}
	}
	return nil
}

// checkRowID accepts any printable UTF-8: row ids are UUIDs today, but a
// composite key should not need a format change.
func checkRowID(s string) error {
	if s == "" {
		return fail(ErrMalformed, "row id is empty")
	}
	if len(s) > maxString {
		return fail(ErrTooLarge, "row id is longer than 1024 bytes")
	}
	if !utf8.ValidString(s) {
		return fail(ErrMalformed, "row id is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r < 0xa0 {
			return fail(ErrMalformed, "row id has a control character")
		}
	}
	return nil
}
