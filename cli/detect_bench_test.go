package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"spoke/detect/eval"
)

// BenchmarkDetectMillion: spoke detect over a file of one million audit events (a 100-person
// chain over 34 weeks, cut at 1M), from reading the file to the last alert. The issue's
// budget is 30 s. Run by make bench (it writes a file of about 250 MB first).
func BenchmarkDetectMillion(b *testing.B) {
	const n = 1_000_000
	tr := eval.Generate(eval.Params{Seed: 9, Staff: 100, Weeks: 34})
	if len(tr.Events) < n {
		b.Fatalf("the trace has %d events", len(tr.Events))
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	// Newest first, as spoke audit prints them: the command has to sort.
	for i := n - 1; i >= 0; i-- {
		if err := enc.Encode(tr.Events[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	tr = nil
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		code, _, errs := detectCLI(b, "", "--events", file, "--json")
		if code != 0 {
			b.Fatalf("exit %d: %s", code, errs)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/million-events")
	}
}
