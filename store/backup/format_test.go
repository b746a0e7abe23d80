package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"spoke/store"
)

// folderKey opens e's backup folder the way Backup does and returns its backup key: the tests
// below play someone holding it (a bug in a later Spoke, or an attacker with the key) who
// writes files the MAC and the stream accept, so only the format's own checks stand between
// them and a restore.
func folderKey(t testing.TB, e *env) []byte {
	t.Helper()
	k, err := e.ss.BackupKeys(context.Background(), store.OpBackup, "backup.test")
	if err != nil {
		t.Fatal(err)
	}
	bk, _, err := openFolder(context.Background(), k, e.bdir)
	if err != nil {
		t.Fatal(err)
	}
	return bk
}

func readManifest(t testing.TB, dir, id string, bk []byte) *Manifest {
	t.Helper()
	m := &Manifest{}
	if err := readSigned(filepath.Join(dir, id+".manifest"), m, bk); err != nil {
		t.Fatal(err)
	}
	return m
}

func resign(t testing.TB, dir string, m *Manifest, bk []byte) {
	t.Helper()
	if err := writeSigned(filepath.Join(dir, m.ID+".manifest"), m, bk); err != nil {
		t.Fatal(err)
	}
}

// plaintextOf decodes a backup's data file.
func plaintextOf(t testing.TB, dir string, m *Manifest, bk []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := readData(dir, m, m.Files[0], bk, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sealFile writes payload as m's data file (encrypted under ad) and records its size and hash
// in m.Files[0], as an encoder that produced that payload would.
func sealFile(t testing.TB, dir string, m *Manifest, bk, ad, payload []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := encryptStream(&out, bytes.NewReader(payload), bk, ad); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, m.Files[0].Name), out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(out.Bytes())
	m.Files[0].Size, m.Files[0].SHA256 = int64(out.Len()), hex.EncodeToString(sum[:])
}

// toFormat1 rewrites backup m as the Spoke before format version 2 wrote it: the plaintext
// encrypted as it is (the old encryptFile: the stream under fileAD), a version 1 manifest
// without encoding or plaintext fields.
func toFormat1(t testing.TB, dir string, m *Manifest, bk []byte) {
	t.Helper()
	plain := plaintextOf(t, dir, m, bk)
	m.Version = formatRaw
	m.Files[0].Encoding, m.Files[0].PlainSize, m.Files[0].PlainSHA256 = "", 0, ""
	sealFile(t, dir, m, bk, fileAD(m.ID, m.Files[0].Name), plain)
	resign(t, dir, m, bk)
}

func zstdOf(t *testing.T, p []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(p, nil)
}

func TestNewBackupsAreCompressedThenEncrypted(t *testing.T) {
	e := newEnv(t)
	e.change(t, 5)
	full := e.backup(t, Full).Manifest
	e.change(t, 2)
	inc := e.backup(t, Incremental).Manifest
	bk := folderKey(t, e)
	for _, m := range []*Manifest{full, inc} {
		f := m.Files[0]
		if m.Version != FormatVersion || f.Encoding != EncodingZstd || f.PlainSize <= 0 || len(f.PlainSHA256) != 64 {
			t.Fatalf("%s manifest: version %d, %+v", m.Kind, m.Version, f)
		}
		if f.Size >= f.PlainSize {
			t.Errorf("%s: %d bytes on disk for %d of plaintext: not compressed", m.Kind, f.Size, f.PlainSize)
		}
		plain := plaintextOf(t, e.bdir, m, bk)
		if sum := sha256.Sum256(plain); int64(len(plain)) != f.PlainSize || hex.EncodeToString(sum[:]) != f.PlainSHA256 {
			t.Fatalf("%s: decoded plaintext differs from the manifest's size and hash", m.Kind)
		}
		if !bytes.HasPrefix(plain, []byte("SQLite format 3\x00")) {
			t.Fatalf("%s: the plaintext is not the SQLite file (compressed after encryption?)", m.Kind)
		}
	}
	// The full's plaintext is the database at the manifest's point, page for page.
	db := filepath.Join(t.TempDir(), "full.db")
	if err := os.WriteFile(db, plaintextOf(t, e.bdir, full, bk), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := store.FileSnapshot(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameSnapshot(p, &full.Snapshot); err != nil {
		t.Fatalf("streamed snapshot differs from its manifest: %v", err)
	}
}

// TestFormat1BackupsStillRestore: a folder written before compression (format version 1)
// restores, checks, and takes new (version 2) incrementals on top of its old chain.
func TestFormat1BackupsStillRestore(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	full := e.backup(t, Full).Manifest
	e.change(t, 2)
	inc := e.backup(t, Incremental).Manifest
	bk := folderKey(t, e)
	toFormat1(t, e.bdir, full, bk)
	toFormat1(t, e.bdir, inc, bk)
	if m := readManifest(t, e.bdir, full.ID, bk); m.Version != 1 || m.Files[0].Encoding != "" {
		t.Fatalf("not rewritten in format 1: %+v", m)
	}
	res, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "r1"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}})
	if err != nil {
		t.Fatalf("restore of format 1 backups: %v", err)
	}
	if res.Snapshot.ContentHash != inc.Snapshot.ContentHash || len(res.Applied) != 2 {
		t.Fatalf("restored %v", res.Applied)
	}
	// A full alone in format 1 is proved by its content hash (it records no plaintext hash).
	if _, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "r0"), Credentials{RecoveryCode: e.code}, RestoreOptions{At: full.ID, Store: store.Options{KDF: fastKDF}}); err != nil {
		t.Fatalf("restore of a format 1 full: %v", err)
	}
	e.change(t, 2)
	next := e.backup(t, Incremental).Manifest // drilled on top of the format 1 chain
	if next.Version != FormatVersion {
		t.Fatalf("new backup in format %d", next.Version)
	}
	res, err = Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "r2"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}})
	if err != nil || res.Snapshot.ContentHash != next.Snapshot.ContentHash {
		t.Fatalf("mixed-format chain: %v", err)
	}
	if problems, err := Check(ctx, e.bdir, Credentials{RecoveryCode: e.code}, true); err != nil || len(problems) != 0 {
		t.Fatalf("check of a mixed-format folder: %v %v", err, problems)
	}
}

// TestHostileEncoding plays someone who writes files the folder's key authenticates but whose
// encoding lies: each is refused with a clear error, nothing is left at the target, and
// check --read-data names it.
func TestHostileEncoding(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 3)
	full := e.backup(t, Full).Manifest
	bk := folderKey(t, e)
	genuine := plaintextOf(t, e.bdir, full, bk)
	v2AD := fileADv2(full.ID, full.Files[0].Name, EncodingZstd)
	bomb := zstdOf(t, make([]byte, 64<<20))
	tests := []struct {
		name  string
		alter func(dir string, m *Manifest)
		is    error
		want  string
	}{
		{"garbage claiming zstd", func(dir string, m *Manifest) {
			junk := make([]byte, 100_000)
			rand.Read(junk)
			sealFile(t, dir, m, bk, v2AD, junk)
		}, ErrDamaged, "does not decompress"},
		{"compression bomb", func(dir string, m *Manifest) { sealFile(t, dir, m, bk, v2AD, bomb) }, ErrDamaged, "more bytes than its manifest records"},
		{"plaintext size understated", func(dir string, m *Manifest) { m.Files[0].PlainSize-- }, ErrDamaged, "more bytes than its manifest records"},
		{"plaintext size overstated", func(dir string, m *Manifest) { m.Files[0].PlainSize++ }, ErrDamaged, "differ from the"},
		{"plaintext hash replaced", func(dir string, m *Manifest) {
			m.Files[0].PlainSHA256 = strings.Repeat("0", 64)
		}, ErrDamaged, "differ from the"},
		{"compressed stream cut short", func(dir string, m *Manifest) {
			z := zstdOf(t, genuine)
			sealFile(t, dir, m, bk, v2AD, z[:len(z)/2])
		}, ErrDamaged, "does not decompress"},
		{"two frames, the second not in the manifest", func(dir string, m *Manifest) {
			sealFile(t, dir, m, bk, v2AD, append(zstdOf(t, genuine), zstdOf(t, []byte("more pages"))...))
		}, ErrDamaged, "more bytes than its manifest records"},
		{"downgraded to format 1", func(dir string, m *Manifest) {
			m.Version, m.Files[0].Encoding, m.Files[0].PlainSize, m.Files[0].PlainSHA256 = 1, "", 0, ""
		}, ErrDamaged, full.ID + ".data"},
		{"format 1 naming an encoding", func(dir string, m *Manifest) { m.Version = 1 }, ErrManifest, "format version 1"},
		{"format 2 without a plaintext hash", func(dir string, m *Manifest) { m.Files[0].PlainSHA256 = "" }, ErrManifest, "no plaintext size or hash"},
		{"unknown encoding", func(dir string, m *Manifest) { m.Files[0].Encoding = "xz" }, ErrManifest, `encoding "xz"`},
		{"newer format", func(dir string, m *Manifest) { m.Version = FormatVersion + 1 }, ErrNewerFormat, "update Spoke"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, e.bdir)
			m := readManifest(t, dir, full.ID, bk)
			tc.alter(dir, m)
			resign(t, dir, m, bk)
			// The decoder never hands out more than the manifest records.
			cw := newHashWriter(io.Discard)
			err := readData(dir, m, m.Files[0], bk, cw)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("readData: %v, want %v naming %q", err, tc.is, tc.want)
			}
			if m.Files[0].PlainSize > 0 && cw.n > m.Files[0].PlainSize {
				t.Fatalf("%d bytes decoded past the recorded %d", cw.n, m.Files[0].PlainSize)
			}
			dst := filepath.Join(t.TempDir(), "restored")
			_, err = Restore(ctx, dir, dst, Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore: %v, want %v naming %q", err, tc.is, tc.want)
			}
			if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
				t.Fatal("a half-restored directory was left behind")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".spoke-restoring-*")); len(left) != 0 {
				t.Fatal("scratch directory left behind")
			}
			problems, err := Check(ctx, dir, Credentials{RecoveryCode: e.code}, true)
			if err != nil || len(problems) == 0 {
				t.Fatalf("check --read-data: %v %v", err, problems)
			}
		})
	}
}

// TestInterruptedWritesLeaveNoBackup: a full disk, a failing snapshot and a process killed
// mid-write leave no file a manifest names, and the folder keeps working.
func TestInterruptedWritesLeaveNoBackup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.change(t, 2)
	e.backup(t, Full)
	bk := folderKey(t, e)

	t.Run("full disk", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		path := filepath.Join(e.bdir, "full-disk.data")
		if err := os.Symlink("/dev/full", path+".tmp"); err != nil {
			t.Fatal(err)
		}
		_, err := writeData(path, "full-disk", bk, func(w io.Writer) error {
			_, err := io.Copy(w, io.LimitReader(rand.Reader, 4<<20))
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("write to a full disk: %v", err)
		}
		for _, p := range []string{path, path + ".tmp"} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s left behind", filepath.Base(p))
			}
		}
	})
	t.Run("snapshot fails mid-way", func(t *testing.T) {
		path := filepath.Join(e.bdir, "broken.data")
		boom := errors.New("snapshot stopped")
		_, err := writeData(path, "broken", bk, func(w io.Writer) error {
			if _, err := io.Copy(w, io.LimitReader(rand.Reader, 3<<20)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		for _, p := range []string{path, path + ".tmp"} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s left behind", filepath.Base(p))
			}
		}
	})
	t.Run("killed mid-write", func(t *testing.T) {
		// What a killed backup leaves: a partial temporary file, or a data file whose manifest
		// was never written.
		os.WriteFile(filepath.Join(e.bdir, "0190aaaa-0000-7000-8000-000000000001.data.tmp"), []byte("SPKBK\x01half"), 0o600)
		os.WriteFile(filepath.Join(e.bdir, "0190aaaa-0000-7000-8000-000000000002.data"), []byte("SPKBK\x01whole"), 0o600)
		es, err := List(ctx, e.bdir, Credentials{RecoveryCode: e.code})
		if err != nil || len(es) != 1 {
			t.Fatalf("list: %v, %d backups", err, len(es))
		}
		e.change(t, 1)
		inc := e.backup(t, Incremental).Manifest
		res, err := Restore(ctx, e.bdir, filepath.Join(t.TempDir(), "r"), Credentials{RecoveryCode: e.code}, RestoreOptions{Store: store.Options{KDF: fastKDF}})
		if err != nil || res.Snapshot.ContentHash != inc.Snapshot.ContentHash {
			t.Fatalf("restore beside leftovers: %v", err)
		}
	})
}

// FuzzReadData feeds the decoder whatever an authenticated data file may hold (the payload is
// sealed under the folder's key, so the stream accepts it): it never panics, never hands out
// more than the manifest's plaintext size, and succeeds only with exactly the recorded bytes.
func FuzzReadData(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00 pages"), int64(22), false)
	f.Add([]byte("not zstd at all"), int64(4096), true)
	f.Add([]byte{}, int64(1), true)
	bk := make([]byte, 32)
	rand.Read(bk)
	f.Fuzz(func(t *testing.T, payload []byte, plainSize int64, raw bool) {
		if plainSize <= 0 || plainSize > 1<<20 {
			plainSize = 1 + plainSize&0xffff
		}
		dir := t.TempDir()
		m := &Manifest{Version: FormatVersion, ID: "0190aaaa-0000-7000-8000-00000000000f", Files: []FileRef{{Name: "f.data", Encoding: EncodingZstd, PlainSize: plainSize, PlainSHA256: strings.Repeat("ab", 32)}}}
		z := payload
		if !raw { // a well-formed frame of the payload, so the fuzzer reaches the bounds
			z = zstdOf(t, payload)
		}
		sealFile(t, dir, m, bk, fileADv2(m.ID, "f.data", EncodingZstd), z)
		cw := newHashWriter(io.Discard)
		err := readData(dir, m, m.Files[0], bk, cw)
		if cw.n > plainSize {
			t.Fatalf("%d bytes out for a recorded %d", cw.n, plainSize)
		}
		if err == nil {
			t.Fatal("accepted bytes whose hash the manifest does not record")
		}
		if !errors.Is(err, ErrDamaged) {
			t.Fatalf("refused without ErrDamaged: %v", err)
		}
		// With the true hash and size, a well-formed frame decodes to its payload exactly.
		if !raw && len(payload) > 0 {
			sum := sha256.Sum256(payload)
			m.Files[0].PlainSize, m.Files[0].PlainSHA256 = int64(len(payload)), hex.EncodeToString(sum[:])
			var out bytes.Buffer
			if err := readData(dir, m, m.Files[0], bk, &out); err != nil || !bytes.Equal(out.Bytes(), payload) {
				t.Fatalf("genuine frame: %v", err)
			}
		}
	})
}
