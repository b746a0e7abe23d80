// Package wire owns the change-set format: the bytes one device hands to the
// hub and another device receives. It encodes a batch of field-level change
// records canonically, compresses them, seals them under the scope key and
// signs the result with the sending device's Ed25519 key.
//
// It never chooses, stores or fetches keys (callers pass them in, and Open asks
// for the scope key through a callback), never touches storage or the network,
// never decides conflicts, and never puts a field value, a key or a name from a
// change into an error string.
//
// # Sealed change-set (format version 1)
//
// All integers are fixed-width big-endian. A string is a uint16 length and
// that many bytes. There are no optional fields, so every change-set has
// exactly one encoding before sealing.
//
//	magic      "SPKCS" (5 bytes)
//	version    uint8 = 1                  Header.Version
//	scope      string, ≤ 1 KiB, [A-Za-z0-9_-]+ ("org" or a shop id)
//	device     string, ≤ 1 KiB, [A-Za-z0-9_-]+
//	seq        uint64 ≥ 1
//	keyVersion uint32 ≥ 1
//	---------- end of the clear header; everything above is the AEAD additional data
//	nonce      12 bytes, random
//	ciphertext AES-256-GCM of flate(body), with its 16-byte tag
//	signature  64 bytes, Ed25519 over every byte before it
//
// The magic and the version byte together are the 6-byte prefix "SPKCS\x01";
// the version is not repeated inside the header.
//
// The AES key is not the scope key itself but HKDF-SHA-256(scope key, salt
// none, info "spoke/change-set/v1"), so a change-set ciphertext can never be
// confused with a key wrapped directly under the scope key. The clear header
// is authenticated twice on purpose: the signature lets the hub refuse forged
// pushes without any key, and the AEAD binding means that even someone holding
// a device's signing key but not the scope key cannot move a sealed body to
// another scope, sequence number or key version.
//
// # Body
//
//	count      uint32 ≤ 100,000
//	count times:
//	  hlc      uint64
//	  device   string, ≤ 1 KiB, [A-Za-z0-9_-]+ (the change's origin)
//	  table    string, ≤ 64, [A-Za-z_][A-Za-z0-9_]*
//	  rowID    string, ≤ 1 KiB, valid UTF-8 without control characters
//	  column   string, ≤ 64, [A-Za-z_][A-Za-z0-9_]*
//	  flags    uint8: 0, or 1 = the value is a field ciphertext
//	  kind     uint8: 0 null, 1 int, 2 text, 3 blob
//	  value    null: nothing; int: int64; text, blob: uint32 length ≤ 1 MiB and bytes
//
// A sealed value is null or a blob. Nothing may follow the last change.
//
// # Limits
//
// A sealed change-set is at most 32 MiB and its decompressed body at most
// 64 MiB (the guard against compression bombs). Decoders check a declared
// length against its limit and against the bytes that remain before they
// allocate, so a short input can never make them allocate much.
package wire
