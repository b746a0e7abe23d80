// Package hub owns Spoke's headquarters server: the relay that stores sealed,
// signed change-sets it cannot read, and hands them to the devices allowed to
// receive them.
//
// The hub holds no scope key and never decrypts anything. What it checks is
// what it can check without keys: that a pushed change-set is signed by the
// device whose client certificate opened the connection, that the device is
// enrolled and not revoked, that the header's scope is one the device may
// write, and that the (device, sequence) pair is new. Everything else — the
// body, clock skew, merge rules — is checked by the receiving spokes.
//
// What the package owns:
//   - [Storage], the one interface every storage backend implements
//     (spoke/sync/hub/sqlite, the zero-set-up default, and
//     spoke/sync/hub/postgres for several hub processes on one database),
//     with the shared conformance suite in spoke/sync/hub/hubtest, and the
//     storage rules every backend runs inside its own transactions
//     (rules.go: a (device, seq) stored once, checkpoints never rewritten,
//     never revoking the last owner device, one redemption per token, the
//     roster appended without gaps, page limits), so the backends hold only
//     their SQL and locking;
//   - the hub's own certificate authority and its data directory ([InitDir],
//     [OpenDir]): per-device client certificates are issued at enrollment;
//   - the HTTP API ([Server]), TLS 1.3 only with mutual TLS, its Prometheus
//     metrics and its structured logs;
//   - what one device may cost it (limits.go): a byte budget per pull page,
//     a push rate and a stored-bytes quota per device, and the deletion of
//     enrollment tokens that expired unused, with their envelopes.
//   - compaction (snapshot.go): each device's pulled cursor, sealed
//     snapshots staged and committed by owner devices once every active
//     reader of the scope pulled past the snapshot's point, the deletion of
//     the change-sets a committed snapshot covers, and of uploads abandoned
//     for a day.
//   - one-click unsubscribe (unsubscribe.go, unsubscribe_rules.go): SHA-256
//     hashes of opaque tokens registered per scope by the shop's devices, the
//     public GET/POST /u/{token} route (no client certificate, RFC 8058) that
//     records a hash's first click, and the listing of a scope's clicks; the
//     hub never holds a token, an address or a customer id.
//
// What it never does: log, count or label anything personal. Logs and
// metrics carry device ids, cursors, sequence numbers, sizes and reasons —
// never a change-set body, a device label (which spokes seal, since it may
// name a person), a remote address or a token secret. Token secrets are
// stored only as SHA-256 hashes, and the spoke-side secret of an enrollment
// code (protocol.EnrollCode.Secret) never reaches the hub at all.
//
// The spoke side of the API is spoke/sync/hubclient.
package hub
