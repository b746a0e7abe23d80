package store

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDetectorPerAction measures what the detector adds to one audited action (make
// bench): opening a customer card (a read-audit entry) with the detector on the device and
// with it off; the difference is the detector's cost per action (reading the new entry back,
// observing it). The budget: under 1% of one core at a shop's normal load.
func BenchmarkDetectorPerAction(b *testing.B) {
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		name := map[bool]string{true: "with-detector", false: "without-detector"}[on]
		b.Run(name, func(b *testing.B) {
			st, _ := newTestStore(b)
			ss := signIn(b, st, "olga", "owner-password-1")
			ids := make([]string, 200)
			for i := range ids {
				ids[i] = must[string](b)(ss.CreateCustomer(ctx, CustomerInput{Name: fmt.Sprintf("Bench %d", i), Phone: fmt.Sprintf("+1 415 555 %04d", i)}))
			}
			if !on {
				st.watch = nil
			}
			i := 0
			for b.Loop() {
				if _, err := ss.Customer(ctx, ids[i%len(ids)], ""); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
