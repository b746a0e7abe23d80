// Command spoke-eval runs the detector's evaluation harness: it generates labelled traces
// (a chain of three shops, normal weeks, then the seven injected scenarios) for several seeds
// and staff sizes, replays each through the detector and prints, per scenario kind, how many
// were found and how fast, then recall and false alerts per shop-week, for the seeds the
// detector was tuned on and for held-out seeds separately.
//
//	go run ./detect/eval/cmd/spoke-eval [-train 1-6] [-heldout 101-106] [-staff 12,20,30]
//	go run ./detect/eval/cmd/spoke-eval -write DIR [-seed 7] [-staffn 20]
//
// -write writes one trace as DIR/events.jsonl, DIR/shops.json, DIR/labels.json and
// DIR/leavers.json, for `spoke detect --events DIR/events.jsonl --shops DIR/shops.json
// --leavers DIR/leavers.json --json > alerts.jsonl` and then -score DIR -alerts alerts.jsonl.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"spoke/detect"
	"spoke/detect/eval"
)

func main() {
	train := flag.String("train", "1-6", "seeds the detector was tuned on (a-b or a,b,c)")
	held := flag.String("heldout", "101-106", "held-out seeds")
	staff := flag.String("staff", "12,20,30", "staff sizes")
	weeks := flag.Int("weeks", 8, "weeks per trace (the first four without scenarios)")
	noShops := flag.Bool("no-shops", false, "replay without the shops' hours (learned instead)")
	noLeavers := flag.Bool("no-leavers", false, "replay without the leaving dates")
	verbose := flag.Bool("v", false, "one line per trace, and the false alerts' kinds")
	write := flag.String("write", "", "write one trace into this directory and stop")
	seed := flag.Uint64("seed", 7, "the seed of -write")
	staffn := flag.Int("staffn", 20, "the staff size of -write")
	score := flag.String("score", "", "score -alerts against the labels in this directory and stop")
	alertsFile := flag.String("alerts", "", "alerts as `spoke detect --json` printed them (with -score)")
	flag.Parse()
	if err := run(*train, *held, *staff, *weeks, eval.Options{NoShops: *noShops, NoLeavers: *noLeavers}, *verbose, *write, *seed, *staffn, *score, *alertsFile); err != nil {
		fmt.Fprintln(os.Stderr, "spoke-eval:", err)
		os.Exit(1)
	}
}

func run(train, held, staff string, weeks int, o eval.Options, verbose bool, write string, seed uint64, staffn int, score, alertsFile string) error {
	if write != "" {
		tr := eval.Generate(eval.Params{Seed: seed, Staff: staffn, Weeks: weeks})
		if err := eval.WriteTrace(write, tr); err != nil {
			return err
		}
		fmt.Printf("wrote %d events, %d scenarios to %s\n", len(tr.Events), len(tr.Labels.Scenarios), write)
		return nil
	}
	if score != "" {
		return scoreFile(score, alertsFile)
	}
	sizes, err := ints(staff)
	if err != nil {
		return err
	}
	for _, set := range []struct{ name, seeds string }{{"train", train}, {"held-out", held}} {
		seeds, err := ints(set.seeds)
		if err != nil {
			return err
		}
		var useeds []uint64
		for _, s := range seeds {
			useeds = append(useeds, uint64(s))
		}
		runs, err := eval.Evaluate(useeds, sizes, weeks, detect.DefaultConfig(), o)
		if err != nil {
			return err
		}
		s := eval.Summarize(runs)
		s.Print(os.Stdout, fmt.Sprintf("%s seeds %s, staff %s", set.name, set.seeds, staff))
		if verbose {
			eval.PrintRuns(os.Stdout, runs)
			fmt.Println("  false alerts by kind:", eval.FalseKinds(runs))
			if os.Getenv("SPOKE_EVAL_FALSE") != "" {
				for _, r := range runs {
					for _, a := range r.Result.False {
						fmt.Printf("    seed %d staff %d: %s %s %s (%s) score %d: %s\n", r.Seed, r.Staff, a.RaisedAt.Format("2006-01-02 Mon 15:04"), a.Kind, a.Username, a.Role, a.Score, strings.Join(a.Reasons, "; "))
					}
				}
			}
		}
		fmt.Println()
	}
	return nil
}

func scoreFile(dir, alertsFile string) error {
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return err
	}
	var l eval.Labels
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("labels.json: %v", err)
	}
	f, err := os.Open(alertsFile)
	if err != nil {
		return err
	}
	defer f.Close()
	var alerts []detect.Alert
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a detect.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("%s: %v", alertsFile, err)
		}
		alerts = append(alerts, a)
	}
	runs := []eval.RunResult{{Seed: l.Seed, Staff: l.Staff, Result: eval.Score(l, alerts)}}
	eval.Summarize(runs).Print(os.Stdout, dir)
	eval.PrintRuns(os.Stdout, runs)
	return sc.Err()
}

// ints parses "1-6" or "1,2,3".
func ints(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if a, b, ok := strings.Cut(part, "-"); ok {
			x, err1 := strconv.Atoi(a)
			y, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || y < x {
				return nil, fmt.Errorf("bad range %q", part)
			}
			for i := x; i <= y; i++ {
				out = append(out, i)
			}
			continue
		}
		x, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", part)
		}
		out = append(out, x)
	}
	return out, nil
}
