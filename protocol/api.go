package protocol

import (
	"encoding/binary"
	"errors"
	"time"
)

// The HTTP API, all JSON except change-set bodies, all under /v1, all over
// TLS 1.3 with a client certificate except enroll and healthz:
//
//	POST /v1/enroll                  EnrollRequest → EnrollResponse (no client certificate needed)
//	POST /v1/tokens                  TokenRequest → TokenResponse (owner)
//	POST /v1/changesets              body: sealed change-set → PushResponse
//	GET  /v1/changesets?after=N&limit=M
//	                                 → frames (ChangeSetsContentType), only scopes the device reads,
//	                                   at most the hub's byte budget of them (but always one)
//	PUT  /v1/envelopes               EnvelopesRequest (owner: to any device or pending token; others: to themselves)
//	GET  /v1/envelopes               → EnvelopesResponse, addressed to the calling device
//	GET  /v1/devices                 → DevicesResponse (every active device: public keys and status)
//	POST /v1/devices/{id}/revoke     → DeviceInfo (owner)
//	POST /v1/version                 VersionReport (the caller's own version) → VersionsResponse
//	GET  /v1/versions                → VersionsResponse: every device's version and last sync, the newest seen
//	POST /v1/checkpoints             CheckpointInfo (the caller's own) → 204
//	GET  /v1/checkpoints?device=ID&after=SEQ&limit=N
//	                                 → CheckpointsResponse (owner: any device; others: their own)
//	GET  /v1/roster?from=N            → RosterResponse: owner-signed roster entries from N, and heads
//	POST /v1/roster                  RosterAppendRequest (owner) → 204; 409 when seq is taken or past the end
//	PUT  /v1/roster/head             RosterHeadRequest (owner, its own head) → 204
//	PUT  /v1/snapshots/{scope}/{id}/{part}
//	                                 body: sealed snapshot part (owner) → 204; 409 conflict when it disagrees with what is staged
//	POST /v1/snapshots/{scope}/{id}/commit
//	                                 → SnapshotCommitResponse (owner, the uploader); 409 lagging (a reader is behind) or conflict
//	GET  /v1/snapshots               → SnapshotsResponse: committed snapshots of the scopes the device reads
//	GET  /v1/snapshots/{scope}/{id}/{part}
//	                                 → the part's bytes (application/octet-stream), a scope the device reads
//	PUT  /v1/unsubscribe-tokens      UnsubscribeTokensRequest (a device that writes the scope) → 204
//	GET  /v1/unsubscribes?scope=S&after=SEQ&limit=N
//	                                 → UnsubscribesResponse (a device that reads the scope)
//	GET  /u/{token}, POST /u/{token} the public one-click unsubscribe (no client certificate; unsubscribe.go)
//	GET  /healthz                    → "ok" (no client certificate needed)
//	GET  /metrics                    → Prometheus text (owner certificate; or the loopback metrics listener)
//
// Errors are ErrorResponse with a stable code. A push can also be refused
// for what it costs: 413 too_large (one set over the hub's size limit), 429
// rate_limited with a Retry-After header in seconds (the device pushes too
// fast: wait and push again), 507 quota (the device's stored change-sets
// would go over its quota at the hub).

// Routes, as registered and as they appear in the path label of
// spoke_hub_requests_total.
const (
	PathEnroll      = "/v1/enroll"
	PathTokens      = "/v1/tokens"
	PathChangeSets  = "/v1/changesets"
	PathEnvelopes   = "/v1/envelopes"
	PathDevices     = "/v1/devices"
	PathVersion     = "/v1/version"
	PathVersions    = "/v1/versions"
	PathCheckpoints = "/v1/checkpoints"
	PathRoster      = "/v1/roster"
	PathRosterHead  = "/v1/roster/head"
	PathSnapshots   = "/v1/snapshots"
	PathHealth      = "/healthz"
	PathMetrics     = "/metrics"
)

// ChangeSetsContentType is the media type of a pull response: zero or more
// frames, each an 8-byte big-endian cursor, a 4-byte big-endian length and
// that many bytes of one sealed change-set, exactly as it was pushed. Binary
// frames rather than JSON spare the base64 growth on the bulk of all traffic.
// The response header CursorHeader holds the cursor to pass as after= next
// time (the last frame's, or the request's after= when there is none).
const ChangeSetsContentType = "application/x-spoke-changesets"

// CursorHeader is the response header with the next cursor of a pull.
const CursorHeader = "Spoke-Cursor"

// Error codes of ErrorResponse.Code beyond the reject reasons (which are
// used as codes too).
const (
	CodeForbidden = "forbidden"
	CodeExists    = "exists"
	CodeNotFound  = "not_found"
	CodeLastOwner = "last_owner"
	CodeConflict  = "conflict"
	CodeInternal  = "internal"
	CodeBadInput  = "bad_request"
	// CodeLagging refuses a snapshot commit: a device that reads the scope has
	// not pulled past the snapshot's point. The message lists those device ids.
	CodeLagging = "lagging"
)

// ErrorResponse is the body of every error.
type ErrorResponse struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

// EnrollRequest redeems an enrollment token.
type EnrollRequest struct {
	TokenID     string `json:"token_id"`
	TokenSecret []byte `json:"token_secret"`
	// DeviceID is the device's own id (its local store's device id), as it
	// will appear in every change-set header it signs.
	DeviceID string `json:"device_id"`
	// Label is opaque to the hub and handed back in DeviceInfo: spokes put
	// the enrolment proof there (crypto/device.EnrollProof), by which the
	// owner device that issued the code tells the new device's keys from any
	// the hub might have enrolled in their place.
	Label      []byte `json:"label,omitempty"`
	SigningKey []byte `json:"signing_key"` // Ed25519 public key
	HPKEKey    []byte `json:"hpke_key"`    // HPKE public key, opaque to the hub
	// CSR is a PKCS #10 certificate request (DER) for the TLS client key,
	// ECDSA P-256 or Ed25519. The TLS key is separate from the signing key.
	CSR []byte `json:"csr"`
}

// EnrollResponse hands the device its identity at the hub.
type EnrollResponse struct {
	Device      DeviceInfo `json:"device"`
	Certificate string     `json:"certificate"` // client certificate, PEM
	CA          string     `json:"ca"`          // hub CA certificate, PEM
	// CodeExpiresIn is how many seconds the redeemed code had left: the
	// spoke uses the code's one-time secret no longer than that.
	CodeExpiresIn int64 `json:"code_expires_in,omitempty"`
}

// DeviceInfo is a device as the API shows it.
type DeviceInfo struct {
	ID         string    `json:"id"`
	Label      []byte    `json:"label,omitempty"`
	Role       Role      `json:"role"`
	Scopes     []string  `json:"scopes,omitempty"`
	SigningKey []byte    `json:"signing_key"`
	HPKEKey    []byte    `json:"hpke_key"`
	Status     Status    `json:"status"`
	EnrolledAt time.Time `json:"enrolled_at"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	// Pulled is the newest cursor the device has asked to pull after: it has
	// taken every set up to it. Compaction stays at or below every reader's.
	Pulled int64 `json:"pulled,omitempty"`
}

// DevicesResponse lists devices.
type DevicesResponse struct {
	Devices []DeviceInfo `json:"devices"`
}

// VersionReport is what a device reports at the end of each sync round: the Spoke version it
// runs. Device, if set, must be the caller's own id (the client certificate's): a device
// reports only its own version. The hub records it with the time as the device's last sync.
type VersionReport struct {
	Device  string `json:"device,omitempty"`
	Version string `json:"version"`
}

// DeviceVersion is one device as the version list shows it: its id, role and standing, the
// version it last reported and when (its last sync), and when the hub last saw it at all.
// Nothing personal: no label.
type DeviceVersion struct {
	ID         string    `json:"id"`
	Role       Role      `json:"role"`
	Status     Status    `json:"status"`
	Version    string    `json:"version,omitempty"`
	LastSync   time.Time `json:"last_sync,omitzero"`
	LastSeen   time.Time `json:"last_seen,omitzero"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

// VersionsResponse lists every device the hub knows (ordered by id) with its version, the
// newest version any of them reported, and the hub's own version.
type VersionsResponse struct {
	Devices []DeviceVersion `json:"devices"`
	Newest  string          `json:"newest,omitempty"`
	Hub     string          `json:"hub,omitempty"`
}

// TokenRequest asks for an enrollment token (owner devices only).
type TokenRequest struct {
	Role   Role     `json:"role"`
	Scopes []string `json:"scopes,omitempty"`
	// TTLSeconds is how long the code stays valid: default one day, at
	// most 30 days.
	TTLSeconds int64  `json:"ttl_seconds,omitempty"`
	Label      []byte `json:"label,omitempty"`
}

// TokenResponse carries a fresh enrollment code. Its Secret is empty: the
// owner device adds its own before showing the code.
type TokenResponse struct {
	Code      string    `json:"code"`
	TokenID   string    `json:"token_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PushResponse answers a pushed change-set.
type PushResponse struct {
	Cursor    int64 `json:"cursor"`
	Duplicate bool  `json:"duplicate"`
}

// EnvelopeInfo is a key envelope as the API carries it.
type EnvelopeInfo struct {
	To        string    `json:"to"`
	Scope     string    `json:"scope"`
	Version   uint32    `json:"version"`
	From      string    `json:"from,omitempty"`
	Sealed    []byte    `json:"sealed"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// EnvelopesRequest stores envelopes.
type EnvelopesRequest struct {
	Envelopes []EnvelopeInfo `json:"envelopes"`
}

// EnvelopesResponse lists envelopes.
type EnvelopesResponse struct {
	Envelopes []EnvelopeInfo `json:"envelopes"`
}

// CheckpointInfo is an audit checkpoint as the API carries it.
type CheckpointInfo struct {
	Device     string    `json:"device,omitempty"`
	Seq        uint64    `json:"seq"`
	Head       []byte    `json:"head"`
	Signature  []byte    `json:"signature"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// CheckpointsResponse lists a device's checkpoints and its latest one.
type CheckpointsResponse struct {
	Latest      *CheckpointInfo  `json:"latest,omitempty"`
	Checkpoints []CheckpointInfo `json:"checkpoints"`
}

// ErrBadFrame means a pull response is not a sequence of whole frames.
var ErrBadFrame = errors.New("hub: malformed change-set frames")

// AppendFrame appends one pull-response frame.
func AppendFrame(dst []byte, cursor int64, sealed []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(cursor))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(sealed)))
	return append(dst, sealed...)
}

// Frame is one change-set of a pull response.
type Frame struct {
	Cursor int64
	Bytes  []byte
}

// ParseFrames splits a pull response into frames. Cursors must increase and
// every frame must be whole; the frames alias b.
func ParseFrames(b []byte) ([]Frame, error) {
	var out []Frame
	last := int64(-1)
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, ErrBadFrame
		}
		c := int64(binary.BigEndian.Uint64(b))
		n := binary.BigEndian.Uint32(b[8:])
		b = b[12:]
		if c <= last || c < 0 || uint64(n) > uint64(len(b)) {
			return nil, ErrBadFrame
		}
		out = append(out, Frame{Cursor: c, Bytes: b[:n:n]})
		b = b[n:]
		last = c
	}
	return out, nil
}

// RosterResponse carries roster entries (each as crypto/roster encoded it) from the requested
// seq on, and every owner device's newest signed head. The hub relays them; spokes verify.
type RosterResponse struct {
	Len     uint64   `json:"len"` // entries the hub holds in all
	Entries [][]byte `json:"entries"`
	Heads   [][]byte `json:"heads"`
}

// RosterAppendRequest appends one entry at Seq (the roster's current length).
type RosterAppendRequest struct {
	Seq   uint64 `json:"seq"`
	Entry []byte `json:"entry"`
}

// RosterHeadRequest leaves the calling owner device's newest signed roster head.
type RosterHeadRequest struct {
	Head []byte `json:"head"`
}

// Snapshots (compaction). An owner device uploads the parts of a sealed snapshot
// of one scope (spoke/sync/wire SealSnapshot), each with
// PUT /v1/snapshots/{scope}/{id}/{part} (body: the sealed part, id: the header's
// id in lower-case hex), then POST /v1/snapshots/{scope}/{id}/commit. The hub
// checks each part's signature against the uploading owner device, that the
// parts agree, and at commit that every active device that reads the scope has
// pulled past the point; then, in one transaction, it keeps the snapshot,
// drops the scope's older snapshot and deletes the scope's change-sets at or
// below the point. GET /v1/snapshots lists the committed snapshots of the
// scopes the caller reads; GET /v1/snapshots/{scope}/{id}/{part} serves a part.

// SnapshotInfo describes a committed snapshot.
type SnapshotInfo struct {
	Scope      string `json:"scope"`
	ID         string `json:"id"` // the header's 16-byte id, lower-case hex
	Point      int64  `json:"point"`
	Parts      uint32 `json:"parts"`
	KeyVersion uint32 `json:"key_version"`
	Device     string `json:"device"` // the owner device that signed it
	// MinKeyVersion is the lowest scope-key version among the snapshot and the
	// scope's change-sets still stored: the hub's word, used only to decide
	// when a device may forget older key versions.
	MinKeyVersion uint32    `json:"min_key_version"`
	CommittedAt   time.Time `json:"committed_at"`
}

// SnapshotsResponse lists committed snapshots, ordered by scope.
type SnapshotsResponse struct {
	Snapshots []SnapshotInfo `json:"snapshots"`
}

// SnapshotCommitResponse says what a commit deleted.
type SnapshotCommitResponse struct {
	Deleted    int64 `json:"deleted"`     // change-sets
	FreedBytes int64 `json:"freed_bytes"` // their stored bytes
}
