package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"

	"spoke/store"
)

// The backup folder keeps a copy of the erasure ledger (store/erasure.go) beside the backups,
// signed with the folder's key like the manifests: the pseudonymous ids of every customer
// erased, and which of them the folder's backups have been rewritten without. A restore from
// the folder erases each again before the restored database opens, whatever backup it
// restores; the next backup after an erasure is a full one, and once its drill passes every
// older backup (which still holds the customer) is deleted from the folder.

const ledgerFile = "erasures.ledger"

// folderLedger is the signed ledger file.
type folderLedger struct {
	IDs []string `json:"ids"` // every erasure the folder knows of
	// Rewritten: erasures the folder's backups are all without (each backup made after them).
	Rewritten []string `json:"rewritten"`
}

// readLedger reads the folder's ledger; a folder without one has an empty ledger.
func readLedger(dir string, bk []byte) (*folderLedger, error) {
	l := &folderLedger{}
	err := readSigned(filepath.Join(dir, ledgerFile), l, bk)
	if errors.Is(err, os.ErrNotExist) {
		return &folderLedger{}, nil
	}
	return l, err
}

// pending returns the erasures of the database (ids) the folder's backups were not all
// rewritten without.
func (l *folderLedger) pending(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(l.Rewritten, id) {
			out = append(out, id)
		}
	}
	return out
}

// record adds the database's erasures to the ledger and, when rewritten, marks them done.
func (l *folderLedger) record(ids []string, rewritten bool) {
	for _, id := range ids {
		if !slices.Contains(l.IDs, id) {
			l.IDs = append(l.IDs, id)
		}
		if rewritten && !slices.Contains(l.Rewritten, id) {
			l.Rewritten = append(l.Rewritten, id)
		}
	}
	slices.Sort(l.IDs)
	slices.Sort(l.Rewritten)
}

// dropOlder deletes every backup of the folder but keep (the rewrite after an erasure) and
// returns their ids. The data first (it holds the customer): a crash then leaves a manifest
// whose file is missing, which 'backup check' names, never an unlisted file with the customer.
func dropOlder(dir string, all []*Manifest, keep *Manifest) []string {
	var out []string
	for _, m := range all {
		if m.ID == keep.ID {
			continue
		}
		os.Remove(filepath.Join(dir, m.ID+".data"))
		os.Remove(filepath.Join(dir, m.ID+".drill"))
		os.Remove(filepath.Join(dir, m.ID+".manifest"))
		out = append(out, m.ID)
	}
	return out
}

// otherLedger reads the ledger of another folder of the same database, unlocked with the same
// credentials (each folder has its own key, wrapped by the database's master key).
func otherLedger(ctx context.Context, dir string, c Credentials, k *store.BackupKeys) ([]string, error) {
	u, err := folderKeys(ctx, dir, c, k)
	if err != nil {
		return nil, err
	}
	defer u.wipe()
	l, err := readLedger(dir, u.bk)
	if err != nil {
		return nil, err
	}
	return l.IDs, nil
}
