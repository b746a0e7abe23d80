package hub

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"spoke/protocol"
	"spoke/sync/wire"
)

// Compaction, the hub's side. An owner device uploads a sealed snapshot of one scope in parts
// and commits it; the hub checks what it can without keys (each part signed by the uploading
// owner device, its header naming the scope, id and index of its path, the parts agreeing),
// and at commit that no device that reads the scope still needs a set the snapshot replaces.
// Only then, in one transaction, does it keep the snapshot and delete the scope's change-sets
// at or below its point. The hub never judges what a snapshot holds: receivers verify and
// open it with the scope key.

const (
	// snapshotStaleAfter is how long an uncommitted snapshot may sit without a new part
	// before the sweep deletes it as abandoned.
	snapshotStaleAfter = 24 * time.Hour
	// maxLaggingListed bounds the device ids a lagging refusal lists.
	maxLaggingListed = 50
)

// Route patterns of the snapshot endpoints: the metrics' path labels, never a raw path.
const (
	routeSnapshotPart   = protocol.PathSnapshots + "/{scope}/{id}/{part}"
	routeSnapshotCommit = protocol.PathSnapshots + "/{scope}/{id}/commit"
)

// snapshotPath reads the scope and id of a snapshot route, answering 400 when they are not
// ids at all.
func (s *Server) snapshotPath(w http.ResponseWriter, r *http.Request) (scope, id string, ok bool) {
	scope, id = r.PathValue("scope"), r.PathValue("id")
	if !protocol.ValidID(scope) || !ValidSnapshotID(id) {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed,
			"path: a scope id, then the snapshot's 16-byte id in lower-case hex")
		return "", "", false
	}
	return scope, id, true
}

// snapshotPartPath is snapshotPath and the part index.
func (s *Server) snapshotPartPath(w http.ResponseWriter, r *http.Request) (scope, id string, part uint32, ok bool) {
	scope, id, ok = s.snapshotPath(w, r)
	if !ok {
		return "", "", 0, false
	}
	n, err := strconv.ParseUint(r.PathValue("part"), 10, 32)
	if err != nil || n >= wire.MaxSnapshotParts {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed,
			fmt.Sprintf("path: the part index, 0 to %d", wire.MaxSnapshotParts-1))
		return "", "", 0, false
	}
	return scope, id, uint32(n), true
}

// handlePutSnapshotPart stages one part (owner devices only). It costs the device a push from
// its rate, like a change-set, but not its quota: the bytes it may have staged are bounded
// apart (Config.MaxStagedSnapshot), and a commit frees far more than it keeps.
func (s *Server) handlePutSnapshotPart(w http.ResponseWriter, r *http.Request, d Device) {
	scope, id, part, ok := s.snapshotPartPath(w, r)
	if !ok {
		return
	}
	if wait := s.pushWait(d.ID, s.cfg.Now()); wait > 0 {
		s.refuseRate(w, r, wait, "snapshot parts")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxChangeSet))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, http.StatusRequestEntityTooLarge, protocol.RejectTooLarge, protocol.RejectTooLarge, fmt.Sprintf(
				"the snapshot part is larger than the %s this hub accepts (spoke-hub serve --max-changeset): build the snapshot in smaller parts",
				sizeText(s.cfg.MaxChangeSet)))
			return
		}
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "could not read the snapshot part")
		return
	}
	h, err := wire.ParseSnapshotHeader(body)
	if err != nil {
		reason := protocol.RejectMalformed
		if errors.Is(err, wire.ErrTooLarge) {
			reason = protocol.RejectTooLarge
		}
		s.fail(w, r, http.StatusBadRequest, reason, reason, "the body is not a snapshot part this hub understands")
		return
	}
	if h.Device != d.ID {
		s.fail(w, r, http.StatusForbidden, protocol.RejectDeviceMismatch, protocol.RejectDeviceMismatch, "the snapshot part names another device than the client certificate")
		return
	}
	if h.Scope != scope || hex.EncodeToString(h.ID[:]) != id || h.Part != part {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "the snapshot part's header names another scope, id or part index than its path")
		return
	}
	if !d.CanWrite(scope) {
		s.fail(w, r, http.StatusForbidden, protocol.RejectScope, protocol.RejectScope, "this device may not write that scope")
		return
	}
	if _, err := wire.VerifySnapshot(body, d.SigningKey); err != nil {
		s.fail(w, r, http.StatusForbidden, protocol.RejectBadSignature, protocol.RejectBadSignature, "the snapshot part's signature does not verify with this device's key")
		return
	}
	if s.cfg.MaxStagedSnapshot >= 0 {
		staged, err := s.cfg.Storage.StagedSnapshotBytes(r.Context(), d.ID)
		if err != nil {
			s.internal(w, r, "read staged snapshot bytes", err)
			return
		}
		if staged+int64(len(body)) > s.cfg.MaxStagedSnapshot {
			s.log.Warn("snapshot upload over its bound", "device", d.ID, "staged_bytes", staged, "bound_bytes", s.cfg.MaxStagedSnapshot)
			s.fail(w, r, http.StatusInsufficientStorage, protocol.RejectQuota, protocol.RejectQuota, fmt.Sprintf(
				"this device already has %s of uncommitted snapshot parts at the hub, and this one would take it over the %s the hub stages per device: "+
					"commit or abandon the snapshots in progress (the hub drops an upload idle for a day)",
				sizeText(staged), sizeText(s.cfg.MaxStagedSnapshot)))
			return
		}
	}
	err = s.cfg.Storage.PutSnapshotPart(r.Context(), SnapshotPart{Scope: scope, ID: id, Device: d.ID, Point: h.Point,
		KeyVersion: h.KeyVersion, Part: h.Part, Parts: h.Parts, Bytes: body, At: s.cfg.Now()})
	if errors.Is(err, ErrConflict) {
		s.log.Warn("snapshot part refused", "device", d.ID, "scope", scope, "snapshot", id, "part", part)
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay,
			"this snapshot is already committed, or holds other bytes for this part, or its other parts name another point, key version or part count")
		return
	}
	if err != nil {
		s.internal(w, r, "store snapshot part", err)
		return
	}
	s.log.Info("snapshot part staged", "device", d.ID, "scope", scope, "snapshot", id, "part", part, "parts", h.Parts,
		"point", h.Point, "key_version", h.KeyVersion, "bytes", len(body))
	w.WriteHeader(http.StatusNoContent)
}

// handleCommitSnapshot commits a snapshot its uploader finished (owner devices only), once no
// active device that reads the scope still lacks a set at or below its point.
func (s *Server) handleCommitSnapshot(w http.ResponseWriter, r *http.Request, d Device) {
	scope, id, ok := s.snapshotPath(w, r)
	if !ok {
		return
	}
	snap, err := s.cfg.Storage.Snapshot(r.Context(), scope, id)
	if errors.Is(err, ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, protocol.CodeNotFound, "", "no such snapshot (an upload idle for a day is dropped: upload it again)")
		return
	}
	if err != nil {
		s.internal(w, r, "read snapshot", err)
		return
	}
	if snap.Device != d.ID {
		s.fail(w, r, http.StatusForbidden, protocol.RejectDeviceMismatch, protocol.RejectDeviceMismatch, "a device commits only the snapshots it uploaded")
		return
	}
	if snap.CommittedAt.IsZero() {
		if snap.Staged < snap.Parts {
			s.fail(w, r, http.StatusConflict, protocol.CodeConflict, "", fmt.Sprintf(
				"the hub holds %d of the snapshot's %d parts: upload the rest, then commit", snap.Staged, snap.Parts))
			return
		}
		if msg, err := s.lagging(r.Context(), scope, snap.Point); err != nil {
			s.internal(w, r, "check readers of the scope", err)
			return
		} else if msg != "" {
			s.log.Info("snapshot commit waits for readers", "device", d.ID, "scope", scope, "snapshot", id, "point", snap.Point)
			s.fail(w, r, http.StatusConflict, protocol.CodeLagging, "", msg)
			return
		}
	}
	deleted, freed, err := s.cfg.Storage.CommitSnapshot(r.Context(), scope, id, s.cfg.Now())
	switch {
	case errors.Is(err, ErrNotFound):
		s.fail(w, r, http.StatusNotFound, protocol.CodeNotFound, "", "no such snapshot (an upload idle for a day is dropped: upload it again)")
		return
	case errors.Is(err, ErrConflict):
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, "", fmt.Sprintf(
			"scope %s already has a committed snapshot at point %d or later, or a part is missing: compaction never goes back", scope, snap.Point))
		return
	case err != nil:
		s.internal(w, r, "commit snapshot", err)
		return
	}
	// The deleted sets belonged to many devices: their cached stored bytes are stale.
	s.forgetStored()
	s.log.Info("snapshot committed", "device", d.ID, "scope", scope, "snapshot", id, "point", snap.Point, "parts", snap.Parts,
		"deleted", deleted, "freed_bytes", freed)
	writeJSON(w, http.StatusOK, protocol.SnapshotCommitResponse{Deleted: deleted, FreedBytes: freed})
}

// lagging says why a commit of scope at point must wait, or "" when it need not: the point is
// past every cursor the hub assigned, or an active device that reads the scope has not yet
// asked to pull from point or beyond (a revoked device reads nothing and never blocks). A
// device enrolled between this check and the commit starts from the snapshot, so the check
// need not share the commit's transaction.
func (s *Server) lagging(ctx context.Context, scope string, point int64) (string, error) {
	newest, err := s.cfg.Storage.NewestCursor(ctx)
	if err != nil {
		return "", err
	}
	if point > newest {
		return fmt.Sprintf("the snapshot's point %d is past the newest cursor the hub holds (%d)", point, newest), nil
	}
	devs, err := s.cfg.Storage.Devices(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	n := 0
	for _, x := range devs {
		// A device that has pulled nothing yet starts from the snapshot: it cannot miss a set.
		// (Counting it would let one that refuses a revoked owner's snapshot block every later
		// compaction.)
		if x.Status == protocol.StatusActive && x.CanRead(scope) && x.Pulled > 0 && x.Pulled < point {
			if n++; n <= maxLaggingListed {
				ids = append(ids, x.ID)
			}
		}
	}
	if n == 0 {
		return "", nil
	}
	more := ""
	if n > len(ids) {
		more = fmt.Sprintf(" and %d more", n-len(ids))
	}
	return fmt.Sprintf("%d device(s) that read scope %s have not pulled past point %d yet: %s%s",
		n, scope, point, strings.Join(ids, ", "), more), nil
}

// handleSnapshots lists the committed snapshots of the scopes the caller reads.
func (s *Server) handleSnapshots(w http.ResponseWriter, r *http.Request, d Device) {
	scopes, all := d.ReadScopes()
	list, err := s.cfg.Storage.Snapshots(r.Context(), scopes, all)
	if err != nil {
		s.internal(w, r, "list snapshots", err)
		return
	}
	out := protocol.SnapshotsResponse{Snapshots: []protocol.SnapshotInfo{}}
	out.Snapshots = append(out.Snapshots, list...)
	writeJSON(w, http.StatusOK, out)
}

// handleSnapshotPart serves a part of a committed snapshot to a device that reads its scope.
func (s *Server) handleSnapshotPart(w http.ResponseWriter, r *http.Request, d Device) {
	scope, id, part, ok := s.snapshotPartPath(w, r)
	if !ok {
		return
	}
	if !d.CanRead(scope) {
		s.fail(w, r, http.StatusForbidden, protocol.CodeForbidden, protocol.RejectScope, "this device may not read that scope")
		return
	}
	b, err := s.cfg.Storage.SnapshotPart(r.Context(), scope, id, part)
	if errors.Is(err, ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, protocol.CodeNotFound, "", "no such part of a committed snapshot")
		return
	}
	if err != nil {
		s.internal(w, r, "read snapshot part", err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
	s.log.Debug("snapshot part served", "device", d.ID, "scope", scope, "snapshot", id, "part", part, "bytes", len(b))
}

// SweepSnapshots deletes the snapshots whose upload was abandoned: uncommitted, with no new
// part for a day. The server runs it with SweepTokens, hourly.
func (s *Server) SweepSnapshots(ctx context.Context) error {
	n, err := s.cfg.Storage.DeleteStaleSnapshots(ctx, s.cfg.Now().Add(-snapshotStaleAfter))
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("abandoned snapshot uploads deleted", "snapshots", n)
	}
	return nil
}
