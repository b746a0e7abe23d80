package stream

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

func katKey() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

var katAD = []byte("spoke stream known-answer test")

func katPlaintext(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*131+17) ^ byte(i>>11)
	}
	return p
}

type vector struct {
	name          string
	n             int
	prefix        []byte
	length        int
	sum           string
	whole         string // hex, or "-"
	wholeDecoded  []byte
	wholeNotEmpty bool
}

func readVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open("testdata/known-answers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("bad vector line %q", line)
		}
		v := vector{name: f[0], sum: f[4], whole: f[5]}
		v.n, _ = strconv.Atoi(f[1])
		v.length, _ = strconv.Atoi(f[3])
		if v.prefix, err = hex.DecodeString(f[2]); err != nil || len(v.prefix) != prefixSize {
			t.Fatalf("bad prefix in %q", line)
		}
		if v.whole != "-" {
			if v.wholeDecoded, err = hex.DecodeString(v.whole); err != nil {
				t.Fatalf("bad stream in %q", line)
			}
			v.wholeNotEmpty = true
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKnownAnswers: the streams written by the code that wrote every existing backup, before
// it moved here, come out byte for byte the same, and decrypt to their plaintexts.
func TestKnownAnswers(t *testing.T) {
	vs := readVectors(t)
	want := map[string]int{"empty": 0, "one": 1, "chunk-1": ChunkSize - 1, "chunk": ChunkSize, "chunk+1": ChunkSize + 1, "3chunks": 3 * ChunkSize}
	for _, v := range vs {
		if n, ok := want[v.name]; ok && n == v.n {
			delete(want, v.name)
		}
		t.Run(v.name, func(t *testing.T) {
			pt := katPlaintext(v.n)
			var ct bytes.Buffer
			if err := encrypt(&ct, bytes.NewReader(pt), katKey(), katAD, v.prefix); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(ct.Bytes())
			if ct.Len() != v.length || hex.EncodeToString(sum[:]) != v.sum {
				t.Fatalf("stream of %d bytes: %d bytes, SHA-256 %x; want %d bytes, %s", v.n, ct.Len(), sum, v.length, v.sum)
			}
			if v.wholeNotEmpty && !bytes.Equal(ct.Bytes(), v.wholeDecoded) {
				t.Fatalf("stream differs:\n got %x\nwant %s", ct.Bytes(), v.whole)
			}
			var back bytes.Buffer
			if err := Decrypt(&back, bytes.NewReader(ct.Bytes()), katKey(), katAD); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.Bytes(), pt) {
				t.Fatal("decrypt did not give the plaintext back")
			}
		})
	}
	for name := range want {
		t.Errorf("known-answers.txt lacks the %q vector", name)
	}
}

func TestRandomPrefix(t *testing.T) {
	var a, b bytes.Buffer
	if err := Encrypt(&a, strings.NewReader("x"), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	if err := Encrypt(&b, strings.NewReader("x"), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes()[len(Magic):HeaderSize], b.Bytes()[len(Magic):HeaderSize]) {
		t.Fatal("two streams share a nonce prefix")
	}
}

// chunks splits a stream into its header and each chunk (length bytes, sealed bytes).
func chunks(t *testing.T, s []byte) (head []byte, cs [][]byte) {
	t.Helper()
	head, s = s[:HeaderSize], s[HeaderSize:]
	for len(s) > 0 {
		n := int(uint32(s[0])<<24|uint32(s[1])<<16|uint32(s[2])<<8|uint32(s[3])) + lengthSize + tagSize
		cs = append(cs, s[:n])
		s = s[n:]
	}
	return head, cs
}

func join(head []byte, cs ...[]byte) []byte {
	out := bytes.Clone(head)
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}

// TestAttacks plays whoever holds the backup folder: each change to a stream is refused with
// the error that says what was done.
func TestAttacks(t *testing.T) {
	pt := katPlaintext(3*ChunkSize + 5) // four chunks, the last short
	var buf bytes.Buffer
	if err := Encrypt(&buf, bytes.NewReader(pt), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	head, cs := chunks(t, good)
	if len(cs) != 4 {
		t.Fatalf("%d chunks, want 4", len(cs))
	}
	var exact bytes.Buffer // a stream whose last chunk is full
	if err := Encrypt(&exact, bytes.NewReader(pt[:2*ChunkSize]), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	eh, ecs := chunks(t, exact.Bytes())
	var other bytes.Buffer // another stream under the same key and ad
	if err := Encrypt(&other, bytes.NewReader(pt), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	_, ocs := chunks(t, other.Bytes())
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }
	shrink := func(b []byte) []byte { c := bytes.Clone(b); c[HeaderSize+1] ^= 0x10; return c } // 1 MiB -> 0
	wrongKey := katKey()
	wrongKey[0] ^= 1

	cases := []struct {
		name   string
		stream []byte
		key    []byte
		ad     []byte
		want   error
		chunk  int // for ErrAuth: the chunk named, -1 when any
	}{
		{"truncated at a chunk boundary", join(head, cs[0], cs[1]), nil, nil, ErrTruncated, 0},
		{"final chunk dropped", join(head, cs[:3]...), nil, nil, ErrTruncated, 0},
		{"full final chunk dropped", join(eh, ecs[0]), nil, nil, ErrTruncated, 0},
		{"header only", bytes.Clone(head), nil, nil, ErrTruncated, 0},
		{"cut inside a chunk", good[:len(good)-1], nil, nil, ErrTruncated, 0},
		{"cut inside a length", join(head, cs[0], cs[1][:2]), nil, nil, ErrTruncated, 0},
		{"two chunks reordered", join(head, cs[1], cs[0], cs[2], cs[3]), nil, nil, ErrAuth, 0},
		{"middle chunks reordered", join(head, cs[0], cs[2], cs[1], cs[3]), nil, nil, ErrAuth, 1},
		{"a chunk repeated", join(head, cs[0], cs[0], cs[1], cs[2], cs[3]), nil, nil, ErrAuth, 1},
		{"a chunk from another stream", join(head, cs[0], ocs[1], cs[2], cs[3]), nil, nil, ErrAuth, 1},
		{"final chunk moved up", join(head, cs[0], cs[3]), nil, nil, ErrAuth, 1},
		{"flipped ciphertext byte", flip(good, HeaderSize+lengthSize+10), nil, nil, ErrAuth, 0},
		{"flipped tag byte", flip(good, len(good)-1), nil, nil, ErrAuth, 3},
		{"flipped nonce prefix", flip(good, len(Magic)), nil, nil, ErrAuth, 0},
		{"length shrunk", shrink(good), nil, nil, ErrAuth, 0},
		{"length over the chunk size", flip(good, HeaderSize+lengthSize-1), nil, nil, ErrChunkLength, 0},
		{"flipped magic", flip(good, 0), nil, nil, ErrNotStream, 0},
		{"not a stream at all", []byte("hello"), nil, nil, ErrNotStream, 0},
		{"empty file", nil, nil, nil, ErrNotStream, 0},
		{"a chunk appended", join(head, cs[0], cs[1], cs[2], cs[3], cs[3]), nil, nil, ErrTrailingData, 0},
		{"one byte appended", append(bytes.Clone(good), 0), nil, nil, ErrTrailingData, 0},
		{"chunk appended after a full last chunk", join(eh, ecs[0], ecs[1], ecs[1]), nil, nil, ErrTrailingData, 0},
		{"wrong key", good, wrongKey, nil, ErrAuth, 0},
		{"wrong additional data", good, nil, []byte("spoke stream known-answer tesT"), ErrAuth, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, ad := c.key, c.ad
			if key == nil {
				key = katKey()
			}
			if ad == nil {
				ad = katAD
			}
			err := Decrypt(io.Discard, bytes.NewReader(c.stream), key, ad)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decrypt = %v, want %v", err, c.want)
			}
			if c.want == ErrAuth {
				var ae *AuthError
				if !errors.As(err, &ae) || int(ae.Chunk) != c.chunk {
					t.Fatalf("Decrypt = %v, want chunk %d named", err, c.chunk)
				}
			}
		})
	}
}

// TestDecryptWritesOnlyAuthenticated: of a stream damaged in its second chunk, exactly the
// first chunk reaches dst.
func TestDecryptWritesOnlyAuthenticated(t *testing.T) {
	pt := katPlaintext(2*ChunkSize + 1)
	var buf bytes.Buffer
	if err := Encrypt(&buf, bytes.NewReader(pt), katKey(), katAD); err != nil {
		t.Fatal(err)
	}
	s := buf.Bytes()
	s[HeaderSize+lengthSize+ChunkSize+tagSize+lengthSize+5] ^= 0x80
	var out bytes.Buffer
	if err := Decrypt(&out, bytes.NewReader(s), katKey(), katAD); !errors.Is(err, ErrAuth) {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), pt[:ChunkSize]) {
		t.Fatalf("%d bytes reached dst, want the first chunk's %d", out.Len(), ChunkSize)
	}
}

func TestBadKeyLength(t *testing.T) {
	if err := Encrypt(io.Discard, strings.NewReader("x"), make([]byte, 7), nil); err == nil {
		t.Fatal("a 7-byte key encrypted")
	}
	if err := Decrypt(io.Discard, strings.NewReader("x"), make([]byte, 7), nil); err == nil {
		t.Fatal("a 7-byte key decrypted")
	}
}

// FuzzDecrypt: decryption never panics, refuses with one of the package's errors, and what it
// accepts re-encrypts (with the stream's own prefix) to exactly the same bytes.
func FuzzDecrypt(f *testing.F) {
	for _, n := range []int{0, 1, 100} {
		var buf bytes.Buffer
		if err := encrypt(&buf, bytes.NewReader(katPlaintext(n)), katKey(), katAD, []byte("prefix7")); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte(Magic))
	f.Add([]byte(Magic + "1234567\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, s []byte) {
		var out bytes.Buffer
		err := Decrypt(&out, bytes.NewReader(s), katKey(), katAD)
		if err != nil {
			for _, e := range []error{ErrNotStream, ErrTruncated, ErrChunkLength, ErrAuth, ErrTrailingData} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("untyped error %v", err)
		}
		var again bytes.Buffer
		if err := encrypt(&again, bytes.NewReader(out.Bytes()), katKey(), katAD, s[len(Magic):HeaderSize]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), s) {
			t.Fatal("an accepted stream does not re-encrypt to the same bytes")
		}
	})
}
