package wire

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// benchSet is 1,000 changes shaped like the store's: UUID ids, a sealed
// value of about 100 bytes each (random, so incompressible, like real
// ciphertext).
func benchSet() *ChangeSet {
	cs := &ChangeSet{Header: testHeader()}
	for i := range 1000 {
		v := make([]byte, 100)
		rand.Read(v)
		cs.Changes = append(cs.Changes, Change{
			HLC:    uint64(1732851234567+i) << 16,
			Device: testDevice,
			Table:  "customers",
			RowID:  fmt.Sprintf("0193a5c2-7e41-7b3a-9c1d-%012d", i/4),
			Column: []string{"name", "email", "phone", "notes"}[i%4],
			Value:  Value{Kind: KindBlob, Blob: v},
			Sealed: true,
		})
	}
	return cs
}

// BenchmarkSealOpen reports throughput over the plaintext body size.
func BenchmarkSealOpen(b *testing.B) {
	cs := benchSet()
	key := testKey("scope")
	pub, priv := testSigner("device")
	bodyLen := int64(len(EncodeBody(cs.Changes)))
	sealed, err := Seal(cs, key, priv)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("body %d bytes, sealed %d bytes", bodyLen, len(sealed))
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(bodyLen)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Seal(cs, key, priv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(bodyLen)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Open(sealed, pub, keyFor); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SealOpen", func(b *testing.B) {
		b.SetBytes(bodyLen)
		b.ReportAllocs()
		for b.Loop() {
			s, err := Seal(cs, key, priv)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Open(s, pub, keyFor); err != nil {
				b.Fatal(err)
			}
		}
	})
}
