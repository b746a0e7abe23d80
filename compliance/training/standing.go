package training

import "time"

// The training states, as the store reports them.
const (
	// StateCurrent: every required lesson passed within the period.
	StateCurrent = "current"
	// StateDue: the training is due (a new account, or a period ran out) and the grace
	// period is running: customer data is still open.
	StateDue = "due"
	// StateOverdue: the grace period is over but the owner switched enforcement off.
	StateOverdue = "overdue"
	// StateBlocked: the grace period is over and enforcement is on: customer personal data
	// stays closed until the training is passed.
	StateBlocked = "blocked"
)

// Policy is the owner's training settings.
type Policy struct {
	PeriodMonths int  // training is due again this many months after the last complete pass
	GraceDays    int  // days after the due date before customer data closes
	Enforce      bool // whether it closes at all
}

// DefaultPolicy is the policy until the owner sets one: yearly, 14 days' grace, enforced.
var DefaultPolicy = Policy{PeriodMonths: 12, GraceDays: 14, Enforce: true}

// Standing is where a person stands.
type Standing struct {
	// LastPassed is when the training was last complete: the oldest of the newest passes of
	// every required lesson (zero when a required lesson was never passed).
	LastPassed time.Time
	DueAt      time.Time // when it is (or was) due
	BlocksAt   time.Time // DueAt plus the grace period
	State      string
}

// Evaluate says where a person stands at now. start is when their training first became
// due: their account's creation (or, for accounts older than the training, when it arrived).
// passes holds the newest pass of each lesson they passed; required lists the lessons that
// make the training complete. The training is complete when every required lesson has a
// pass; it is due again PeriodMonths after the oldest of those passes (so each lesson is
// retaken within the period), and before its first completion it is due at start.
func Evaluate(p Policy, start time.Time, required []string, passes map[string]time.Time, now time.Time) Standing {
	var s Standing
	complete := len(required) > 0
	for _, id := range required {
		at, ok := passes[id]
		if !ok || at.IsZero() {
			complete = false
			break
		}
		if s.LastPassed.IsZero() || at.Before(s.LastPassed) {
			s.LastPassed = at
		}
	}
	if complete {
		s.DueAt = s.LastPassed.AddDate(0, max(p.PeriodMonths, 1), 0)
	} else {
		s.LastPassed = time.Time{}
		s.DueAt = start
	}
	s.BlocksAt = s.DueAt.AddDate(0, 0, max(p.GraceDays, 0))
	switch {
	case now.Before(s.DueAt):
		s.State = StateCurrent
	case now.Before(s.BlocksAt):
		s.State = StateDue
	case p.Enforce:
		s.State = StateBlocked
	default:
		s.State = StateOverdue
	}
	return s
}
