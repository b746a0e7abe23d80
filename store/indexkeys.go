package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"spoke/crypto/blind"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/crypto/seal"
)

// Index keys let a shop forget its key's first version. A shop's blind-index keys and its
// erasure-ledger key are derived from version 1 of the shop key; version 1 also wraps the data
// keys of every customer made before the first rotation. An erasure must end with no device able
// to unwrap the erased customer's key from an old change-set, so version 1 must be able to go
// too. Before it can, the owner device that rotates the shop key after an erasure writes each
// key derived from version 1, wrapped under the new version, as an index_keys row: a shop row
// like any other (synced, in snapshots, re-wrapped at every rotation), so a device that never
// held version 1 (one enrolled after it went) still computes the same blind indexes. A row that
// arrives is checked: against version 1 where it is still here, otherwise only an owner
// device may have written it.

// indexPurposes are the keys derived from version 1 of a shop key: one per blind-indexed
// column of the registry, and the erasure ledger's.
func indexPurposes() []string {
	var out []string
	for _, t := range schema {
		for _, c := range t.indexedCols() {
			out = append(out, c.name)
		}
	}
	return append(out, ledgerPurpose)
}

// ledgerPurpose names the erasure ledger's key among a shop's derived keys.
const ledgerPurpose = "erasure-ledger"

// indexKeyID is the row id of a shop's derived key: the same on every device, so two owner
// devices writing it make one row.
func indexKeyID(shop, purpose string) string {
	h := sha256.Sum256([]byte("spoke/index-key-id/v1\x00" + shop + "\x00" + purpose))
	u, _ := uuid.FromBytes(h[:16])
	u[6] = (u[6] & 0x0f) | 0x80 // version 8: application-defined
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

func indexKeyLabel(shop, purpose string, version uint32) []byte {
	return seal.Label("index-key", shop, purpose, fmt.Sprint(version))
}

// derivedShopKey returns a key derived from version 1 of a shop's key: from version 1 itself
// where it is held, otherwise from the shop's index_keys row (read through q, so a row the
// running transaction wrote is seen).
func (s *Store) derivedShopKey(ctx context.Context, q querier, shop, purpose string) (blind.Key, error) {
	k, _, err := s.scopeKey(ctx, shop, 1)
	if err == nil {
		return blind.DeriveKey(k, purpose), nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var wrapped []byte
	var v uint32
	if err := q.QueryRowContext(ctx, "SELECT wrapped, key_version FROM index_keys WHERE id = ? AND shop_id = ? AND purpose = ?", indexKeyID(shop, purpose), shop, purpose).Scan(&wrapped, &v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("shop key %s v1 and its derived %s key: %w", shop, purpose, ErrNotFound)
		}
		return nil, err
	}
	sk, _, err := s.scopeKey(ctx, shop, v)
	if err != nil {
		return nil, err
	}
	d, err := keys.Unwrap(sk, wrapped, indexKeyLabel(shop, purpose, v))
	if err != nil {
		return nil, &SealError{Table: "index_keys", Row: indexKeyID(shop, purpose), Column: "wrapped", Err: err}
	}
	return blind.Key(d), nil
}

// putIndexKeys writes (or re-wraps) every derived key of a shop under version v of the shop
// key: derived from version 1 while it is here, otherwise taken from the shop's row (a later
// rotation, after version 1 went).
func (w *wtx) putIndexKeys(shop string, v uint32) error {
	sk, _, err := w.s.scopeKey(w.ctx, shop, v)
	if err != nil {
		return err
	}
	for _, p := range indexPurposes() {
		id := indexKeyID(shop, p)
		var have sql.NullInt64
		err := w.tx.QueryRowContext(w.ctx, "SELECT key_version FROM index_keys WHERE id = ?", id).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if have.Valid && uint32(have.Int64) == v {
			continue
		}
		d, err := w.s.derivedShopKey(w.ctx, w.tx, shop, p)
		if err != nil {
			return fmt.Errorf("derived keys of %s: %w", shop, err)
		}
		wrapped, err := keys.Wrap(sk, d, indexKeyLabel(shop, p, v))
		if err != nil {
			return err
		}
		cols := []col{plain("wrapped", wrapped), plain("key_version", v)}
		if have.Valid {
			err = w.update("index_keys", shop, id, cols)
		} else {
			err = w.insert("index_keys", shop, id, append([]col{plain("shop_id", shop), plain("purpose", p)}, cols...))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkIndexKeys authenticates the index_keys rows a set wrote: each opens under the shop key
// version it names and is the key its purpose derives from version 1 (where version 1 is here);
// without version 1 here, only an owner device of the roster may have written it.
func (a *applier) checkIndexKeys(ids map[string]bool, from string) error {
	if len(ids) == 0 {
		return nil
	}
	_, _, err := a.s.scopeKey(a.ctx, a.scope, 1)
	haveV1 := err == nil
	// Only owner devices rotate a shop's key, so only they write its derived keys: a shop
	// device rewriting one (to pin an old version, or with a made-up purpose) is refused.
	p, err := a.s.Peer(a.ctx, from)
	if err != nil || !p.Active || p.Role != roster.RoleOwner {
		return &RemoteError{"a shop's derived keys come only from an owner device"}
	}
	for id := range ids {
		var shop, purpose string
		var wrapped []byte
		var v uint32
		if err := a.tx.QueryRowContext(a.ctx, "SELECT shop_id, purpose, wrapped, key_version FROM index_keys WHERE id = ?", id).Scan(&shop, &purpose, &wrapped, &v); err != nil {
			return err
		}
		if id != indexKeyID(shop, purpose) || !slices.Contains(indexPurposes(), purpose) {
			return &RemoteError{"a derived key's row is not where its shop and purpose put it"}
		}
		sk, _, err := a.s.scopeKey(a.ctx, shop, v)
		if err != nil {
			return &RemoteError{"a derived key is wrapped under a key version not held here"}
		}
		d, err := keys.Unwrap(sk, wrapped, indexKeyLabel(shop, purpose, v))
		if err != nil {
			return &RemoteError{"a derived key does not open"}
		}
		if haveV1 {
			want, err := a.s.derivedShopKey(a.ctx, a.tx, shop, purpose)
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare(d, want) != 1 {
				return &RemoteError{"a derived key is not the one its shop key derives"}
			}
		}
		seal.Wipe(d)
	}
	return nil
}

// indexKeyIDs is the JSON list of a shop's derived-key row ids, one per known purpose.
func indexKeyIDs(shop string) string {
	var ids []string
	for _, p := range indexPurposes() {
		ids = append(ids, `"`+indexKeyID(shop, p)+`"`)
	}
	return "[" + strings.Join(ids, ",") + "]"
}
