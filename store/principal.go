package store

import (
	"context"
	"errors"
	"fmt"
)

// Principal is who an audit entry names: a signed-in user (their *Session), or a named system
// principal (System) for work no person started. Every entry also names this device.
type Principal interface {
	auditActor() (actor, *Store)
}

// System names work no person started: scheduled backups (System("backup-scheduler")), the
// sync loop (System("sync")), later retention runs. Its entries are recorded as
// "system:NAME" with this device's id, never as an anonymous "system".
type System string

func (p System) auditActor() (actor, *Store) { return actor{userID: "system:" + string(p)}, nil }

func (ss *Session) auditActor() (actor, *Store) { return ss.actor(), ss.s }

// Event is what an operation outside the store records in the trail: ids, counts and outcomes
// only, never personal values.
type Event struct {
	Action  string
	Target  string
	Outcome string // "" = "ok"
	Detail  string
}

// Audit is the one way to add an entry to the trail from outside the store (a backup, a drill,
// a restore, a device enrolled or revoked, what sync refused), in its own transaction. by is
// the session of the user who asked for it, or the System principal doing work no one started;
// a session of another database, an unnamed system principal or an entry without an action is
// refused.
func (s *Store) Audit(ctx context.Context, by Principal, e Event) error {
	if by == nil {
		return errors.New("audit: no principal")
	}
	a, owner := by.auditActor()
	if owner != nil && owner != s {
		return errors.New("audit: the session belongs to another database")
	}
	if owner == nil && !outsidePrincipals[a.userID] {
		// Only the principals of work outside the store that no person started may be named
		// from outside: the store's own (upgrade, verify, clock...) cannot be claimed, and
		// an unnamed or embedded System is no principal.
		return fmt.Errorf("audit: %q is not a principal work outside the store may name", a.userID)
	}
	if e.Action == "" {
		return errors.New("audit: an entry needs an action")
	}
	return s.auditAlone(ctx, a, auditEntry{Action: e.Action, Target: e.Target, Outcome: e.Outcome, Detail: e.Detail})
}

// The store's own work that no person started, under named principals: what sync applies and
// imports (System("sync"), as the engine's round records it), what a restore does to the
// restored copy (System("restore")), a new device identity (System("device-identity")), staff
// records signed again at unlock (System("upgrade")), a clock found behind (System("clock")) and
// an integrity check (System("verify")), and the store's own upkeep: creation, schema upgrade,
// key protection (System("store")); the unusual-behaviour detector's alerts and suspensions
// (System("detect")).
// outsidePrincipals are the system principals Store.Audit accepts: the sync loop and its
// enrolment and recovery, a restore, the backup scheduler, retention runs.
var outsidePrincipals = map[string]bool{"system:sync": true, "system:enrolment": true, "system:recovery-code": true,
	"system:restore": true, "system:backup-scheduler": true, "system:retention": true}

var (
	storeActor, _    = System("store").auditActor()
	syncActor, _     = System("sync").auditActor()
	restoreActor, _  = System("restore").auditActor()
	identityActor, _ = System("device-identity").auditActor()
	upgradeActor, _  = System("upgrade").auditActor()
	clockActor, _    = System("clock").auditActor()
	verifyActor, _   = System("verify").auditActor()
	detectActor, _   = System("detect").auditActor()
)
