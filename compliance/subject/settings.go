package subject

import (
	"context"
	"time"

	"spoke/compliance/processing"
	"spoke/store"
)

// Settings are the shop's settings a record of processing, a notice or an export states beyond
// the shops themselves: where the hub is declared to run (the PIPL transfer declaration) and
// the retention policy's numbers. What the user may not read, or what is not set, stays "as
// configured" in the document.
func Settings(ctx context.Context, ss *store.Session, now time.Time) processing.Options {
	o := processing.Options{Now: now}
	if ts, err := ss.TransferSetting(ctx); err == nil && ts.HubCountry != "" {
		o.HubLocation = ts.HubCountry
	}
	if p, err := ss.RetentionPolicy(ctx); err == nil && p != nil {
		o.InactiveYears, o.AuditYears, o.ReasonMonths = p.InactiveYears, p.AuditYears, p.ReasonMonths
	}
	return o
}
