package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"spoke/crypto/blind"
	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// ScopeKey is one unwrapped scope key, for sealing to another device at enrollment or
// rotation. Never stored or sent in clear.
type ScopeKey struct {
	Scope   string
	Version uint32
	Key     []byte
}

// ExportScopeKeys returns every version of the given scopes' keys (owner only: devices and
// keys are the owner's, DESIGN.md).
func (ss *Session) ExportScopeKeys(ctx context.Context, scopes []string) ([]ScopeKey, error) {
	if _, err := ss.require(ctx, OpDevices, target{any: true}, "keys.export", ""); err != nil {
		return nil, err
	}
	var out []ScopeKey
	for _, scope := range scopes {
		rows, err := ss.s.db.QueryContext(ctx, "SELECT version FROM scope_keys WHERE scope = ? ORDER BY version", scope)
		if err != nil {
			return nil, err
		}
		var vs []uint32
		for rows.Next() {
			var v uint32
			rows.Scan(&v)
			vs = append(vs, v)
		}
		rows.Close()
		for _, v := range vs {
			k, _, err := ss.s.scopeKey(ctx, scope, v)
			if err != nil {
				return nil, err
			}
			out = append(out, ScopeKey{Scope: scope, Version: v, Key: append([]byte(nil), k...)})
		}
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "keys.export", Detail: fmt.Sprintf("scopes=%d keys=%d", len(scopes), len(out))})
	return out, nil
}

// importScopeKeys stores scope keys received from another device (sealed to this one),
// wrapped under this database's master key. A version already present must be identical.
func (s *Store) importScopeKeys(ctx context.Context, ks []ScopeKey) error {
	return s.write(ctx, syncActor, "keys.import", func(w *wtx) error {
		skipped := 0
		for _, k := range ks {
			if len(k.Key) != 32 || k.Version == 0 || k.Scope == "" {
				return &RemoteError{"a received key is malformed"}
			}
			// A version this database forgot (after an erasure and compaction) does not come
			// back with an old envelope the hub still holds.
			if floor, err := s.forgottenBelow(ctx, w.tx, k.Scope); err != nil {
				return err
			} else if k.Version < floor {
				skipped++
				continue
			}
			existing, _, err := s.scopeKey(ctx, k.Scope, k.Version)
			if err == nil {
				if string(existing) != string(k.Key) {
					return &RemoteError{"a received key differs from the one held for that version"}
				}
				continue
			}
			s.mu.RLock()
			wrapped, err := keys.Wrap(s.mk, k.Key, scopeLabel(k.Scope, k.Version))
			s.mu.RUnlock()
			if err != nil {
				return err
			}
			if _, err := w.tx.ExecContext(ctx, "INSERT INTO scope_keys(scope, version, wrapped, created_at) VALUES(?, ?, ?, ?)", k.Scope, k.Version, wrapped, w.now); err != nil {
				return err
			}
			s.mu.Lock()
			if s.scopes[k.Scope] == nil {
				s.scopes[k.Scope] = map[uint32][]byte{}
			}
			s.scopes[k.Scope][k.Version] = append([]byte(nil), k.Key...)
			if k.Version > s.current[k.Scope] {
				s.current[k.Scope] = k.Version
			}
			s.mu.Unlock()
		}
		w.audit.Detail = fmt.Sprintf("keys=%d", len(ks)-skipped)
		if skipped > 0 {
			w.audit.Detail += fmt.Sprintf(" forgotten_refused=%d", skipped)
		}
		return nil
	})
}

// RotateScopeKey makes a new version of a scope key (after a device is revoked): new customer
// keys and change-sets use it; old versions stay for reading old data.
func (ss *Session) RotateScopeKey(ctx context.Context, scope string) (uint32, error) {
	var v uint32
	err := ss.write(ctx, "keys.rotate", func(w *wtx) error {
		if _, err := w.allow(ss, OpDevices, target{any: true}); err != nil {
			return err
		}
		if err := ss.s.newScopeKey(ctx, w.tx, scope); err != nil {
			return err
		}
		ss.s.mu.RLock()
		v = ss.s.current[scope]
		ss.s.mu.RUnlock()
		w.audit.Target, w.audit.Detail = scope, fmt.Sprintf("version=%d", v)
		return nil
	})
	return v, err
}

// RotateScopeKeyTo makes version v of a scope key, unless this database already holds it or a
// newer one, and returns the version to share from now on (v, or the newer one). Revocation
// names v after the roster entry that revoked the device: two owner devices revoking at once get
// different entries from the roster (which takes one entry per position), so they can never make
// two different keys of one version; and a revocation run again rotates nothing more.
func (ss *Session) RotateScopeKeyTo(ctx context.Context, scope string, v uint32) (uint32, error) {
	err := ss.write(ctx, "keys.rotate", func(w *wtx) error {
		if _, err := w.allow(ss, OpDevices, target{any: true}); err != nil {
			return err
		}
		var have uint32
		if err := w.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM scope_keys WHERE scope = ?", scope).Scan(&have); err != nil {
			return err
		}
		w.audit.Target = scope
		if have >= v {
			v = have
			w.audit.Detail = fmt.Sprintf("version=%d held", v)
			return nil
		}
		w.audit.Detail = fmt.Sprintf("version=%d", v)
		return ss.s.newScopeKeyAt(ctx, w.tx, scope, v)
	})
	return v, err
}

// Scopes lists the scopes this database holds keys for.
func (s *Store) Scopes(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "SELECT DISTINCT scope FROM scope_keys ORDER BY scope")
}

// rowKey returns the key sealing a row's personal fields, inside a transaction.
func (s *Store) rowKey(ctx context.Context, q querier, table, id string) ([]byte, error) {
	cust := id
	switch table {
	case "users", "alerts": // staff records, a reviewer's note on an alert: the org key
		k, _, err := s.scopeKey(ctx, OrgScope, 1)
		return k, err
	case "bikes", "work_orders":
		if err := q.QueryRowContext(ctx, "SELECT customer_id FROM "+table+" WHERE id = ?", id).Scan(&cust); err != nil {
			return nil, err
		}
	case "customers":
	default:
		return nil, ErrNotFound
	}
	c, err := scanCust(q.QueryRowContext(ctx, "SELECT "+custCols+" FROM customers WHERE id = ?", cust))
	if err != nil {
		return nil, err
	}
	return s.unwrapDEK(ctx, c)
}

// OrgScope is the scope of org-wide data: users, roles, audit reasons.
const OrgScope = "org"

func scopeLabel(scope string, version uint32) []byte {
	return seal.Label("scope", scope, strconv.FormatUint(uint64(version), 10))
}

// newScopeKey creates the next version of a scope key, wrapped by the master key.
func (s *Store) newScopeKey(ctx context.Context, q querier, scope string) error {
	var v uint32
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM scope_keys WHERE scope = ?", scope).Scan(&v); err != nil {
		return err
	}
	return s.newScopeKeyAt(ctx, q, scope, v)
}

// newScopeKeyAt creates version v of a scope key, wrapped by the master key.
func (s *Store) newScopeKeyAt(ctx context.Context, q querier, scope string, v uint32) error {
	k := keys.New()
	s.mu.RLock()
	w, err := keys.Wrap(s.mk, k, scopeLabel(scope, v))
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, "INSERT INTO scope_keys(scope, version, wrapped, created_at) VALUES(?, ?, ?, ?)",
		scope, v, w, s.opts.Now().UnixMilli()); err != nil {
		return err
	}
	s.mu.Lock()
	if s.scopes[scope] == nil {
		s.scopes[scope] = map[uint32][]byte{}
	}
	s.scopes[scope][v] = k
	s.current[scope] = v
	s.mu.Unlock()
	return nil
}

// scopeKey returns the scope key of a version (0 = newest) and that version.
func (s *Store) scopeKey(ctx context.Context, scope string, version uint32) ([]byte, uint32, error) {
	s.mu.RLock()
	if version == 0 {
		version = s.current[scope]
	}
	k := s.scopes[scope][version]
	s.mu.RUnlock()
	if k != nil {
		return k, version, nil
	}
	var wrapped []byte
	var err error
	if version == 0 {
		err = s.db.QueryRowContext(ctx, "SELECT version, wrapped FROM scope_keys WHERE scope = ? ORDER BY version DESC LIMIT 1", scope).Scan(&version, &wrapped)
	} else {
		err = s.db.QueryRowContext(ctx, "SELECT wrapped FROM scope_keys WHERE scope = ? AND version = ?", scope, version).Scan(&wrapped)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if floor, ferr := s.forgottenBelow(ctx, s.db, scope); ferr == nil && version < floor {
			return nil, 0, fmt.Errorf("scope key %s v%d: %w", scope, version, ErrKeyForgotten)
		}
		return nil, 0, fmt.Errorf("scope key %s v%d: %w", scope, version, ErrNotFound)
	}
	if err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err = keys.Unwrap(s.mk, wrapped, scopeLabel(scope, version))
	if errors.Is(err, seal.ErrUnauthenticated) && scope == OrgScope {
		// The org key is the first thing unlocking opens: failing here means the wrong master key.
		return nil, 0, fmt.Errorf("scope key %s v%d: %w", scope, version, keys.ErrWrongPassphrase)
	}
	if err != nil && scope != OrgScope {
		return nil, 0, &SealError{Table: "scope_keys", Row: scope, Column: fmt.Sprintf("v%d", version), Err: err}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("scope key %s v%d: %w", scope, version, err)
	}
	if s.scopes[scope] == nil {
		s.scopes[scope] = map[uint32][]byte{}
	}
	s.scopes[scope][version] = k
	if version > s.current[scope] {
		s.current[scope] = version
	}
	return k, version, nil
}

// orgDerived returns a key derived from the newest org scope key for a fixed purpose.
func (s *Store) orgDerived(ctx context.Context, purpose string) ([]byte, error) {
	s.mu.RLock()
	k := s.derived[purpose]
	s.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	org, _, err := s.scopeKey(ctx, OrgScope, 1)
	if err != nil {
		return nil, err
	}
	k = keys.Derive(org, purpose)
	s.mu.Lock()
	s.derived[purpose] = k
	s.mu.Unlock()
	return k, nil
}

// Purposes of keys derived from the org scope key.
const (
	purposeUserMAC = "spoke/user-record-mac/v1"
	purposeAudit   = "spoke/audit-chain/v1"
)

// blindKey returns the blind-index key of a field for a shop.
// It derives from the shop key's first version, or, once that is forgotten, comes from the
// shop's index_keys row (indexkeys.go).
func (s *Store) blindKey(ctx context.Context, shopID, field string) (blind.Key, error) {
	return s.derivedShopKey(ctx, s.db, shopID, field)
}
