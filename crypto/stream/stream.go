// Package stream owns Spoke's chunked authenticated encryption of a long byte stream (the
// files of a backup): a STREAM-style construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015,
// as in age's internal/stream) over AES-256-GCM, so a file of any size is encrypted and
// checked in 1 MiB pieces without holding it in memory, and no piece can be altered,
// dropped, reordered, repeated or cut off unseen.
//
// A stream is
//
//	magic "SPKBK\x01" (6 bytes) || nonce prefix (7 random bytes) || chunk 0 || chunk 1 ...
//
// and chunk i is
//
//	plaintext length n (4 bytes, big-endian, n <= ChunkSize) ||
//	AES-256-GCM(key, nonce = prefix || i (4 bytes, big-endian) || last (1 byte, 0 or 1),
//	            plaintext, additional data = ad || the 4 length bytes)
//
// Every chunk but the last holds exactly ChunkSize bytes; the last one (possibly empty) has
// the last byte of its nonce set, so a stream cut at a chunk boundary does not authenticate
// as complete. The format is that of every backup Spoke ever wrote: testdata/known-answers.txt
// pins it byte for byte.
//
// The package never chooses or stores keys, never logs, and imports only the standard
// library and spoke/crypto/seal.
package stream

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"spoke/crypto/seal"
)

const (
	// Magic opens every stream; its last byte is the format version.
	Magic = "SPKBK\x01"
	// ChunkSize is the plaintext size of every chunk but the last.
	ChunkSize = 1 << 20
	// prefixSize is the random part of every chunk's nonce.
	prefixSize = 7
	// HeaderSize is the length of the magic and the nonce prefix.
	HeaderSize = len(Magic) + prefixSize
	lengthSize = 4
	tagSize    = 16
)

// Errors of Decrypt (a failed chunk is an *AuthError, which matches ErrAuth). Each says what
// is wrong with the stream in words fit to follow "backup file is damaged or altered: ".
var (
	// ErrNotStream: the stream does not start with Magic and a nonce prefix.
	ErrNotStream = errors.New("not a Spoke backup file")
	// ErrTruncated: the stream ends before its last chunk, or inside a chunk.
	ErrTruncated = errors.New("truncated")
	// ErrChunkLength: a chunk claims more than ChunkSize bytes.
	ErrChunkLength = errors.New("bad chunk length")
	// ErrAuth: a chunk does not authenticate under the key, the additional data and its
	// place in the stream (altered, reordered, from another stream, or the wrong key).
	ErrAuth = errors.New("chunk fails authentication")
	// ErrTrailingData: bytes follow the last chunk.
	ErrTrailingData = errors.New("data after the last chunk")
	// ErrTooLarge: Encrypt was given more than 2^32 chunks.
	ErrTooLarge = errors.New("backup file too large")
)

// AuthError says which chunk failed authentication. It matches ErrAuth.
type AuthError struct {
	Chunk uint32
}

func (e *AuthError) Error() string { return fmt.Sprintf("chunk %d fails authentication", e.Chunk) }

// Is makes errors.Is(err, ErrAuth) true.
func (e *AuthError) Is(target error) bool { return target == ErrAuth }

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func chunkNonce(prefix []byte, counter uint32, last bool) []byte {
	n := make([]byte, 12)
	copy(n, prefix)
	binary.BigEndian.PutUint32(n[prefixSize:], counter)
	if last {
		n[11] = 1
	}
	return n
}

// chunkAD is the additional data of one chunk: the caller's, then the chunk's length bytes.
func chunkAD(ad []byte, hdr [lengthSize]byte) []byte {
	return append(append(make([]byte, 0, len(ad)+lengthSize), ad...), hdr[:]...)
}

// Encrypt copies src to dst as a stream under key (32 bytes), every chunk bound to ad, with a
// fresh random nonce prefix.
func Encrypt(dst io.Writer, src io.Reader, key, ad []byte) error {
	prefix := make([]byte, prefixSize)
	if _, err := rand.Read(prefix); err != nil {
		return err
	}
	return encrypt(dst, src, key, ad, prefix)
}

// encrypt is Encrypt with a given nonce prefix (the known-answer tests fix it).
func encrypt(dst io.Writer, src io.Reader, key, ad, prefix []byte) error {
	g, err := gcm(key)
	if err != nil {
		return err
	}
	if _, err := dst.Write(append([]byte(Magic), prefix...)); err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, ChunkSize)
	buf := make([]byte, ChunkSize)
	for counter := uint32(0); ; counter++ {
		n, err := io.ReadFull(br, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return err
		}
		last := n < ChunkSize
		if !last {
			// A full chunk is the last one only if nothing follows it.
			if _, perr := br.Peek(1); perr != nil {
				last = true
			}
		}
		var hdr [lengthSize]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(n))
		if _, err := dst.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := dst.Write(g.Seal(nil, chunkNonce(prefix, counter, last), buf[:n], chunkAD(ad, hdr))); err != nil {
			return err
		}
		if last {
			return nil
		}
		if counter == ^uint32(0) {
			return ErrTooLarge
		}
	}
}

// Decrypt reverses Encrypt, writing each chunk's plaintext to dst only after that chunk
// authenticates (so dst may hold the first chunks of a stream that later fails: callers
// write to a scratch place and keep it only when Decrypt returns nil). A stream that ends
// before its last chunk is ErrTruncated.
func Decrypt(dst io.Writer, src io.Reader, key, ad []byte) error {
	g, err := gcm(key)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, ChunkSize+64)
	head := make([]byte, HeaderSize)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(Magic)]) != Magic {
		return ErrNotStream
	}
	prefix := head[len(Magic):]
	buf := make([]byte, ChunkSize+g.Overhead())
	for counter := uint32(0); ; counter++ {
		var hdr [lengthSize]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return ErrTruncated
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > ChunkSize {
			return ErrChunkLength
		}
		ct := buf[:int(n)+g.Overhead()]
		if _, err := io.ReadFull(br, ct); err != nil {
			return ErrTruncated
		}
		cad := chunkAD(ad, hdr)
		pt, err := g.Open(nil, chunkNonce(prefix, counter, false), ct, cad)
		last := false
		if err != nil {
			pt, err = g.Open(nil, chunkNonce(prefix, counter, true), ct, cad)
			last = true
		}
		if err != nil {
			return &AuthError{Chunk: counter}
		}
		if _, err := dst.Write(pt); err != nil {
			return err
		}
		seal.Wipe(pt)
		if last {
			if _, err := br.ReadByte(); err != io.EOF {
				return ErrTrailingData
			}
			return nil
		}
	}
}
