package hub

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"spoke/crypto/roster"
	"spoke/protocol"
)

// maxRosterEntries bounds how much of the roster one answer carries; a spoke pages on.
const maxRosterEntries = 1000

// The hub keeps the roster as an append-only list and relays it. It checks every entry it is
// given against the entries before it (signature by an active owner, chain link), not because
// spokes trust that check — they verify everything again from the genesis — but so that a
// confused or hostile client cannot wedge the list with garbage at the next position.

func (s *Server) loadRoster(r *http.Request) (*roster.State, uint64, error) {
	var st *roster.State
	var n uint64
	for {
		entries, err := s.cfg.Storage.RosterEntries(r.Context(), n, maxRosterEntries)
		if err != nil {
			return nil, 0, err
		}
		for _, e := range entries {
			if st == nil {
				if st, err = roster.New(e, [32]byte{}, nil); err != nil {
					return nil, 0, err
				}
			} else if err := st.Append(e); err != nil {
				return nil, 0, err
			}
			n++
		}
		if len(entries) < maxRosterEntries {
			return st, n, nil
		}
	}
}

func (s *Server) handleRoster(w http.ResponseWriter, r *http.Request, d Device) {
	from, err := parseInt(r.URL.Query().Get("from"), 0)
	if err != nil || from < 0 {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "from: an entry number ≥ 0")
		return
	}
	entries, err := s.cfg.Storage.RosterEntries(r.Context(), uint64(from), maxRosterEntries)
	if err != nil {
		s.internal(w, r, "read roster", err)
		return
	}
	heads, err := s.cfg.Storage.RosterHeads(r.Context())
	if err != nil {
		s.internal(w, r, "read roster heads", err)
		return
	}
	n, err := s.cfg.Storage.RosterLen(r.Context())
	if err != nil {
		s.internal(w, r, "count roster", err)
		return
	}
	out := protocol.RosterResponse{Len: n, Entries: entries, Heads: heads}
	if out.Entries == nil {
		out.Entries = [][]byte{}
	}
	if out.Heads == nil {
		out.Heads = [][]byte{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRosterAppend(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.RosterAppendRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	e, err := roster.Decode(req.Entry)
	if err != nil || e.Seq != req.Seq {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "entry: not a roster entry, or not for that position")
		return
	}
	st, n, err := s.loadRoster(r)
	if err != nil {
		s.internal(w, r, "load roster", err)
		return
	}
	switch {
	case req.Seq < n:
		// Already stored: the same bytes again is fine (a retry), anything else a conflict.
		old, err := s.cfg.Storage.RosterEntries(r.Context(), req.Seq, 1)
		if err != nil {
			s.internal(w, r, "read roster", err)
			return
		}
		if len(old) == 1 && bytes.Equal(old[0], req.Entry) {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay, "another entry is already stored at that position; fetch the roster and sign again")
		return
	case req.Seq > n:
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay, "that position is past the end of the roster")
		return
	case n == 0:
		// The genesis: it must name the device that sends it, with its enrolled keys.
		if _, err := roster.New(req.Entry, [32]byte{}, nil); err != nil || e.Member.ID != d.ID || !bytes.Equal(e.Member.SigningKey, d.SigningKey) {
			s.fail(w, r, http.StatusForbidden, protocol.RejectBadSignature, protocol.RejectBadSignature, "the roster's first entry must be this device's own, signed by it")
			return
		}
	default:
		if err := st.Append(req.Entry); err != nil {
			s.fail(w, r, http.StatusForbidden, protocol.RejectBadSignature, protocol.RejectBadSignature, "the entry does not follow the roster or is not signed by an active owner")
			return
		}
	}
	err = s.cfg.Storage.AppendRosterEntry(r.Context(), req.Seq, req.Entry, s.cfg.Now())
	if errors.Is(err, ErrConflict) {
		s.fail(w, r, http.StatusConflict, protocol.CodeConflict, protocol.RejectReplay, "another entry is already stored at that position; fetch the roster and sign again")
		return
	}
	if err != nil {
		s.internal(w, r, "append roster entry", err)
		return
	}
	s.log.Info("roster entry stored", "device", d.ID, "seq", req.Seq, "op", e.Op)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRosterHead(w http.ResponseWriter, r *http.Request, d Device) {
	var req protocol.RosterHeadRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	h, err := roster.DecodeHead(req.Head)
	if err != nil || h.Signer != d.ID {
		s.fail(w, r, http.StatusBadRequest, protocol.RejectMalformed, protocol.RejectMalformed, "head: not a roster head of this device")
		return
	}
	if err := s.cfg.Storage.PutRosterHead(r.Context(), d.ID, req.Head, s.cfg.Now()); err != nil {
		s.internal(w, r, "put roster head", err)
		return
	}
	s.log.Debug("roster head stored", "device", d.ID, "len", strconv.FormatUint(h.Len, 10))
	w.WriteHeader(http.StatusNoContent)
}
