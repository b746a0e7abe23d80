// Package store is Spoke's local, encrypted database and the one service surface every screen,
// CLI command, import and (later) incoming sync goes through.
//
// It owns: the SQLite schema and its migrations; the unlocked key hierarchy of one database
// (master key, scope keys, customer data keys, derived keys); domain records (shops, users,
// customers, bikes, work orders, sales); access control (Session, bound to a signed-in user,
// enforces DESIGN.md's matrix); the audit hash chain; the field-level change log; the
// in-memory search index; and Verify, which re-authenticates every stored byte.
//
// What it never does: write a personal value in clear to disk, put one into an error string or a
// log, or let a caller reach rows without a Session. Writes happen in immediate transactions
// that also append change records and an audit entry; if either fails, the write fails.
package store
