package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// LeaverFile is one line of leavers.json, the shape `spoke detect --leavers` reads.
type LeaverFile struct {
	UserID  string `json:"user_id"`
	Leaving string `json:"leaving"` // YYYY-MM-DD
}

// WriteTrace writes the trace into dir: events.jsonl (one audit entry per line, as `spoke
// audit --json` prints them), shops.json, labels.json and leavers.json.
func WriteTrace(dir string, tr *Trace) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	for _, ev := range tr.Events {
		if err := enc.Encode(ev); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var leavers []LeaverFile
	for _, l := range tr.Labels.Leavers {
		leavers = append(leavers, LeaverFile{UserID: l.UserID, Leaving: l.Leaving.Format("2006-01-02")})
	}
	for name, v := range map[string]any{"shops.json": tr.Shops, "labels.json": tr.Labels, "leavers.json": leavers} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
