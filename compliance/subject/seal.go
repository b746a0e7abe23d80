// Package subject turns a data-subject export (store.SubjectData) into what the person
// receives: subject.json (machine-readable, its fields documented in store/subject.go),
// processing.json and two human-readable HTML documents (English and Simplified Chinese) that
// also state the purposes, categories, recipients, retention and sources (GDPR Art. 15(1),
// CCPA right to know), in one zip sealed for transit with age under a generated scrypt
// passphrase. The passphrase is returned once, for the staff member to give the person by
// another channel; this package never writes it anywhere, and never names a value in an error.
//
// It reads only what the store handed out after its own access check and audit; it holds no
// key of the store.
package subject

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
)

// File is one file of the archive.
type File struct {
	Name string
	Data []byte
}

// workFactor is scrypt's log2(N) for the passphrase: age's default, about a second and
// 256 MiB to try one passphrase. Open accepts no more than this, so a crafted file cannot make
// it spend gigabytes.
const workFactor = 18

// The passphrase: passGroups groups of passGroup characters of Crockford's base32 alphabet
// (no I, L, O, U: nothing to misread on a phone call), 125 bits from crypto/rand.
const (
	passAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	passGroup    = 5
	passGroups   = 5
)

// NewPassphrase returns a fresh passphrase such as "7K2QW-M9XTA-...".
func NewPassphrase() (string, error) {
	b := make([]byte, passGroup*passGroups)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%passGroup == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(passAlphabet[c&31]) // 256 is a multiple of 32: uniform
	}
	return s.String(), nil
}

// NormalizePassphrase reads a passphrase as a person may type it back: any case, surrounding
// spaces. age itself takes the exact text, which is what the person is given.
func NormalizePassphrase(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ErrWrongPassphrase means the passphrase does not open the file.
var ErrWrongPassphrase = errors.New("the passphrase does not open this export")

// Seal zips files (stamped with modified) and encrypts the zip with age to the passphrase.
func Seal(files []File, passphrase string, modified time.Time) ([]byte, error) {
	return seal(files, passphrase, modified, workFactor)
}

func seal(files []File, passphrase string, modified time.Time, wf int) ([]byte, error) {
	if passphrase == "" {
		return nil, errors.New("seal: no passphrase")
	}
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(wf)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(z.Bytes()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Limits on what Open reads, so a crafted file cannot exhaust memory.
const (
	maxArchive = 256 << 20 // the decrypted zip
	maxFile    = 128 << 20 // one file in it, uncompressed
	maxFiles   = 32
)

// Open decrypts a sealed export with the passphrase and returns its files, checking that the
// archive is one Seal could have made: at most maxFiles plain, distinct names (no folders, no
// "..") and sizes within limits. It is how a test or a support desk checks an export.
func Open(sealed []byte, passphrase string) ([]File, error) {
	id, err := age.NewScryptIdentity(NormalizePassphrase(passphrase))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	id.SetMaxWorkFactor(workFactor)
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, ErrWrongPassphrase
		}
		return nil, errors.New("this is not a sealed Spoke export, or it is damaged")
	}
	z, err := io.ReadAll(io.LimitReader(r, maxArchive+1))
	if err != nil {
		return nil, errors.New("the export is damaged (it fails authentication)")
	}
	if len(z) > maxArchive {
		return nil, errors.New("the export is larger than any Spoke writes")
	}
	return readArchive(z)
}

// readArchive reads the decrypted zip.
func readArchive(z []byte) ([]File, error) {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		return nil, errors.New("the export holds no valid archive")
	}
	if len(zr.File) > maxFiles {
		return nil, fmt.Errorf("the export holds %d files, more than any Spoke writes", len(zr.File))
	}
	seen := map[string]bool{}
	var out []File
	for i, f := range zr.File {
		if !plainName(f.Name) || seen[f.Name] {
			return nil, fmt.Errorf("file %d of the export has a name Spoke never writes", i+1)
		}
		seen[f.Name] = true
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("file %d of the export cannot be read", i+1)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxFile+1))
		rc.Close()
		if err != nil || len(data) > maxFile {
			return nil, fmt.Errorf("file %d of the export is damaged or too large", i+1)
		}
		out = append(out, File{Name: f.Name, Data: data})
	}
	return out, nil
}

// plainName: a file name without folders, as Seal writes them.
func plainName(n string) bool {
	return n != "" && len(n) <= 64 && utf8.ValidString(n) && !strings.ContainsAny(n, "/\\:\x00") && n != "." && n != ".." && !strings.HasPrefix(n, ".")
}

// Find returns the named file of files.
func Find(files []File, name string) ([]byte, bool) {
	for _, f := range files {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}
