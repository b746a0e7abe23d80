package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"spoke/crypto/seal"
)

// Versions of the backup format, recorded in every manifest (which is MAC'd, so the version and
// everything it implies are authenticated):
//
//	1  a data file's stream (spoke/crypto/stream) holds the snapshot or delta as it is
//	2  the stream holds it compressed with zstd (EncodingZstd), and each FileRef records the
//	   plaintext's size and SHA-256: restore decrypts, decompresses and checks both hashes in
//	   one pass, and never decodes past the recorded size
//
// Compression always happens before encryption, never after: ciphertext does not compress,
// and what the folder holds stays indistinguishable from random bytes.
const (
	formatRaw  = 1
	formatZstd = 2
	// FormatVersion is the version new backups are written in.
	FormatVersion = formatZstd
	// EncodingZstd names zstd-compressed plaintext in a FileRef.
	EncodingZstd = "zstd"
)

// ErrNewerFormat means a backup was written by a newer Spoke than this one: update Spoke to
// restore it. Nothing of it is decoded.
var ErrNewerFormat = errors.New("written by a newer version of Spoke: update Spoke to restore it")

// Bounds on what a decoder may hold, whatever a data file's frames ask for (the encoder below
// uses an 8 MiB window).
const (
	encoderWindow    = 8 << 20
	decoderMaxWindow = 32 << 20
	decoderMaxMemory = 64 << 20
)

// fileADv2 binds a version 2 file's chunks to its backup, its name and its encoding, so a file
// cannot be presented under another encoding or version than it was written with.
func fileADv2(id, name, encoding string) []byte {
	return seal.Label("spoke/backup-file/v2", id, name, encoding)
}

// codecOf checks what a manifest says about one of its files and returns the stream's
// additional data; a manifest of an unknown (newer) version is ErrNewerFormat.
func codecOf(m *Manifest, ref FileRef) ([]byte, error) {
	switch {
	case m.Version == formatRaw && ref.Encoding == "":
		return fileAD(m.ID, ref.Name), nil
	case m.Version == formatZstd && ref.Encoding == EncodingZstd:
		if ref.PlainSize <= 0 || len(ref.PlainSHA256) != 2*sha256.Size {
			return nil, fmt.Errorf("%s.manifest: %w (no plaintext size or hash for %s)", m.ID, ErrManifest, ref.Name)
		}
		return fileADv2(m.ID, ref.Name, ref.Encoding), nil
	case m.Version > FormatVersion:
		return nil, fmt.Errorf("backup %s (format version %d): %w", m.ID, m.Version, ErrNewerFormat)
	}
	return nil, fmt.Errorf("%s.manifest: %w (format version %d with encoding %q)", m.ID, ErrManifest, m.Version, ref.Encoding)
}

// hashWriter hashes and counts what passes through it.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (c *hashWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func (c *hashWriter) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// writeData writes one data file of backup id into path (via path.tmp, fsync, rename) in
// format FormatVersion: produce writes the plaintext, which is hashed, compressed and encrypted
// as it comes, so no plaintext copy is ever written. A failure (full disk, a cancelled
// snapshot) leaves nothing at path; a process killed mid-way leaves at most path.tmp, which
// no manifest names.
func writeData(path, id string, bk []byte, produce func(w io.Writer) error) (FileRef, error) {
	name := filepath.Base(path)
	tmp := path + ".tmp"
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return FileRef{}, fileErr("write backup file", name, err)
	}
	cw := newHashWriter(dst)
	pr, pw := io.Pipe()
	plain := newHashWriter(io.Discard)
	done := make(chan error, 1)
	go func() {
		zw, err := zstd.NewWriter(pw, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(encoderWindow))
		if err == nil {
			plain.w = zw
			err = produce(plain)
			if cerr := zw.Close(); err == nil {
				err = cerr
			}
		}
		pw.CloseWithError(err)
		done <- err
	}()
	err = encryptStream(cw, pr, bk, fileADv2(id, name, EncodingZstd))
	pr.CloseWithError(errWriterGone) // unblocks the producer if encryption stopped
	if perr := <-done; perr != nil && !errors.Is(perr, errWriterGone) {
		err = perr // the producer's own error says more than the pipe's
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return FileRef{}, fileErr("write backup file", name, err)
	}
	return FileRef{Name: name, Size: cw.n, SHA256: cw.sum(), Encoding: EncodingZstd, PlainSize: plain.n, PlainSHA256: plain.sum()}, nil
}

// statFile checks that a backup's file is there with its recorded size: cheap, so a restore
// checks every file of its chain before it decodes any.
func statFile(dir string, ref FileRef) error {
	fi, err := os.Stat(filepath.Join(dir, ref.Name))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup file %s is missing", ref.Name)
	}
	if err != nil {
		return fileErr("read backup file", ref.Name, err)
	}
	if fi.Size() != ref.Size {
		return fmt.Errorf("backup file %s has %d bytes, its manifest says %d (truncated or replaced)", ref.Name, fi.Size(), ref.Size)
	}
	return nil
}

// limitWriter refuses to pass more than max bytes: a file that decodes past what its
// manifest records is refused at that byte, never written out in full (a compression bomb).
type limitWriter struct {
	w   io.Writer
	max int64
	n   int64
}

var (
	errTooLong    = errors.New("decodes to more bytes than its manifest records")
	errReaderGone = errors.New("backup file not read to its end")
	errWriterGone = errors.New("backup file not written")
)

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.max-l.n {
		return 0, errTooLong
	}
	n, err := l.w.Write(p)
	l.n += int64(n)
	return n, err
}

// readData authenticates and decodes one file of backup m into dst in a single pass over it:
// the ciphertext is hashed as it is read, each chunk authenticated before it is decompressed,
// the output bounded by and compared with the manifest's plaintext size and hash. dst may have
// received bytes when it fails: callers write to a scratch place and keep it only on nil.
func readData(dir string, m *Manifest, ref FileRef, bk []byte, dst io.Writer) error {
	ad, err := codecOf(m, ref)
	if err != nil {
		return err
	}
	if err := statFile(dir, ref); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, ref.Name))
	if err != nil {
		return fileErr("read backup file", ref.Name, err)
	}
	defer f.Close()
	ch := sha256.New()
	src := io.TeeReader(f, ch)
	var plain *hashWriter
	if ref.Encoding == "" {
		err = decryptStream(dst, src, bk, ad)
	} else {
		plain = newHashWriter(&limitWriter{w: dst, max: ref.PlainSize})
		err = decodeZstd(plain, src, bk, ad)
	}
	if err != nil {
		return fmt.Errorf("backup file %s: %w", ref.Name, err)
	}
	// The rest of the file after the last chunk is refused by the stream; the hash then
	// covers every byte of it.
	if hex.EncodeToString(ch.Sum(nil)) != ref.SHA256 {
		return fmt.Errorf("backup file %s does not match its manifest (altered or swapped)", ref.Name)
	}
	if plain != nil && (plain.n != ref.PlainSize || plain.sum() != ref.PlainSHA256) {
		return fmt.Errorf("backup file %s: %w: decodes to %d bytes that differ from the %d its manifest records", ref.Name, ErrDamaged, plain.n, ref.PlainSize)
	}
	return nil
}

// decodeZstd decrypts src and decompresses it into dst, the decryption running ahead in its own
// goroutine; only authenticated bytes reach the decompressor.
func decodeZstd(dst io.Writer, src io.Reader, bk, ad []byte) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := decryptStream(pw, src, bk, ad)
		pw.CloseWithError(err)
		done <- err
	}()
	zr, err := zstd.NewReader(pr, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(decoderMaxWindow), zstd.WithDecoderMaxMemory(decoderMaxMemory))
	if err == nil {
		_, err = zr.WriteTo(dst)
		zr.Close()
	}
	pr.CloseWithError(errReaderGone)
	if derr := <-done; derr != nil && !(errors.Is(derr, errReaderGone) && err != nil) {
		return derr
	}
	switch {
	case errors.Is(err, errTooLong):
		return fmt.Errorf("%w: %w (refused)", ErrDamaged, err)
	case err != nil:
		return fmt.Errorf("%w: does not decompress: %v", ErrDamaged, err)
	}
	return nil
}

// fileErr names a backup file by its name in the folder, never by its full path: the path is
// the user's (a home directory, a share's name) and an error may end up in a drill record, the
// audit trail or a log. errors.Is still sees the cause (os.ErrNotExist, a full disk...).
func fileErr(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}
