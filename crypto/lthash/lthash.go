// Package lthash is the lattice-based homomorphic set hash LtHash16 of Bellare–Micciancio,
// with the parameters Lewi, Kim, Maykov and Weis give for Facebook's update propagation
// ("Securing Update Propagation with Homomorphic Hashing", 2019; folly's LtHash<16, 1024>): an
// element is expanded by an extendable-output hash to 1024 lanes of 16 bits, and the hash of a
// multiset is the lane-wise sum modulo 2^16. The expansion here is SHAKE128 from the standard
// library (the construction asks only for an XOF modelled as a random oracle; folly uses
// BLAKE2xb, which is twice as slow here, and every row write and every verify pays for
// expansions). Adding and removing elements is order-independent and costs one
// expansion each, so a database can keep the hash of all its rows current on every write and
// recompute it in full only when it wants to check.
//
// Spoke hashes row MACs (keyed), so the hash is keyed by construction: nobody without the
// integrity key can produce an element whose expansion cancels another.
package lthash

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"errors"
)

const (
	lanes = 1024
	// Size is the byte length of a Hash's state.
	Size = lanes * 2
)

// Hash is an LtHash16 state. The zero value is the hash of the empty set.
type Hash struct{ v [lanes]uint16 }

// expand is SHAKE128(element) to Size bytes: the element's lanes, little-endian.
func expand(element []byte, buf *[Size]byte) {
	h := sha3.NewSHAKE128()
	h.Write(element)
	h.Read(buf[:])
}

// Add adds an element to the multiset.
func (h *Hash) Add(element []byte) {
	var buf [Size]byte
	expand(element, &buf)
	for i := range h.v {
		h.v[i] += binary.LittleEndian.Uint16(buf[2*i:])
	}
}

// Remove removes an element added before.
func (h *Hash) Remove(element []byte) {
	var buf [Size]byte
	expand(element, &buf)
	for i := range h.v {
		h.v[i] -= binary.LittleEndian.Uint16(buf[2*i:])
	}
}

// AddHash adds another multiset's hash: the hash of the union.
func (h *Hash) AddHash(o *Hash) {
	for i := range h.v {
		h.v[i] += o.v[i]
	}
}

// Equal reports whether two states are the same.
func (h *Hash) Equal(o *Hash) bool { return h.v == o.v }

// Bytes returns the state (Size bytes, little-endian lanes).
func (h *Hash) Bytes() []byte {
	b := make([]byte, Size)
	for i, x := range h.v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

// Digest is SHA-256 of the state: what a manifest or an anchor records.
func (h *Hash) Digest() [32]byte { return sha256.Sum256(h.Bytes()) }

// ErrSize means a stored state has the wrong length.
var ErrSize = errors.New("lthash: state has the wrong size")

// Parse reads a state written by Bytes.
func Parse(b []byte) (*Hash, error) {
	if len(b) != Size {
		return nil, ErrSize
	}
	h := &Hash{}
	for i := range h.v {
		h.v[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return h, nil
}
