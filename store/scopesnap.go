package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Scope snapshots (compaction). Once every device reading a scope has pulled past a point, an
// owner device reads the scope's rows as they stand, each cell with the clock of its last
// write, and the newest set of each sending device whose effect they hold; the sync engine
// seals that into a snapshot the hub keeps in place of the older sets. A device that joins
// later merges the snapshot's records as it merges any set (newer local values win, equal
// stamps are duplicates) and takes the covered sequence numbers as applied.

// ScopeExport is what ExportScopes hands the caller for each part.
type ScopeExport struct {
	Scope       string
	Part, Parts int
	Records     []ChangeRecord
	// Covered is, for each device that wrote the scope, the newest of its sets of the scope
	// whose effect the rows hold (see exportScopes); the same for every part.
	Covered map[string]uint64
}

// exportScopes reads every live row of each scope (terminal rows are gone for good and are
// left out), rowsPerPart rows a part, in registry order (a row after the rows it refers to
// within the scope), and calls fn for each part in order, scope after scope. Everything comes
// from one read transaction, so shop rows never name a staff row the org scope's parts lack.
// A part also names, for each device that wrote the scope, the newest of its sets of the
// scope applied here (this device: the newest it sealed): the rows read hold their effect.
func (s *Store) exportScopes(ctx context.Context, scopes []string, rowsPerPart int, fn func(ScopeExport) error) error {
	if rowsPerPart < 1 {
		return errors.New("store: rows per part must be at least 1")
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	devs, err := loadDevices(ctx, tx)
	if err != nil {
		return err
	}
	// Rows of customers whose data may not leave without their consent stay (transfer.go).
	held, err := s.heldBack(ctx, tx)
	if err != nil {
		return err
	}
	for _, scope := range scopes {
		if err := s.exportScope(ctx, tx, devs, held, scope, rowsPerPart, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) exportScope(ctx context.Context, tx *sql.Tx, devs *deviceNames, held *heldSet, scope string, rowsPerPart int, fn func(ScopeExport) error) error {
	covered, err := s.coveredSeqs(ctx, tx, scope)
	if err != nil {
		return err
	}
	type ref struct {
		t   *table
		key []byte
	}
	var all []ref
	// A shop's derived keys come first: a device that never held the shop key's first version
	// needs them to index the customers that follow.
	order := []*table{tables["index_keys"]}
	for i := range schema {
		if schema[i].name != "index_keys" {
			order = append(order, &schema[i])
		}
	}
	for _, t := range order {
		if !t.synced {
			continue
		}
		if !inScopeKind(t.name, scope) {
			continue
		}
		rows, err := tx.QueryContext(ctx, "SELECT r.id, r.flags FROM "+t.name+" t JOIN row_clocks r ON r.id = unhex(replace(t.id, '-', '')) WHERE "+scopeOfRows[t.name]+" = ? ORDER BY t.id", scope)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k []byte
			var flags int64
			if err := rows.Scan(&k, &flags); err != nil {
				rows.Close()
				return err
			}
			if flags&flagTerminal == 0 && !held.has(k) {
				all = append(all, ref{t, k})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	parts := max(1, (len(all)+rowsPerPart-1)/rowsPerPart)
	for p := range parts {
		chunk := all[min(p*rowsPerPart, len(all)):min((p+1)*rowsPerPart, len(all))]
		var recs []ChangeRecord
		for len(chunk) > 0 {
			n := min(len(chunk), idChunk)
			keys := make([][]byte, n)
			for i := range keys {
				keys[i] = chunk[i].key
			}
			clocks, err := readClocks(ctx, tx, keys)
			if err != nil {
				return err
			}
			rcs := make([]*rowClock, n)
			for i, k := range keys {
				if rcs[i] = clocks[string(k)]; rcs[i] == nil {
					return &TamperError{Table: chunk[i].t.name, Row: fmt.Sprintf("%x", k), Column: "-", Reason: "a row without its clock"}
				}
				// Fail closed: a row edited in the file must not be signed into a snapshot.
				if err := s.checkRow(ctx, tx, rcs[i].table, mustRowID(k)); err != nil {
					return err
				}
			}
			got, err := s.rowRecords(ctx, tx, rcs, 0, 0, devs)
			if err != nil {
				return err
			}
			for _, r := range got {
				for _, c := range r {
					if !held.strips(c) {
						recs = append(recs, c)
					}
				}
			}
			chunk = chunk[n:]
		}
		if err := fn(ScopeExport{Scope: scope, Part: p, Parts: parts, Records: recs, Covered: covered}); err != nil {
			return err
		}
	}
	return nil
}

func mustRowID(k []byte) string {
	id, _ := rowIDOf(k)
	return id
}

// coveredSeqs returns each sender's newest applied set of scope and this device's newest
// sealed one, each authenticated.
func (s *Store) coveredSeqs(ctx context.Context, q querier, scope string) (map[string]uint64, error) {
	out := map[string]uint64{}
	rows, err := q.QueryContext(ctx, "SELECT device_id, scope_seq, mac FROM sync_applied WHERE scope = ?", scope)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dev string
		var seq int64
		var mac []byte
		if err := rows.Scan(&dev, &seq, &mac); err != nil {
			return nil, err
		}
		if err := s.checkApplied(ctx, q, dev, scope, seq, mac); err != nil {
			return nil, err
		}
		if seq > 0 {
			out[dev] = uint64(seq)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st, err := s.syncState(ctx, q)
	if err != nil {
		return nil, err
	}
	if n := st.ScopeSeqs[scope]; n > 0 {
		out[s.deviceID] = n
	}
	return out, nil
}

var errNothingForgotten = errors.New("store: no key version to forget")

// keyUse says which versions of a scope's key this database holds and which it needs.
type keyUse struct {
	versions []uint32 // held here, oldest first
	current  uint32
	// needed are the versions something here is sealed under or derived from: customers'
	// data keys are wrapped under the version they were made with, staff rows are sealed
	// under the org key's first version, a shop's blind-index keys derive from its key's first
	// version, break-glass reasons sealed the older way are sealed under the org version of
	// their time, and the keys of the newer ones (reasons.go) are wrapped under it while kept.
	needed map[uint32]bool
}

// scopeKeyUse reports the versions held of scope's key and which of them rows need.
func (s *Store) scopeKeyUse(ctx context.Context, q querier, scope string) (*keyUse, error) {
	u := &keyUse{needed: map[uint32]bool{}}
	vs, err := queryInts(ctx, q, "SELECT version FROM scope_keys WHERE scope = ? ORDER BY version", scope)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		u.versions = append(u.versions, uint32(v))
		u.current = uint32(v)
	}
	// The org key's first version is never forgotten: it seals staff records and the trail's
	// keys derive from it. A shop key's first version derives the shop's blind-index and
	// ledger keys: it is needed until each is kept as an index_keys row (indexkeys.go), and
	// the versions those rows are wrapped under are needed in turn.
	if scope == OrgScope {
		u.needed[1] = true
	} else {
		rows, err := queryInts(ctx, q, "SELECT key_version FROM index_keys WHERE shop_id = ? AND id IN (SELECT value FROM json_each(?))", scope, indexKeyIDs(scope))
		if err != nil {
			return nil, err
		}
		if len(rows) < len(indexPurposes()) {
			u.needed[1] = true
		}
		for _, v := range rows {
			u.needed[uint32(v)] = true
		}
	}
	if scope == OrgScope {
		// Break-glass reasons, here and in other devices' copied trails: the older ones are
		// sealed under the org key version of their time (a 0xFF prefix and the version; none:
		// version 1), the newer ones' keys wrapped under it (reason_keys). An expired reason's
		// key is gone and holds no version back: once that version is forgotten everywhere,
		// the hub's old copies of its wrapped key open for no one.
		kv, err := queryInts(ctx, q, "SELECT DISTINCT version FROM reason_keys")
		if err != nil {
			return nil, err
		}
		for _, v := range kv {
			u.needed[uint32(v)] = true
		}
		for _, t := range []string{"audit", "remote_audit"} {
			rows, err := q.QueryContext(ctx, "SELECT DISTINCT substr(reason, 1, 5) FROM "+t+" WHERE reason IS NOT NULL AND length(reason) > 5")
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					rows.Close()
					return nil, err
				}
				if len(b) == 5 && b[0] == reasonVersioned {
					u.needed[binary.BigEndian.Uint32(b[1:])] = true
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	} else {
		need, err := queryInts(ctx, q, "SELECT DISTINCT dek_version FROM customers WHERE shop_id = ?", scope)
		if err != nil {
			return nil, err
		}
		for _, v := range need {
			u.needed[uint32(v)] = true
		}
	}
	u.needed[u.current] = true
	return u, nil
}

// forgetScopeKeys deletes the versions of scope's key below below that no row here needs and
// that are not the current one, and returns them. The sync engine calls it after compaction
// with the lowest version any set it may still receive or hold is sealed under: once every
// device has forgotten a version, the hub's old sets under it can no longer be opened by
// anyone, which is what an erasure (crypto-shredding) relies on.
func (s *Store) forgetScopeKeys(ctx context.Context, scope string, below uint32) ([]uint32, error) {
	// Cheap first: most calls find only the first and the current version below the bound,
	// which are never forgotten, and need not scan what rows use.
	held, err := queryInts(ctx, s.db, "SELECT version FROM scope_keys WHERE scope = ? ORDER BY version", scope)
	if err != nil {
		return nil, err
	}
	first := int64(1) // the org key's first version is never forgotten; a shop key's may be
	if scope != OrgScope {
		first = 0
	}
	if !slices.ContainsFunc(held, func(v int64) bool { return v > first && v < int64(below) && v < held[len(held)-1] }) {
		return nil, nil
	}
	var gone []uint32
	err = s.write(ctx, syncActor, "keys.forget", func(w *wtx) error {
		u, err := s.scopeKeyUse(ctx, w.tx, scope)
		if err != nil {
			return err
		}
		for _, v := range u.versions {
			if v >= below || u.needed[v] {
				continue
			}
			if _, err := w.tx.ExecContext(ctx, "DELETE FROM scope_keys WHERE scope = ? AND version = ?", scope, v); err != nil {
				return err
			}
			gone = append(gone, v)
		}
		if len(gone) == 0 {
			return errNothingForgotten // roll back: no audit entry for nothing
		}
		// A version forgotten stays forgotten: the hub keeps the envelopes that once brought
		// it, and importScopeKeys refuses any version below this floor.
		floor := slices.Max(gone) + 1
		if old, err := s.forgottenBelow(ctx, w.tx, scope); err != nil {
			return err
		} else if old > floor {
			floor = old
		}
		if err := s.putMeta(ctx, w.tx, metaForgotten+scope, []byte(strconv.FormatUint(uint64(floor), 10))); err != nil {
			return err
		}
		w.audit.Target, w.audit.Detail = scope, fmt.Sprintf("versions=%v", gone)
		return nil
	})
	if errors.Is(err, errNothingForgotten) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(gone) > 0 {
		s.mu.Lock()
		for _, v := range gone {
			if k := s.scopes[scope][v]; k != nil {
				clear(k)
				delete(s.scopes[scope], v)
			}
		}
		s.mu.Unlock()
	}
	return gone, nil
}

func queryInts(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// metaForgotten is, per scope, the version below which every version was forgotten here.
const metaForgotten = "keys_forgotten_below:"

// forgottenBelow returns the scope's floor of forgotten versions (0: none forgotten).
func (s *Store) forgottenBelow(ctx context.Context, q querier, scope string) (uint32, error) {
	v, err := s.metaChecked(ctx, q, metaForgotten+scope)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("store: the forgotten-keys floor of %s is malformed", scope)
	}
	return uint32(n), nil
}
