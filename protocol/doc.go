// Package protocol owns the hub API as both sides speak it: the URL paths, the JSON request and
// response bodies, the binary frames of a pull, the error and reject codes, device roles and
// standing, the lifetimes of an enrolment code, the enrolment code itself ([EnrollCode],
// [DecodeEnrollCode]) and the signed audit checkpoint ([SignCheckpoint], [VerifyCheckpoint]).
//
// The hub server (spoke/sync/hub) and its client (spoke/sync/hubclient, the sync engine, the
// GUI and the CLI) both import it, so the client side never links the server. It does no I/O,
// holds no key beyond the one it is handed, and imports only the standard library,
// golang.org/x/crypto, spoke/crypto/... and spoke/hlc (held by spoke/layers).
package protocol
