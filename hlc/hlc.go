// Package hlc owns Spoke's hybrid logical clock: the timestamps that order
// every change exchanged between devices, and their text form.
//
// A timestamp stays close to wall-clock time, so it means something to a
// person reading a sync log, yet it never goes backwards and never repeats on
// one device, even when the wall clock is stepped back or a burst of changes
// lands in one millisecond.
//
// The package never reads or writes storage, never talks to the network and
// never decides conflicts: callers persist [Clock.Last] and restore it with
// [Clock.Observe], feed remote timestamps to [Clock.Update], and compare
// timestamps as plain integers.
package hlc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

const (
	counterBits = 16
	counterMask = 1<<counterBits - 1
	// maxWall is the largest wall time a timestamp can hold, in Unix
	// milliseconds: 48 bits last until the year 10889.
	maxWall = 1<<(64-counterBits) - 1
	// maxTimestamp is where the clock saturates instead of wrapping to zero,
	// which would silently reorder everything after it.
	maxTimestamp = Timestamp(1<<64 - 1)
)

// Timestamp is a hybrid logical clock reading: Unix milliseconds in the high
// 48 bits and a logical counter in the low 16. Timestamps order correctly as
// plain uint64 values, which is how they should be compared and stored.
type Timestamp uint64

func makeTimestamp(wallMillis uint64, counter uint16) Timestamp {
	return Timestamp(wallMillis<<counterBits | uint64(counter))
}

func (t Timestamp) wallMillis() uint64 { return uint64(t) >> counterBits }

// Wall returns the wall-clock part of t, in UTC, at millisecond precision.
func (t Timestamp) Wall() time.Time {
	return time.UnixMilli(int64(t.wallMillis())).UTC()
}

// Counter returns the logical part of t, which tells apart events that share
// a wall millisecond.
func (t Timestamp) Counter() uint16 { return uint16(t & counterMask) }

// String formats t as decimal Unix milliseconds, a dot, and the counter as
// exactly four lowercase hex digits, for example "1732851234567.0003". The
// form is canonical: Parse accepts exactly what String produces. Compare
// Timestamps, not their strings, since the wall part is not zero-padded.
func (t Timestamp) String() string {
	const hexDigits = "0123456789abcdef"
	c := t.Counter()
	b := strconv.AppendUint(make([]byte, 0, 20), t.wallMillis(), 10)
	return string(append(b, '.',
		hexDigits[c>>12], hexDigits[c>>8&0xf], hexDigits[c>>4&0xf], hexDigits[c&0xf]))
}

// Parse reads the form produced by [Timestamp.String]. It rejects anything
// else, including leading zeros, upper-case hex and wall times beyond 48
// bits, so that every accepted string has exactly one meaning.
func Parse(s string) (Timestamp, error) {
	dot := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return 0, parseError(s, "missing '.'")
	}
	wallText, counterText := s[:dot], s[dot+1:]

	if wallText == "" || len(wallText) > len("281474976710655") {
		return 0, parseError(s, "wall milliseconds must be 1 to 15 digits")
	}
	if len(wallText) > 1 && wallText[0] == '0' {
		return 0, parseError(s, "wall milliseconds have a leading zero")
	}
	var wall uint64
	for i := 0; i < len(wallText); i++ {
		d := wallText[i]
		if d < '0' || d > '9' {
			return 0, parseError(s, "wall milliseconds must be decimal digits")
		}
		wall = wall*10 + uint64(d-'0') // 15 digits cannot overflow uint64
	}
	if wall > maxWall {
		return 0, parseError(s, "wall milliseconds exceed 48 bits")
	}

	if len(counterText) != 4 {
		return 0, parseError(s, "counter must be 4 hex digits")
	}
	var counter uint16
	for i := 0; i < 4; i++ {
		d := counterText[i]
		var v byte
		switch {
		case d >= '0' && d <= '9':
			v = d - '0'
		case d >= 'a' && d <= 'f':
			v = d - 'a' + 10
		default:
			return 0, parseError(s, "counter must be lowercase hex digits")
		}
		counter = counter<<4 | uint16(v)
	}
	return makeTimestamp(wall, counter), nil
}

func parseError(s, why string) error {
	// Timestamps arrive from other devices; keep a hostile one from
	// flooding logs.
	const maxShown = 40
	if len(s) > maxShown {
		s = s[:maxShown] + "..."
	}
	return fmt.Errorf("hlc: invalid timestamp %q: %s", s, why)
}

// ErrClockSkew is matched (with errors.Is) by the *SkewError that
// [Clock.Update] returns for a remote timestamp too far in the future.
var ErrClockSkew = errors.New("hlc: remote clock is too far ahead")

// SkewError reports a remote timestamp that [Clock.Update] refused because
// adopting it would drag this device's clock into the future.
type SkewError struct {
	// Remote is the refused timestamp.
	Remote Timestamp
	// Ahead is how far Remote's wall time is ahead of the local wall clock.
	Ahead time.Duration
	// MaxSkew is the limit that Ahead exceeded.
	MaxSkew time.Duration
}

// Error describes the refusal with both amounts.
func (e *SkewError) Error() string {
	return fmt.Sprintf("%v: %s is %v ahead of the local clock (limit %v)",
		ErrClockSkew, e.Remote, e.Ahead, e.MaxSkew)
}

// Unwrap makes errors.Is(err, ErrClockSkew) true.
func (e *SkewError) Unwrap() error { return ErrClockSkew }

// Clock issues hybrid logical clock timestamps. It is safe for concurrent use.
type Clock struct {
	now     func() time.Time
	maxSkew time.Duration

	mu   sync.Mutex
	last Timestamp
}

// New returns a Clock that reads wall time from now (time.Now in production,
// a fake in tests; nil means time.Now) and refuses, in Update, remote
// timestamps more than maxSkew ahead of that wall time. A negative maxSkew
// counts as zero. The clock starts at zero: restore the persisted value with
// Observe before issuing timestamps.
func New(now func() time.Time, maxSkew time.Duration) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{now: now, maxSkew: max(maxSkew, 0)}
}

// physical reads the wall clock as 48-bit milliseconds. Clocks before 1970
// read as 0 and clocks past the year 10889 as the maximum; the logical part
// then keeps timestamps increasing, so a broken wall clock degrades ordering
// quality but never correctness.
func (c *Clock) physical() uint64 {
	ms := c.now().UnixMilli()
	switch {
	case ms < 0:
		return 0
	case uint64(ms) > maxWall:
		return maxWall
	default:
		return uint64(ms)
	}
}

// next returns the smallest valid timestamp after floor at wall time pt.
// Incrementing the whole uint64 carries a full counter into the wall part,
// so 65536 events in one millisecond borrow from the next millisecond
// instead of wrapping.
func next(floor Timestamp, pt uint64) Timestamp {
	if pt > floor.wallMillis() {
		return makeTimestamp(pt, 0)
	}
	if floor == maxTimestamp {
		return maxTimestamp
	}
	return floor + 1
}

// Now returns a timestamp strictly greater than every timestamp this clock
// has returned or observed, and never zero, so zero can mean "no timestamp". The only exception is saturation at the largest
// representable timestamp (the year 10889), reachable only by observing a
// corrupt value; Now then keeps returning that maximum rather than wrapping.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = next(c.last, c.physical())
	return c.last
}

// Update merges remote, a timestamp received from another device, and
// returns the timestamp of the receive event, which is greater than both
// remote and everything this clock issued before. If remote's wall time is
// more than maxSkew ahead of the local wall clock, Update returns a
// *SkewError and leaves the clock unchanged, so one device with a wrong clock
// cannot push every other device's timestamps into the future.
func (c *Clock) Update(remote Timestamp) (Timestamp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.physical()
	if rw := remote.wallMillis(); rw > pt {
		// 48 bits of milliseconds overflow a Duration; saturate.
		ahead := time.Duration(math.MaxInt64)
		if d := rw - pt; d <= math.MaxInt64/uint64(time.Millisecond) {
			ahead = time.Duration(d) * time.Millisecond
		}
		if ahead > c.maxSkew {
			return 0, &SkewError{Remote: remote, Ahead: ahead, MaxSkew: c.maxSkew}
		}
	}
	c.last = next(max(c.last, remote), pt)
	return c.last, nil
}

// Observe raises the clock to at least t without a skew check. It is meant
// for restoring the value persisted from Last at start-up, so timestamps keep
// increasing across a restart even if the wall clock went backwards.
func (c *Clock) Observe(t Timestamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = max(c.last, t)
}

// Last returns the highest timestamp this clock has issued or observed; it
// is the value to persist.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
