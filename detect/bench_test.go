package detect_test

import (
	"testing"
	"time"

	"spoke/detect"
	"spoke/detect/eval"
)

// BenchmarkObserve replays an eight-week trace of a 30-person chain and reports the cost per
// event and what that means at the busiest hour of the busiest shop in the trace: the share
// of one core the detector then takes (the budget is 1%).
func BenchmarkObserve(b *testing.B) {
	tr := eval.Generate(eval.Params{Seed: 5, Staff: 30})
	shops, err := tr.ShopList()
	if err != nil {
		b.Fatal(err)
	}
	// Events per hour in the busiest shop-hour of the trace.
	perHour := map[string]int{}
	busiest := 0
	for _, ev := range tr.Events {
		k := ev.ShopID + ev.At.Truncate(time.Hour).String()
		perHour[k]++
		busiest = max(busiest, perHour[k])
	}
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		d := detect.New(detect.DefaultConfig(), shops)
		for _, ev := range tr.Events {
			d.Observe(ev)
		}
		n += len(tr.Events)
	}
	perEvent := float64(time.Since(start).Nanoseconds()) / float64(n)
	b.ReportMetric(perEvent, "ns/event")
	b.ReportMetric(float64(busiest), "events/busiest-shop-hour")
	b.ReportMetric(100*perEvent*float64(busiest)/float64(time.Hour.Nanoseconds()), "%core-at-busiest-hour")
}
