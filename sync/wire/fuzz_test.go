package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzBody checks the body encoding is canonical (age's FuzzMalleability
// idea): whatever DecodeBody accepts re-encodes to the very same bytes, and
// decodes again to the same changes.
func FuzzBody(f *testing.F) {
	f.Add(EncodeBody(nil))
	f.Add(EncodeBody(sampleChanges()[2:3]))
	f.Add(body(change("d", "t", "r", "c", 1, byte(KindBlob), concat(u32(3), []byte("abc")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		changes, err := DecodeBody(b)
		if err != nil {
			if changes != nil {
				t.Fatal("changes returned with an error")
			}
			return
		}
		again := EncodeBody(changes)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
		changes2, err := DecodeBody(again)
		if err != nil || !reflect.DeepEqual(changes, changes2) {
			t.Fatalf("second decode: %v", err)
		}
	})
}

// FuzzOpen feeds arbitrary bytes to Open. Since a random input almost never
// carries a valid signature, it also re-signs the input with the test key and
// seals it as a compressed body, to reach the AEAD, the decompressor and the
// decoder behind the signature. None of it may panic; what opens must re-seal
// to a set that opens to the same changes. (FuzzBody covers the decoder on
// its own, much faster.)
func FuzzOpen(f *testing.F) {
	f.Add(mustSeal(f, sampleSet()))
	f.Add(mustSeal(f, &ChangeSet{Header: testHeader()}))
	c, _ := deflate(EncodeBody(sampleChanges()))
	f.Add(c)
	pub, priv := testSigner("device")
	f.Fuzz(func(t *testing.T, b []byte) {
		if cs, err := Open(b, pub, keyFor); err == nil {
			checkReseal(t, cs)
		} else if cs != nil {
			t.Fatal("set returned with an error")
		}
		if len(b) >= 64 {
			if cs, err := Open(resign(b, priv), pub, keyFor); err == nil {
				checkReseal(t, cs)
			}
		}
		if cs, err := Open(sealRaw(t, testHeader(), b), pub, keyFor); err == nil {
			checkReseal(t, cs)
		}
	})
}

func checkReseal(t *testing.T, cs *ChangeSet) {
	t.Helper()
	pub, _ := testSigner("device")
	b := mustSeal(t, cs)
	got, err := Open(b, pub, keyFor)
	if err != nil || !reflect.DeepEqual(got, cs) {
		t.Fatalf("re-sealed set does not round-trip: %v", err)
	}
}

// FuzzParseHeader checks ParseHeader never panics and that the header it
// returns is exactly the bytes it read.
func FuzzParseHeader(f *testing.F) {
	f.Add(mustSeal(f, sampleSet()))
	f.Add(concat(appendHeader(nil, &Header{Version: 1, Scope: "org", Device: "d", Seq: 1, KeyVersion: 1}), make([]byte, minTail)))
	f.Add([]byte("SPKCS\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if h != (Header{}) {
				t.Fatal("header returned with an error")
			}
			return
		}
		enc := appendHeader(nil, &h)
		if !bytes.HasPrefix(b, enc) {
			t.Fatalf("header re-encodes differently:\n in %x\nout %x", b[:min(len(b), len(enc))], enc)
		}
		if len(b)-len(enc) < minTail {
			t.Fatal("accepted without room for ciphertext and signature")
		}
	})
}
