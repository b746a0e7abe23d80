package backup

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
	streamMagic = "SPKBK\x01"
	chunkSize   = 1 << 20
	prefixSize  = 7
)

// ErrDamaged means a backup file failed authentication: altered, truncated, reordered or
// belonging to another backup.
var ErrDamaged = errors.New("backup file is damaged or altered")

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

// encryptStream copies src to dst in authenticated chunks bound to ad (backup id and role).
func encryptStream(dst io.Writer, src io.Reader, key, ad []byte) error {
	g, err := gcm(key)
	if err != nil {
		return err
	}
	prefix := make([]byte, prefixSize)
	if _, err := rand.Read(prefix); err != nil {
		return err
	}
	if _, err := dst.Write(append([]byte(streamMagic), prefix...)); err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, chunkSize)
	buf := make([]byte, chunkSize)
	for counter := uint32(0); ; counter++ {
		n, err := io.ReadFull(br, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return err
		}
		last := n < chunkSize
		if !last {
			// A full chunk is the last one only if nothing follows it.
			if _, perr := br.Peek(1); perr != nil {
				last = true
			}
		}
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(n))
		if _, err := dst.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := dst.Write(g.Seal(nil, chunkNonce(prefix, counter, last), buf[:n], append(ad, hdr[:]...))); err != nil {
			return err
		}
		if last {
			return nil
		}
		if counter == ^uint32(0) {
			return errors.New("backup file too large")
		}
	}
}

// decryptStream reverses encryptStream, writing plaintext to dst only after each chunk
// authenticates. A stream that ends before its last chunk is ErrDamaged.
func decryptStream(dst io.Writer, src io.Reader, key, ad []byte) error {
	g, err := gcm(key)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, chunkSize+64)
	head := make([]byte, len(streamMagic)+prefixSize)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(streamMagic)]) != streamMagic {
		return fmt.Errorf("%w: not a Spoke backup file", ErrDamaged)
	}
	prefix := head[len(streamMagic):]
	buf := make([]byte, chunkSize+g.Overhead())
	for counter := uint32(0); ; counter++ {
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fmt.Errorf("%w: truncated", ErrDamaged)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > chunkSize {
			return fmt.Errorf("%w: bad chunk length", ErrDamaged)
		}
		ct := buf[:int(n)+g.Overhead()]
		if _, err := io.ReadFull(br, ct); err != nil {
			return fmt.Errorf("%w: truncated", ErrDamaged)
		}
		chunkAD := append(append([]byte(nil), ad...), hdr[:]...)
		pt, err := g.Open(nil, chunkNonce(prefix, counter, false), ct, chunkAD)
		last := false
		if err != nil {
			pt, err = g.Open(nil, chunkNonce(prefix, counter, true), ct, chunkAD)
			last = true
		}
		if err != nil {
			return fmt.Errorf("%w: chunk %d fails authentication", ErrDamaged, counter)
		}
		if _, err := dst.Write(pt); err != nil {
			return err
		}
		seal.Wipe(pt)
		if last {
			if _, err := br.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: data after the last chunk", ErrDamaged)
			}
			return nil
		}
	}
}
