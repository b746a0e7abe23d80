package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
)

// Problem is one thing Verify found wrong: where, never what value.
type Problem struct {
	Table  string `json:"table"`
	Row    string `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s %s: %s", p.Table, p.Row, p.Column, p.Reason)
}

// Report is the result of Verify.
type Report struct {
	Problems     []Problem `json:"problems"`
	SealedValues int       `json:"sealed_values"`
	WrappedKeys  int       `json:"wrapped_keys"`
	Users        int       `json:"users"`
	BlindIndexes int       `json:"blind_indexes"`
	AuditEntries int64     `json:"audit_entries"`
	Rows         int       `json:"rows"` // rows whose MAC was recomputed
}

// OK reports whether nothing was wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(table, row, column, reason string) {
	r.Problems = append(r.Problems, Problem{table, row, column, reason})
}

// Verify authenticates every stored secret: it unwraps every scope and customer key, opens
// every sealed field, recomputes every row's MAC and their sum, checks every user record's MAC, recomputes every
// blind index, walks the audit chain and runs SQLite's integrity check. It reads no value out;
// the report names table, row and column only. Its own run is audited.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	r := &Report{}
	var ic string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	if ic != "ok" {
		r.add("sqlite", "-", "-", "integrity check failed")
	}
	if err := s.verifyScopeKeys(ctx, r); err != nil {
		return nil, err
	}
	deks, err := s.verifyCustomers(ctx, r)
	if err != nil {
		return nil, err
	}
	for _, t := range schema {
		if t.key != sealedByOwnKey && t.key != sealedByCustomer {
			continue // staff records: verifyUsers
		}
		if err := s.verifySealed(ctx, r, deks, &t); err != nil {
			return nil, err
		}
	}
	if err := s.verifyUsers(ctx, r); err != nil {
		return nil, err
	}
	var te *TamperError
	if err := checkSchema(ctx, s.db); errors.As(err, &te) {
		r.add(te.Table, te.Row, te.Column, te.Reason)
	} else if err != nil {
		return nil, err
	}
	if err := s.verifyIntegrity(ctx, r); err != nil {
		return nil, err
	}
	if err := s.verifyBookkeeping(ctx, r); err != nil {
		return nil, err
	}
	if err := s.verifyBook(ctx, r); err != nil {
		return nil, err
	}
	if err := s.verifyRemoteAudit(ctx, r); err != nil {
		return nil, err
	}
	if err := s.verifyReasonKeys(ctx, r); err != nil {
		return nil, err
	}
	r.Problems = append(r.Problems, s.verifyRoster(ctx, s.db)...)
	n, err := s.verifyAudit(ctx)
	r.AuditEntries = n
	var ce *ChainError
	switch {
	case errors.As(err, &ce) && ce.Seq == 0:
		r.add("audit", "-", "mac", ce.Reason)
	case errors.As(err, &ce):
		r.add("audit", fmt.Sprint(ce.Seq), "mac", ce.Reason)
	case err != nil:
		return nil, err
	}
	if err := s.verifyAnchors(ctx, r); err != nil {
		return nil, err
	}
	outcome := "ok"
	if !r.OK() {
		outcome = "failed"
	}
	if err := s.auditAlone(ctx, verifyActor, auditEntry{Action: "store.verify", Outcome: outcome,
		Detail: fmt.Sprintf("problems=%d", len(r.Problems))}); err != nil && r.OK() {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return r, nil
}

func (s *Store) verifyScopeKeys(ctx context.Context, r *Report) error {
	rows, err := s.db.QueryContext(ctx, "SELECT scope, version, wrapped FROM scope_keys")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var scope string
		var v uint32
		var w []byte
		if err := rows.Scan(&scope, &v, &w); err != nil {
			return err
		}
		r.WrappedKeys++
		s.mu.RLock()
		k, err := keys.Unwrap(s.mk, w, scopeLabel(scope, v))
		s.mu.RUnlock()
		if err != nil {
			r.add("scope_keys", scope, fmt.Sprintf("v%d", v), "wrapped key fails authentication")
			continue
		}
		s.mu.RLock()
		cached := s.scopes[scope][v]
		s.mu.RUnlock()
		if cached != nil && !bytes.Equal(cached, k) {
			r.add("scope_keys", scope, fmt.Sprintf("v%d", v), "differs from the key in use")
		}
		seal.Wipe(k)
	}
	return rows.Err()
}

// verifyCustomers checks customers and returns each good customer's data key.
func (s *Store) verifyCustomers(ctx context.Context, r *Report) (map[string][]byte, error) {
	all, err := queryCusts(ctx, s.db, "SELECT "+custCols+" FROM customers")
	if err != nil {
		return nil, err
	}
	deks := make(map[string][]byte, len(all))
	missing := map[string]bool{} // scope key versions reported
	for _, c := range all {
		r.WrappedKeys++
		sk, _, err := s.scopeKey(ctx, c.shopID, c.dekVersion)
		if err != nil {
			r.add("customers", c.id, "dek", "scope key unavailable")
			if v := fmt.Sprintf("v%d", c.dekVersion); !missing[c.shopID+"/"+v] {
				missing[c.shopID+"/"+v] = true
				r.add("scope_keys", c.shopID, v, "the scope key a customer's key is wrapped under is missing or fails")
			}
			continue
		}
		k, err := keys.Unwrap(sk, c.dek, dekLabel(c.id, c.dekVersion))
		if err != nil {
			r.add("customers", c.id, "dek", "wrapped key fails authentication")
			continue
		}
		deks[c.id] = k
	}
	return deks, nil
}

// verifySealed opens every sealed value of a table whose rows are sealed under a customer's
// data key (the registry says which columns), and recomputes every blind index over them.
func (s *Store) verifySealed(ctx context.Context, r *Report, deks map[string][]byte, t *table) error {
	owner := "customer_id"
	if t.key == sealedByOwnKey {
		owner = "id"
	}
	personal, idx := t.personalCols(), t.indexedCols()
	q := "SELECT id, " + owner + ", shop_id"
	for _, c := range personal {
		q += ", " + c.name
	}
	for _, c := range idx {
		q += ", " + c.index.column
	}
	rows, err := s.db.QueryContext(ctx, q+" FROM "+t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	regions := map[string]string{}
	for rows.Next() {
		var id, cust, shop string
		sealed := make([][]byte, len(personal))
		stored := make([][]byte, len(idx))
		dest := []any{&id, &cust, &shop}
		for i := range sealed {
			dest = append(dest, &sealed[i])
		}
		for i := range stored {
			dest = append(dest, &stored[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		k := deks[cust]
		if k == nil && t.key == sealedByOwnKey {
			continue // the customer's wrapped key is already reported
		}
		if _, ok := regions[shop]; !ok {
			if regions[shop], err = s.shopRegion(ctx, s.db, shop); err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) {
					return err
				}
				r.add(t.name, id, "shop_id", "names no shop")
				continue
			}
		}
		opened := map[string]string{}
		bad := map[string]bool{}
		for i, c := range personal {
			if sealed[i] == nil {
				continue
			}
			r.SealedValues++
			if k == nil {
				r.add(t.name, id, c.name, "customer key unavailable")
				bad[c.name] = true
				continue
			}
			pt, err := openField(k, t.name, id, c.name, sealed[i])
			if err != nil {
				r.add(t.name, id, c.name, "sealed value fails authentication")
				bad[c.name] = true
				continue
			}
			opened[c.name] = pt
		}
		for i, c := range idx {
			r.BlindIndexes++
			if bad[c.name] {
				continue // already reported as a sealed-value problem
			}
			want, err := s.blindIndexOf(ctx, t.name, c.name, shop, regions[shop], opened[c.name])
			if err != nil {
				return err
			}
			if !bytes.Equal(want, stored[i]) {
				r.add(t.name, id, c.index.column, "blind index does not match the sealed value")
			}
		}
	}
	return rows.Err()
}

func (s *Store) verifyUsers(ctx context.Context, r *Report) error {
	rows, err := s.db.QueryContext(ctx, "SELECT "+userCols+" FROM users")
	if err != nil {
		return err
	}
	var users []*userRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return err
		}
		users = append(users, u)
	}
	rows.Close()
	org, _, err := s.scopeKey(ctx, OrgScope, 1)
	if err != nil {
		return err
	}
	uv, err := loadUserVersions(ctx, s.db)
	if err != nil {
		r.add("meta", metaUserVersions, "value", "user-version summary does not parse")
		uv = userVersions{}
	}
	seen := map[string]bool{}
	for _, u := range users {
		r.Users++
		seen[u.id] = true
		var re *ReplayError
		if err := s.authentic(ctx, u); err != nil {
			r.add("users", u.id, "mac", "user record fails authentication (edited outside Spoke)")
		} else if err := s.ownerSigned(ctx, s.db, u); err != nil {
			r.add("users", u.id, "sig", "staff record is not signed by an active owner device (forged with the org key, or its signer was revoked)")
		} else if err := uv.check(u); errors.As(err, &re) {
			r.add("users", u.id, "version", fmt.Sprintf("record version %d is older than the recorded version %d (an older copy of the row was put back)", re.Version, re.Want))
		}
		r.SealedValues++
		if _, err := openField(org, "users", u.id, "display_name", u.displayName); err != nil {
			r.add("users", u.id, "display_name", "sealed value fails authentication")
		}
	}
	for id, v := range uv {
		if !seen[id] {
			r.add("users", id, "-", fmt.Sprintf("row missing: version %d of this user is recorded (deleted in the file)", v))
		}
	}
	return nil
}

// verifyAnchors compares the trail with the heads anchored outside the file that this store
// knows of: the keychain's, and any outside anchor (backup, hub) already checked this session.
func (s *Store) verifyAnchors(ctx context.Context, r *Report) error {
	if s.usesKeychainAnchor() {
		te, err := s.checkKeychainAnchor(ctx)
		if err != nil {
			return err
		}
		if te != nil {
			r.add("audit", "-", "anchor", te.Reason)
		}
	}
	s.amu.Lock()
	ext, _ := s.anchorErr.(*TrailError)
	s.amu.Unlock()
	if ext != nil {
		r.add("audit", "-", "anchor", ext.Reason)
	}
	return nil
}
