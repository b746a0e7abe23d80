package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The book: every meta value that does not authenticate itself (the database and device ids,
// where the master key lives, its wraps, the clock's high-water mark, the backup schedule, the
// user-version summary, the roster's chain id, the sync state, the sealed device secrets) has
// a MAC under the integrity key, kept together in one meta value, itself MAC'd. An edited
// value fails its MAC; a deleted one leaves its MAC behind; one added in the file has none.
// Only the integrity state, the audit head and the book itself are left out: they carry MACs
// of their own and change with every write.
//
// Values the store needs before the master key is there (the ids, the key store, the wraps)
// are read as they are and authenticated right after unlock (checkHeader), before anything is
// done with them beyond finding the key. Every other value is authenticated where it is read
// (metaChecked) where its own check does not already do it, and all of them by Verify.
//
// A book missing is tampering once the integrity state is a v2 one (integrity.go): every
// write since this change leaves one together with its book. A database from before has no
// book; its first write makes one over the values as they are (the upgrade seal, as for the
// sync bookkeeping), and so does a new replica's first bookkeeping before it has a trail.

const metaBook = "book" // name | MAC, for every booked meta key; then the book's own MAC

// booked reports whether a meta key's MAC is kept in the book.
func booked(key string) bool {
	return key != metaIntegrity && key != metaAuditHead && key != metaBook
}

// book is the decoded book: a MAC per meta key.
type book map[string][]byte

// metaMAC is the MAC of one meta value as the book keeps it.
func (s *Store) metaMAC(key string, value []byte) ([]byte, error) {
	return s.bookkeepingMAC([]byte("meta"), []byte(key), value)
}

func (b book) encode() []byte {
	names := make([]string, 0, len(b))
	for k := range b {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []byte
	for _, k := range names {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		out = append(out, b[k]...)
	}
	return out
}

func decodeBook(v []byte) (book, bool) {
	b := book{}
	for len(v) > 0 {
		n, w := binary.Uvarint(v)
		if w <= 0 || uint64(len(v)-w) < n+macSize {
			return nil, false
		}
		k := string(v[w : w+int(n)])
		b[k] = v[w+int(n) : w+int(n)+macSize]
		v = v[w+int(n)+macSize:]
	}
	return b, true
}

var errNoBook = errors.New("no book")

// loadBook reads and authenticates the book: errNoBook when there is none and none is owed (a
// database from before the book, or a replica not sealed yet), a TamperError when it fails or
// is missing from a database whose state says it keeps one.
func (s *Store) loadBook(ctx context.Context, q querier) (book, error) {
	v, err := getMeta(ctx, q, metaBook)
	if errors.Is(err, ErrNotFound) {
		key, err := s.integrityKey()
		if err != nil {
			return nil, err
		}
		st, err := loadState(ctx, q, key)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, errNoBook
		case err != nil:
			return nil, err
		case st.v2:
			return nil, &TamperError{Table: "meta", Row: metaBook, Column: "-", Reason: "the book of header MACs is missing"}
		}
		return nil, errNoBook
	}
	if err != nil {
		return nil, err
	}
	bad := &TamperError{Table: "meta", Row: metaBook, Column: "value", Reason: "the book of header MACs fails authentication"}
	if len(v) < macSize {
		return nil, bad
	}
	body, mac := v[:len(v)-macSize], v[len(v)-macSize:]
	want, err := s.bookkeepingMAC([]byte("book"), body)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(want, mac) {
		return nil, bad
	}
	b, ok := decodeBook(body)
	if !ok {
		return nil, bad
	}
	return b, nil
}

// bookForWrite is the book a write updates: the stored one, or, where none is owed yet, one
// made now over every booked value as it is (the upgrade seal).
func (s *Store) bookForWrite(ctx context.Context, q querier) (book, error) {
	b, err := s.loadBook(ctx, q)
	if !errors.Is(err, errNoBook) {
		return b, err
	}
	b = book{}
	rows, err := q.QueryContext(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		if booked(k) {
			if b[k], err = s.metaMAC(k, v); err != nil {
				return nil, err
			}
		}
	}
	return b, rows.Err()
}

func (s *Store) saveBook(ctx context.Context, q querier, b book) error {
	body := b.encode()
	mac, err := s.bookkeepingMAC([]byte("book"), body)
	if err != nil {
		return err
	}
	return writeMeta(ctx, q, metaBook, append(body, mac...))
}

// inTx runs fn in q if q is a transaction, else in a transaction of its own: the book is read,
// changed and written back with the values it covers, all at once.
func inTx(ctx context.Context, q querier, fn func(q querier) error) error {
	db, ok := q.(*sql.DB)
	if !ok {
		return fn(q)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// putMeta writes a booked meta value and its MAC in the book.
func (s *Store) putMeta(ctx context.Context, q querier, key string, value []byte) error {
	return inTx(ctx, q, func(q querier) error {
		b, err := s.bookForWrite(ctx, q)
		if err != nil {
			return err
		}
		if b[key], err = s.metaMAC(key, value); err != nil {
			return err
		}
		if err := writeMeta(ctx, q, key, value); err != nil {
			return err
		}
		return s.saveBook(ctx, q, b)
	})
}

// dropMeta deletes booked meta values (absent ones are no error) and their MACs. A key given
// with a trailing '*' drops every key it begins.
func (s *Store) dropMeta(ctx context.Context, q querier, keys ...string) error {
	return inTx(ctx, q, func(q querier) error {
		b, err := s.bookForWrite(ctx, q)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if p, ok := bytes.CutSuffix([]byte(k), []byte("*")); ok {
				if _, err := q.ExecContext(ctx, "DELETE FROM meta WHERE substr(key, 1, ?) = ?", len(p), string(p)); err != nil {
					return err
				}
				for name := range b {
					if bytes.HasPrefix([]byte(name), p) {
						delete(b, name)
					}
				}
				continue
			}
			if _, err := q.ExecContext(ctx, "DELETE FROM meta WHERE key = ?", k); err != nil {
				return err
			}
			delete(b, k)
		}
		return s.saveBook(ctx, q, b)
	})
}

// checkMeta authenticates one booked value as read (nil: absent), against the book.
func (s *Store) checkMeta(ctx context.Context, q querier, key string, value []byte) error {
	b, err := s.loadBook(ctx, q)
	if errors.Is(err, errNoBook) {
		return nil // before the upgrade seal
	}
	if err != nil {
		return err
	}
	return s.checkBooked(b, key, value)
}

// checkBooked checks one value (nil: absent) against a loaded book.
func (s *Store) checkBooked(b book, key string, value []byte) error {
	mac, ok := b[key]
	switch {
	case value == nil && ok:
		return &TamperError{Table: "meta", Row: key, Column: "-", Reason: "the value is missing (deleted in the file)"}
	case value == nil:
		return nil
	case !ok:
		return &TamperError{Table: "meta", Row: key, Column: "value", Reason: "the value has no MAC (added in the file)"}
	}
	want, err := s.metaMAC(key, value)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, mac) {
		return &TamperError{Table: "meta", Row: key, Column: "value", Reason: "the value fails authentication"}
	}
	return nil
}

// metaChecked is getMeta for a booked key that has no check of its own: the value, ErrNotFound
// when it is absent (and should be), or a TamperError.
func (s *Store) metaChecked(ctx context.Context, q querier, key string) ([]byte, error) {
	v, err := getPresent(ctx, q, key)
	if err != nil {
		return nil, err
	}
	if err := s.checkMeta(ctx, q, key, v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrNotFound
	}
	return v, nil
}

// checkHeader authenticates, right after unlock, the values read before the key was there.
func (s *Store) checkHeader(ctx context.Context, q querier) error {
	b, err := s.loadBook(ctx, q)
	if errors.Is(err, errNoBook) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range []string{metaDBID, metaDeviceID, metaKeyStore, metaMKRecovery, metaMKPass, metaMKCheck, metaHLC} {
		v, err := getPresent(ctx, q, k)
		if err != nil {
			return err
		}
		if err := s.checkBooked(b, k, v); err != nil {
			return err
		}
	}
	return nil
}

// verifyBook is Verify's check of every meta value against the book.
func (s *Store) verifyBook(ctx context.Context, r *Report) error {
	var te *TamperError
	b, err := s.loadBook(ctx, s.db)
	if errors.Is(err, errNoBook) {
		return nil
	}
	if errors.As(err, &te) {
		r.add(te.Table, te.Row, te.Column, te.Reason)
		return nil
	}
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	rows, err := s.db.QueryContext(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		if !booked(k) {
			continue
		}
		seen[k] = true
		if v == nil {
			v = []byte{} // present, empty
		}
		if err := s.checkBooked(b, k, v); errors.As(err, &te) {
			r.add(te.Table, te.Row, te.Column, te.Reason)
		} else if err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k := range b {
		if !seen[k] {
			r.add("meta", k, "-", "the value is missing (deleted in the file)")
		}
	}
	return nil
}

// getPresent is getMeta with absence as a nil value, and an empty value as a non-nil one.
func getPresent(ctx context.Context, q querier, key string) ([]byte, error) {
	v, err := getMeta(ctx, q, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err == nil && v == nil {
		v = []byte{}
	}
	return v, err
}

// bookedError says which booked key a write went around the book for.
func bookedError(key string) error {
	return fmt.Errorf("store: meta %s is written with putMeta, which keeps its MAC", key)
}
