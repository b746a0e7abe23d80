package hub

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"spoke/protocol"
)

var rejectReasons = []string{
	protocol.RejectBadSignature, protocol.RejectUnknownDevice, protocol.RejectRevoked, protocol.RejectDeviceMismatch, protocol.RejectReplay,
	protocol.RejectScope, protocol.RejectMalformed, protocol.RejectTooLarge, protocol.RejectNoCertificate, protocol.RejectBadToken, protocol.RejectTLS,
	protocol.RejectRateLimited, protocol.RejectQuota,
}

// metrics are the hub's counters, written in the Prometheus text format by
// hand: four metric families do not justify a client library. Labels are
// route patterns, status codes and reasons only — never a device id, which
// would be unbounded and, joined with other data, identifying.
type metrics struct {
	mu         sync.Mutex
	requests   map[reqKey]uint64
	stored     uint64
	duplicates uint64
	unsubNew   uint64
	unsubAgain uint64
	rejects    map[string]uint64
}

type reqKey struct {
	path string
	code int
}

func newMetrics() *metrics {
	m := &metrics{requests: map[reqKey]uint64{}, rejects: map[string]uint64{}}
	for _, r := range rejectReasons {
		m.rejects[r] = 0 // present from the start, so rate() works from the first reject
	}
	return m
}

func (m *metrics) request(path string, code int) {
	m.mu.Lock()
	m.requests[reqKey{path, code}]++
	m.mu.Unlock()
}

func (m *metrics) reject(reason string) {
	m.mu.Lock()
	m.rejects[reason]++
	m.mu.Unlock()
}

func (m *metrics) storedOne(duplicate bool) {
	m.mu.Lock()
	if duplicate {
		m.duplicates++
	} else {
		m.stored++
	}
	m.mu.Unlock()
}

func (m *metrics) unsubscribed(recorded bool) {
	m.mu.Lock()
	if recorded {
		m.unsubNew++
	} else {
		m.unsubAgain++
	}
	m.mu.Unlock()
}

// Rejects returns the count for one reason (for tests and status pages).
func (m *metrics) Rejects(reason string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rejects[reason]
}

// write emits every family in the text exposition format (version 0.0.4).
func (m *metrics) write(w io.Writer, devices map[protocol.Status]int) error {
	m.mu.Lock()
	reqs := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		reqs = append(reqs, k)
	}
	slices.SortFunc(reqs, func(a, b reqKey) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return a.code - b.code
	})
	var b strings.Builder
	b.WriteString("# HELP spoke_hub_requests_total HTTP requests by route pattern and status code.\n")
	b.WriteString("# TYPE spoke_hub_requests_total counter\n")
	for _, k := range reqs {
		fmt.Fprintf(&b, "spoke_hub_requests_total{path=%s,code=\"%d\"} %d\n", quote(k.path), k.code, m.requests[k])
	}
	b.WriteString("# HELP spoke_hub_changesets_stored_total Change-sets stored (new, not duplicates).\n")
	b.WriteString("# TYPE spoke_hub_changesets_stored_total counter\n")
	fmt.Fprintf(&b, "spoke_hub_changesets_stored_total %d\n", m.stored)
	b.WriteString("# HELP spoke_hub_changesets_duplicate_total Change-sets pushed again with the same bytes (idempotent successes).\n")
	b.WriteString("# TYPE spoke_hub_changesets_duplicate_total counter\n")
	fmt.Fprintf(&b, "spoke_hub_changesets_duplicate_total %d\n", m.duplicates)
	b.WriteString("# HELP spoke_hub_unsubscribes_total One-click unsubscribes accepted, by whether the link's first (new) or a repeat.\n")
	b.WriteString("# TYPE spoke_hub_unsubscribes_total counter\n")
	fmt.Fprintf(&b, "spoke_hub_unsubscribes_total{kind=\"new\"} %d\n", m.unsubNew)
	fmt.Fprintf(&b, "spoke_hub_unsubscribes_total{kind=\"repeat\"} %d\n", m.unsubAgain)
	b.WriteString("# HELP spoke_hub_rejects_total Refused requests and connections by reason.\n")
	b.WriteString("# TYPE spoke_hub_rejects_total counter\n")
	reasons := make([]string, 0, len(m.rejects))
	for r := range m.rejects {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&b, "spoke_hub_rejects_total{reason=%s} %d\n", quote(r), m.rejects[r])
	}
	m.mu.Unlock()
	b.WriteString("# HELP spoke_hub_devices Enrolled devices by status.\n")
	b.WriteString("# TYPE spoke_hub_devices gauge\n")
	for _, s := range []protocol.Status{protocol.StatusActive, protocol.StatusRevoked} {
		fmt.Fprintf(&b, "spoke_hub_devices{status=%s} %d\n", quote(string(s)), devices[s])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quote escapes a label value as the exposition format wants.
func quote(s string) string { return strconv.Quote(s) }
