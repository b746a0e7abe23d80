package hlc

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func ts(ms uint64, counter uint16) Timestamp { return makeTimestamp(ms, counter) }

// fakeWall is a settable wall clock for tests.
type fakeWall struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeWall) set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }
func (f *fakeWall) now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

type op int

const (
	opNow op = iota
	opUpdate
	opObserve
)

type step struct {
	wall    time.Time // wall clock during this step
	op      op
	arg     Timestamp // for Update and Observe
	want    Timestamp // result of Now or Update; Last() after Observe
	wantErr bool      // Update must refuse with a *SkewError
}

func ms(n int64) time.Time { return time.UnixMilli(n) }

func TestClock(t *testing.T) {
	const skew = time.Second
	tests := []struct {
		name  string
		steps []step
	}{
		{"counter increments within a millisecond", []step{
			{wall: ms(1000), op: opNow, want: ts(1000, 0)},
			{wall: ms(1000), op: opNow, want: ts(1000, 1)},
			{wall: ms(1000), op: opNow, want: ts(1000, 2)},
			{wall: ms(1001), op: opNow, want: ts(1001, 0)},
		}},
		{"monotonic while the wall clock goes backwards", []step{
			{wall: ms(2000), op: opNow, want: ts(2000, 0)},
			{wall: ms(1500), op: opNow, want: ts(2000, 1)},
			{wall: ms(1), op: opNow, want: ts(2000, 2)},
			{wall: ms(2000), op: opNow, want: ts(2000, 3)},
			{wall: ms(2001), op: opNow, want: ts(2001, 0)},
		}},
		{"counter overflow borrows the next millisecond", []step{
			{wall: ms(3000), op: opObserve, arg: ts(3000, 0xfffe), want: ts(3000, 0xfffe)},
			{wall: ms(3000), op: opNow, want: ts(3000, 0xffff)},
			{wall: ms(3000), op: opNow, want: ts(3001, 0)},
			{wall: ms(3000), op: opNow, want: ts(3001, 1)},
			{wall: ms(3001), op: opNow, want: ts(3001, 2)},
			{wall: ms(3002), op: opNow, want: ts(3002, 0)},
		}},
		{"update adopts a remote ahead within skew", []step{
			{wall: ms(5000), op: opNow, want: ts(5000, 0)},
			{wall: ms(5000), op: opUpdate, arg: ts(5500, 7), want: ts(5500, 8)},
			{wall: ms(5000), op: opNow, want: ts(5500, 9)},
			{wall: ms(5501), op: opNow, want: ts(5501, 0)},
		}},
		{"update accepts a remote exactly maxSkew ahead", []step{
			{wall: ms(5000), op: opUpdate, arg: ts(6000, 0), want: ts(6000, 1)},
		}},
		{"update refuses a remote beyond skew and keeps the clock", []step{
			{wall: ms(5000), op: opNow, want: ts(5000, 0)},
			{wall: ms(5000), op: opUpdate, arg: ts(6001, 0), wantErr: true},
			{wall: ms(5000), op: opNow, want: ts(5000, 1)},
			{wall: ms(5000), op: opUpdate, arg: ts(1<<48-1, 0xffff), wantErr: true},
			{wall: ms(5000), op: opNow, want: ts(5000, 2)},
		}},
		{"skew is judged against the wall clock, not the last timestamp", []step{
			{wall: ms(5000), op: opObserve, arg: ts(9000, 0), want: ts(9000, 0)},
			{wall: ms(5000), op: opUpdate, arg: ts(9500, 0), wantErr: true},
		}},
		{"update with a remote behind keeps local order", []step{
			{wall: ms(5000), op: opNow, want: ts(5000, 0)},
			{wall: ms(5000), op: opUpdate, arg: ts(4000, 3), want: ts(5000, 1)},
			{wall: ms(5000), op: opUpdate, arg: ts(5000, 9), want: ts(5000, 10)},
			{wall: ms(5000), op: opNow, want: ts(5000, 11)},
		}},
		{"update when the wall clock is ahead of both", []step{
			{wall: ms(6000), op: opObserve, arg: ts(6000, 5), want: ts(6000, 5)},
			{wall: ms(7000), op: opUpdate, arg: ts(6500, 2), want: ts(7000, 0)},
		}},
		{"observe after a restart with the wall clock behind", []step{
			{wall: ms(1000), op: opObserve, arg: ts(9000, 4), want: ts(9000, 4)},
			{wall: ms(1000), op: opNow, want: ts(9000, 5)},
			{wall: ms(1000), op: opObserve, arg: ts(1, 0), want: ts(9000, 5)},
			{wall: ms(1000), op: opNow, want: ts(9000, 6)},
		}},
		{"wall clock before 1970 clamps to zero", []step{
			// Zero itself is never issued, so it can mean "no timestamp".
			{wall: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), op: opNow, want: ts(0, 1)},
			{wall: time.Time{}, op: opNow, want: ts(0, 2)},
			{wall: ms(-1), op: opUpdate, arg: ts(0, 9), want: ts(0, 10)},
		}},
		{"wall clock past 48 bits clamps to the maximum", []step{
			{wall: time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), op: opNow, want: ts(maxWall, 0)},
			{wall: time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), op: opNow, want: ts(maxWall, 1)},
		}},
		{"saturates at the maximum instead of wrapping", []step{
			{wall: ms(1000), op: opObserve, arg: maxTimestamp, want: maxTimestamp},
			{wall: ms(1000), op: opNow, want: maxTimestamp},
			{wall: ms(1000), op: opUpdate, arg: ts(1000, 0), want: maxTimestamp},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wall := &fakeWall{}
			c := New(wall.now, skew)
			for i, s := range tt.steps {
				wall.set(s.wall)
				var got Timestamp
				switch s.op {
				case opNow:
					got = c.Now()
				case opUpdate:
					before := c.Last()
					var err error
					got, err = c.Update(s.arg)
					if s.wantErr {
						var se *SkewError
						if !errors.Is(err, ErrClockSkew) || !errors.As(err, &se) {
							t.Fatalf("step %d: Update(%v) = %v, %v; want *SkewError", i, s.arg, got, err)
						}
						if se.Remote != s.arg || se.MaxSkew != skew || se.Ahead <= skew {
							t.Errorf("step %d: SkewError %+v", i, se)
						}
						if c.Last() != before {
							t.Errorf("step %d: refused Update moved the clock to %v", i, c.Last())
						}
						continue
					}
					if err != nil {
						t.Fatalf("step %d: Update(%v): %v", i, s.arg, err)
					}
				case opObserve:
					c.Observe(s.arg)
					got = c.Last()
				}
				if got != s.want {
					t.Fatalf("step %d: got %v, want %v", i, got, s.want)
				}
				if c.Last() != got {
					t.Fatalf("step %d: Last() = %v, want %v", i, c.Last(), got)
				}
			}
		})
	}
}

func TestSkewErrorAmount(t *testing.T) {
	c := New(func() time.Time { return ms(10_000) }, 2*time.Second)
	_, err := c.Update(ts(12_345, 0))
	var se *SkewError
	if !errors.As(err, &se) || se.Ahead != 2345*time.Millisecond {
		t.Fatalf("Update = %v; want a *SkewError 2.345s ahead", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "2.345s") || !strings.Contains(msg, "12345.0000") {
		t.Errorf("message %q lacks the amount or the timestamp", msg)
	}

	// 2^48 ms is more than a Duration holds.
	_, err = New(func() time.Time { return ms(0) }, time.Hour).Update(ts(maxWall, 0))
	if !errors.As(err, &se) || se.Ahead != time.Duration(math.MaxInt64) {
		t.Fatalf("Update far ahead = %v; want a saturated *SkewError", err)
	}
}

func TestNewDefaults(t *testing.T) {
	c := New(nil, -time.Second)
	before := time.Now().UnixMilli()
	got := c.Now()
	if w := got.Wall().UnixMilli(); w < before || w > time.Now().UnixMilli() {
		t.Errorf("New(nil, ...) does not read time.Now: %v", got)
	}
	if _, err := c.Update(ts(uint64(time.Now().UnixMilli())+60_000, 0)); !errors.Is(err, ErrClockSkew) {
		t.Errorf("negative maxSkew should act as zero, got %v", err)
	}
}

func TestStringParse(t *testing.T) {
	tests := []struct {
		t Timestamp
		s string
	}{
		{ts(1732851234567, 3), "1732851234567.0003"},
		{0, "0.0000"},
		{ts(1, 0xabcd), "1.abcd"},
		{ts(10, 0x00f0), "10.00f0"},
		{maxTimestamp, "281474976710655.ffff"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.s {
			t.Errorf("String() = %q, want %q", got, tt.s)
		}
		got, err := Parse(tt.s)
		if err != nil || got != tt.t {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.s, got, err, tt.t)
		}
	}

	wall := ts(1732851234567, 3).Wall()
	if !wall.Equal(time.UnixMilli(1732851234567)) || wall.Location() != time.UTC {
		t.Errorf("Wall() = %v", wall)
	}
	if c := ts(1732851234567, 3).Counter(); c != 3 {
		t.Errorf("Counter() = %d", c)
	}

	for _, bad := range []string{
		"", ".", "1", "1.", ".0000", "1.000", "1.00000", "01.0000", "00.0000",
		"1.000g", "1.ABCD", "-1.0000", "+1.0000", " 1.0000", "1.0000 ",
		"281474976710656.0000", "1111111111111111.0000", "1.0000.0000", "1,0000",
		"1.0x00", "١.0000",
	} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, got)
		}
	}
	long := strings.Repeat("9", 10_000)
	if _, err := Parse(long); err == nil || len(err.Error()) > 200 {
		t.Errorf("Parse(long) error %q should be short", err)
	}
}

// TestConcurrent checks, under -race, that concurrent Now, Update and
// Observe calls never hand out the same timestamp twice and that each
// goroutine sees its own timestamps strictly increase.
func TestConcurrent(t *testing.T) {
	wall := &fakeWall{t: ms(1_000_000)}
	c := New(wall.now, time.Second)
	const goroutines, perGoroutine = 4, 2000
	results := make([][]Timestamp, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]Timestamp, 0, perGoroutine)
			for i := range perGoroutine {
				var got Timestamp
				switch {
				case g == 0 && i%100 == 0:
					// A wall clock that jumps around, backwards included.
					wall.set(ms(1_000_000 + int64(i%7)*3 - 9))
					got = c.Now()
				case g == 1 && i%3 == 0:
					var err error
					got, err = c.Update(c.Last() + 5)
					if err != nil {
						t.Error(err)
						return
					}
				case g == 2 && i%50 == 0:
					c.Observe(c.Last() + 100)
					got = c.Now()
				default:
					got = c.Now()
				}
				out = append(out, got)
			}
			results[g] = out
		}()
	}
	wg.Wait()

	seen := make(map[Timestamp]int, goroutines*perGoroutine)
	for g, out := range results {
		for i, ts := range out {
			if i > 0 && ts <= out[i-1] {
				t.Fatalf("goroutine %d: %v after %v", g, ts, out[i-1])
			}
			if other, dup := seen[ts]; dup {
				t.Fatalf("%v issued to goroutines %d and %d", ts, other, g)
			}
			seen[ts] = g
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1732851234567.0003", "0.0000", "281474976710655.ffff", "281474976710656.0000", "01.0000", "1.ABCD", ""} {
		f.Add(s, uint64(0))
	}
	f.Add("", uint64(math.MaxUint64))
	f.Add("", uint64(1732851234567<<16|3))
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		if got, err := Parse(s); err == nil {
			if got.String() != s {
				t.Fatalf("Parse(%q) = %v, which formats differently", s, got)
			}
		}
		want := Timestamp(n)
		got, err := Parse(want.String())
		if err != nil || got != want {
			t.Fatalf("Parse(%q) = %v, %v; want %v", want.String(), got, err, want)
		}
	})
}
