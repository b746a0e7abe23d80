package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"spoke/detect"
)

func init() {
	register(command{name: "detect", summary: "replay audit events (JSON lines) through the unusual-behaviour detector; needs no database", run: runDetect})
}

// runDetect reads audit events in any order, sorts them by time and replays them through a
// new detector with no look-ahead, printing each alert as the detector raises it. A malformed
// line stops it with the line number: an audit trail that does not parse is not one to judge
// quietly by the lines that do.
func runDetect(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("spoke detect", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	events := fs.String("events", "", "audit events, one JSON object per line as 'spoke audit --json' prints them (- for standard input)")
	shopsFile := fs.String("shops", "", "SHOPS.json: each shop's time zone and opening hours (without it, hours are learned)")
	leaversFile := fs.String("leavers", "", `LEAVERS.json: [{"user_id": "...", "leaving": "YYYY-MM-DD"}], watched more closely`)
	asJSON := fs.Bool("json", false, "one JSON object per alert line")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *events == "" || len(pos) > 0 {
		return errUsage{"usage: spoke detect --events FILE.jsonl [--shops SHOPS.json] [--leavers LEAVERS.json] [--json]"}
	}
	var shops []detect.Shop
	if *shopsFile != "" {
		f, err := os.Open(*shopsFile)
		if err != nil {
			return fmt.Errorf("open the shops file: %w", err)
		}
		shops, err = detect.ParseShops(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *shopsFile, err)
		}
	}
	var leavers []leaver
	if *leaversFile != "" {
		b, err := os.ReadFile(*leaversFile)
		if err != nil {
			return fmt.Errorf("read the leavers file: %w", err)
		}
		if leavers, err = parseLeavers(b); err != nil {
			return fmt.Errorf("%s: %w", *leaversFile, err)
		}
	}
	in := env.Stdin
	name := "standard input"
	if *events != "-" {
		f, err := os.Open(*events)
		if err != nil {
			return fmt.Errorf("open the events file: %w", err)
		}
		defer f.Close()
		in, name = f, *events
	}
	evs, ignored, err := readEvents(in, name)
	if err != nil {
		return err
	}
	d := detect.New(detect.DefaultConfig(), shops)
	for _, l := range leavers {
		d.SetLeaving(l.UserID, l.Leaving)
	}
	out := bufio.NewWriterSize(env.Stdout, 64<<10)
	enc := json.NewEncoder(out)
	var alerts []detect.Alert
	raised := 0
	for i := range evs {
		if i%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for _, a := range d.Observe(evs[i]) {
			raised++
			if *asJSON {
				if err := enc.Encode(a); err != nil {
					return err
				}
			} else {
				alerts = append(alerts, a)
			}
		}
	}
	if !*asJSON {
		err := emit(out, false, alerts, []string{"RAISED", "USER", "KIND", "SCORE", "FIRST EVIDENCE", "REASONS"}, func(a detect.Alert) []any {
			user := a.Username
			if user == "" {
				user = a.UserID
			}
			return []any{a.RaisedAt.Format("2006-01-02 15:04"), user, a.Kind, a.Score, a.FirstAt.Format("2006-01-02 15:04"), strings.Join(a.Reasons, "; ")}
		})
		if err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "%d events replayed (%d with actions the detector does not use), %d alert(s)\n", len(evs), ignored, raised)
	return nil
}

// maxLine bounds one event line.
const maxLine = 1 << 20

// readEvents decodes every line (blank lines skipped) and returns the events in time order
// (lines with the same time in file order) and how many have actions the detector ignores.
func readEvents(r io.Reader, name string) ([]detect.Event, int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var dec detect.Decoder
	var evs []detect.Event
	ignored := 0
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, 0, fmt.Errorf("%s line %d: longer than %d bytes; is this a JSON-lines file?", name, n, maxLine)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("read %s: %w", name, err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			ev, derr := dec.Decode(t)
			if derr != nil {
				return nil, 0, fmt.Errorf("%s line %d: %v (nothing was replayed)", name, n, derr)
			}
			if !detect.Known(ev.Action) {
				ignored++
			}
			evs = append(evs, ev)
		}
		if err != nil {
			break
		}
	}
	// Sort an index by time, not the events themselves (a million of them, 200 bytes each).
	idx := make([]int32, len(evs))
	keys := make([]int64, len(evs))
	for i := range evs {
		idx[i], keys[i] = int32(i), evs[i].At.UnixNano()
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		switch ka, kb := keys[a], keys[b]; {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	sorted := make([]detect.Event, len(evs))
	for i, j := range idx {
		sorted[i] = evs[j]
	}
	return sorted, ignored, nil
}

type leaver struct {
	UserID  string
	Leaving time.Time
}

// parseLeavers reads [{"user_id": "...", "leaving": "YYYY-MM-DD"}].
func parseLeavers(b []byte) ([]leaver, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in []struct {
		UserID  string `json:"user_id"`
		Leaving string `json:"leaving"`
	}
	if err := dec.Decode(&in); err != nil {
		return nil, errors.New(`expected a JSON array of {"user_id": "...", "leaving": "YYYY-MM-DD"}`)
	}
	var out []leaver
	for i, l := range in {
		if l.UserID == "" {
			return nil, fmt.Errorf("entry %d: user_id is missing", i+1)
		}
		t, err := time.Parse("2006-01-02", l.Leaving)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%s): leaving is not a YYYY-MM-DD day", i+1, l.UserID)
		}
		out = append(out, leaver{UserID: l.UserID, Leaving: t})
	}
	return out, nil
}
