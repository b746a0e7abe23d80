package backup

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/store"
)

// Kinds of backup.
const (
	Full         = "full"
	Incremental  = "incremental"
	Differential = "differential"
)

const keyFile = "spoke-backup.key"

// keyFileData is the folder's key file: wrapped keys only.
type keyFileData struct {
	Version      int    `json:"version"`
	DatabaseID   string `json:"database_id"`
	BackupKey    []byte `json:"backup_key_wrapped_by_master_key"`
	RecoveryMK   []byte `json:"master_key_wrapped_by_recovery_code"`
	PassphraseMK []byte `json:"master_key_wrapped_by_passphrase,omitempty"`
}

// backupKeyLabel is the label the backup key is wrapped under; the store wraps it with the same
// one (store.BackupKeys.WrapBackupKey), so a folder opens with the session or the recovery code.
func backupKeyLabel(dbID string) []byte { return seal.Label("backup-key", dbID) }

// FileRef is one file of a backup with its size and hash.
type FileRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// From format version 2 (format.go): how the plaintext was encoded before encryption
	// (EncodingZstd), and its size and SHA-256 once decoded, which bound and check the decoding.
	Encoding    string `json:"encoding,omitempty"`
	PlainSize   int64  `json:"plain_size,omitempty"`
	PlainSHA256 string `json:"plain_sha256,omitempty"`
}

// Manifest describes one backup. It is authenticated with a MAC under the backup key.
type Manifest struct {
	Version       int            `json:"version"` // the format version (format.go)
	ID            string         `json:"id"`
	Kind          string         `json:"kind"`
	Parent        string         `json:"parent,omitempty"` // previous backup this one applies on top of
	Full          string         `json:"full"`             // the full backup its chain starts from
	Created       time.Time      `json:"created"`
	Device        string         `json:"device"`
	DatabaseID    string         `json:"database_id"`
	SchemaVersion int            `json:"schema_version"`
	FromChangeSeq int64          `json:"from_change_seq"`
	FromAuditSeq  int64          `json:"from_audit_seq"`
	Snapshot      store.Snapshot `json:"point"` // the database after applying this backup
	Files         []FileRef      `json:"files"`
}

// Drill is the recorded result of an automatic restore drill.
type Drill struct {
	BackupID string           `json:"backup_id"`
	At       time.Time        `json:"at"`
	Passed   bool             `json:"passed"`
	Duration time.Duration    `json:"duration_ns"`
	Counts   map[string]int64 `json:"counts,omitempty"`
	Problem  string           `json:"problem,omitempty"`
	// DeltaOnly: the drill checked this incremental's own file against its parent, whose
	// drill had passed (store.BackupKeys.CheckDelta), instead of restoring the whole chain.
	DeltaOnly bool `json:"delta_only,omitempty"`
}

type signed struct {
	Body json.RawMessage `json:"body"`
	MAC  string          `json:"mac"`
}

func macKey(backupKey []byte) []byte { return keys.Derive(backupKey, "spoke/backup-manifest/v1") }

func writeSigned(path string, v any, backupKey []byte) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, macKey(backupKey))
	m.Write([]byte(filepath.Base(path)))
	m.Write(body)
	out, err := json.MarshalIndent(signed{Body: body, MAC: hex.EncodeToString(m.Sum(nil))}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, out)
}

// ErrManifest means a manifest or drill record failed authentication or does not parse.
var ErrManifest = errors.New("backup manifest is damaged or altered")

// maxSmallFile bounds what is read of a backup folder's key file, manifests and drill records
// before they are authenticated: a hostile folder (a share anyone can write) could otherwise
// plant a huge file, or a link to an endless device, and exhaust memory.
const maxSmallFile = 4 << 20

// ErrNotAFile means a key file, manifest or drill record is not a regular file of sensible size.
var ErrNotAFile = errors.New("not a regular file of a backup's size")

// readSmall reads one of the folder's small files: a regular file (not a link, device or pipe)
// of at most maxSmallFile bytes.
func readSmall(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fileErr("read", filepath.Base(path), err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxSmallFile {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), ErrNotAFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr("read", filepath.Base(path), err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err == nil && len(raw) > maxSmallFile {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), ErrNotAFile)
	}
	return raw, err
}

func readSigned(path string, v any, backupKey []byte) error {
	raw, err := readSmall(path)
	if err != nil {
		return err
	}
	var s signed
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrManifest)
	}
	// The file is indented for people; the MAC covers the compact body.
	var body bytes.Buffer
	if err := json.Compact(&body, s.Body); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrManifest)
	}
	m := hmac.New(sha256.New, macKey(backupKey))
	m.Write([]byte(filepath.Base(path)))
	m.Write(body.Bytes())
	want, err := hex.DecodeString(s.MAC)
	if err != nil || !hmac.Equal(want, m.Sum(nil)) {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrManifest)
	}
	if err := json.Unmarshal(s.Body, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrManifest)
	}
	return nil
}

// writeFileAtomic writes via a temporary file, fsync and rename, so a crash leaves either the
// old file or the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// listManifests reads and authenticates every manifest in dir, oldest first.
func listManifests(dir string, backupKey []byte) ([]*Manifest, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.manifest"))
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, n := range names {
		m := &Manifest{}
		if err := readSigned(n, m, backupKey); err != nil {
			return nil, err
		}
		if m.ID+".manifest" != filepath.Base(n) {
			return nil, fmt.Errorf("%s: %w (names another backup)", filepath.Base(n), ErrManifest)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func readDrill(dir, id string, backupKey []byte) (*Drill, error) {
	d := &Drill{}
	err := readSigned(filepath.Join(dir, id+".drill"), d, backupKey)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return d, err
}

// chainTo returns the backups to apply, in order, to reach target: its full, then (following
// parent links) the differential and incrementals after it.
func chainTo(all []*Manifest, target *Manifest) ([]*Manifest, error) {
	byID := map[string]*Manifest{}
	for _, m := range all {
		byID[m.ID] = m
	}
	var chain []*Manifest
	for m := target; ; {
		chain = append(chain, m)
		if m.Kind == Full {
			break
		}
		p := byID[m.Parent]
		if p == nil {
			return nil, fmt.Errorf("backup %s needs backup %s, which is missing from the folder", m.ID, m.Parent)
		}
		if p.Snapshot.ChangeSeq != m.FromChangeSeq || p.Snapshot.AuditSeq != m.FromAuditSeq {
			return nil, fmt.Errorf("backup %s does not continue from %s (out of order)", m.ID, p.ID)
		}
		m = p
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}
