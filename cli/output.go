package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// emit prints a list the way every listing command does: with asJSON one JSON object per
// record, one per line (the records as they are, so the JSON keeps their field names); else an
// aligned table with columns as its header and one line per record, whose cells row gives
// (each printed as fmt.Sprint prints it). Commands without --json pass false.
func emit[T any](w io.Writer, asJSON bool, recs []T, columns []string, row func(T) []any) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(columns, "\t"))
	cells := make([]string, len(columns))
	for _, r := range recs {
		for i, c := range row(r) {
			cells[i] = fmt.Sprint(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
