package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The breach register (issue 11 part 8). Revoking a device as lost or stolen opens an incident
// with the GDPR Art. 33 clock: the supervisory authority is told within 72 hours of becoming
// aware of a breach, unless it is unlikely to result in a risk to people's rights and freedoms,
// and the controller documents every breach and its decision either way (Art. 33(5)). The
// record holds counts of customers per shop whose data the device held, never a name, and what
// protected that data; the owner records the decision and its reason as codes.
//
// Incidents are org data (the org scope, written on owner devices, like staff and shops), and
// every operation on them needs the devices grant (OpDevices, the owner's): an incident is born
// of a device operation (a revocation only an owner device performs), its facts are the
// device's scopes and the keys rotated for it, and the decision to notify is the controller's.
// The staff grant (OpUsers) is about accounts and roles, not devices and keys.

// NotifyWithin is the GDPR Art. 33(1) deadline, from discovery.
const NotifyWithin = 72 * time.Hour

// The incident kinds, decisions, decision reasons and protection codes: every value an
// incident row holds is one of these, an id, a count or a time.
const (
	IncidentDeviceLost   = "device_lost"
	IncidentDeviceStolen = "device_stolen"
	IncidentOther        = "other"

	DecisionUndecided          = "undecided"
	DecisionNotifyAuthority    = "notify_authority"
	DecisionNotifyAuthorityAll = "notify_authority_and_people"
	DecisionNoNotification     = "no_notification"

	ReasonUnlikelyRiskEncrypted = "unlikely_risk_encrypted"
	ReasonRiskToRights          = "risk_to_rights"
	ReasonOther                 = "other"

	ProtectSealed    = "sealed_per_customer_keys"          // personal data sealed under per-customer keys
	ProtectMasterKey = "master_key_keychain_or_passphrase" // the device's master key in a keychain or under a passphrase
	ProtectHub       = "hub_access_revoked"                // the hub refuses the device
	protectRotated   = "scope_keys_rotated_to_v"           // + the version: every key it read was replaced
)

// IncidentKinds, IncidentDecisions and IncidentReasons list the codes, for forms and flags.
var (
	IncidentKinds     = []string{IncidentDeviceLost, IncidentDeviceStolen, IncidentOther}
	IncidentDecisions = []string{DecisionNotifyAuthority, DecisionNotifyAuthorityAll, DecisionNoNotification}
	IncidentReasons   = []string{ReasonUnlikelyRiskEncrypted, ReasonRiskToRights, ReasonOther}
)

var protectionCode = regexp.MustCompile(`^(sealed_per_customer_keys|master_key_keychain_or_passphrase|hub_access_revoked|scope_keys_rotated_to_v[1-9][0-9]{0,8})$`)

// IncidentInput is what opens an incident. For a device revocation the sync engine's facts
// come in: the device, the shops it could read (AllShops for an owner device), whether the hub
// refused it, and the scope-key version the revocation rotated to.
type IncidentInput struct {
	Kind     string
	DeviceID string
	// Shops whose customers the device could read; AllShops: an owner device (every shop).
	Shops    []string
	AllShops bool
	// HubRevoked: the hub refuses the device. RotatedTo: the version every scope key it read
	// was rotated to (0: none rotated).
	HubRevoked bool
	RotatedTo  uint32
	// DiscoveredAt is when the loss was discovered (the clock runs from it); zero: now.
	DiscoveredAt time.Time
}

// Incident is one entry of the breach register.
type Incident struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	DeviceID     string         `json:"device_id,omitempty"`
	OpenedBy     string         `json:"opened_by"`
	OpenedAt     time.Time      `json:"opened_at"`
	DiscoveredAt time.Time      `json:"discovered_at"`
	NotifyDueAt  time.Time      `json:"notify_due_at"`
	Customers    map[string]int `json:"customers"` // shop id -> customers whose data the device held
	Protection   []string       `json:"protection"`
	Decision     string         `json:"decision"`
	Reason       string         `json:"decision_reason,omitempty"`
	DecidedBy    string         `json:"decided_by,omitempty"`
	DecidedAt    time.Time      `json:"decided_at,omitzero"`
	ClosedAt     time.Time      `json:"closed_at,omitzero"`
}

// Total is the number of customers whose data the device held, over every shop.
func (i Incident) Total() int {
	n := 0
	for _, c := range i.Customers {
		n += c
	}
	return n
}

// Open reports whether no decision is recorded yet.
func (i Incident) Open() bool { return i.Decision == DecisionUndecided }

// TimeLeft is what remains of the 72 hours at now (negative: overdue); 0 once decided.
func (i Incident) TimeLeft(now time.Time) time.Duration {
	if !i.Open() {
		return 0
	}
	return i.NotifyDueAt.Sub(now)
}

// Overdue reports whether the 72 hours passed with no decision.
func (i Incident) Overdue(now time.Time) bool { return i.Open() && !now.Before(i.NotifyDueAt) }

// DecidedLate reports whether the decision came after the 72 hours.
func (i Incident) DecidedLate() bool { return !i.Open() && i.DecidedAt.After(i.NotifyDueAt) }

// ErrIncidentDecided means the incident's decision is recorded: it is not written over.
var ErrIncidentDecided = errors.New("this incident's decision is recorded already; it is not changed (open a new incident for new facts)")

// OpenIncident records an incident (owner: the devices grant) and returns its id. For a lost or
// stolen device it counts, per shop, the customers this database holds of the shops the device
// could read (soft-deleted ones included: their data was on it too).
func (ss *Session) OpenIncident(ctx context.Context, in IncidentInput) (string, error) {
	var id string
	err := ss.write(ctx, "incident.open", func(w *wtx) error {
		if _, err := w.allow(ss, OpDevices, target{any: true}); err != nil {
			return err
		}
		now := time.UnixMilli(w.now)
		var ve ValidationError
		if !slices.Contains(IncidentKinds, in.Kind) {
			ve.add("kind", "must be one of "+strings.Join(IncidentKinds, ", "))
		}
		if in.Kind != IncidentOther && in.DeviceID == "" {
			ve.add("device", "a lost or stolen device must be named")
		}
		if len(in.DeviceID) > 64 || strings.ContainsAny(in.DeviceID, ",\n\r\t ") {
			ve.add("device", "is not a device id")
		}
		disc := in.DiscoveredAt
		if disc.IsZero() {
			disc = now
		}
		if disc.After(now.Add(time.Minute)) {
			ve.add("discovered", "is in the future")
		}
		if disc.Before(now.AddDate(-1, 0, 0)) {
			ve.add("discovered", "is more than a year ago")
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		counts, err := customersPerShop(ctx, w.tx, in.Shops, in.AllShops)
		if err != nil {
			return err
		}
		cj, _ := json.Marshal(counts) // map[string]int: keys sorted
		prot := []string{ProtectSealed, ProtectMasterKey}
		if in.HubRevoked {
			prot = append(prot, ProtectHub)
		}
		if in.RotatedTo > 0 {
			prot = append(prot, fmt.Sprintf("%s%d", protectRotated, in.RotatedTo))
		}
		due := disc.Add(NotifyWithin)
		id = newID()
		w.audit.Target = id
		total := 0
		for _, n := range counts {
			total += n
		}
		w.audit.Detail = fmt.Sprintf("kind=%s device=%s shops=%d customers=%d discovered=%d due=%d", in.Kind, in.DeviceID, len(counts), total, disc.UnixMilli(), due.UnixMilli())
		return w.insert("incidents", OrgScope, id, []col{
			plain("kind", in.Kind), plain("device_id", in.DeviceID), plain("opened_by", ss.user.ID), plain("opened_at", w.now),
			plain("discovered_at", disc.UnixMilli()), plain("notify_due_at", due.UnixMilli()), plain("customer_counts", string(cj)),
			plain("protection", strings.Join(prot, ",")), plain("decision", DecisionUndecided),
		})
	})
	return id, err
}

// customersPerShop counts the customers held of each shop named (every shop with all).
func customersPerShop(ctx context.Context, q querier, shops []string, all bool) (map[string]int, error) {
	counts := map[string]int{}
	if all {
		var err error
		if shops, err = queryStrings(ctx, q, "SELECT id FROM shops ORDER BY id"); err != nil {
			return nil, err
		}
	}
	for _, shop := range shops {
		var n int
		var known bool
		if err := q.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM shops WHERE id = ?), (SELECT COUNT(*) FROM customers WHERE shop_id = ?)", shop, shop).Scan(&known, &n); err != nil {
			return nil, err
		}
		if !known {
			return nil, &FieldError{Field: "shop", Reason: "no shop " + shop + " here"}
		}
		counts[shop] = n
	}
	return counts, nil
}

// DecideIncident records the owner's decision on an open incident and closes it: notify the
// supervisory authority (and the people concerned, Art. 34) or not, with the reason's code. A
// decision not to notify rests on the risk being unlikely (the data was sealed) or another
// documented reason; one to notify on a risk to people's rights, or another reason.
func (ss *Session) DecideIncident(ctx context.Context, id, decision, reason string) error {
	return ss.write(ctx, "incident.decide", func(w *wtx) error {
		w.audit.Target = id
		if _, err := w.allow(ss, OpDevices, target{any: true}); err != nil {
			return err
		}
		var ve ValidationError
		if !slices.Contains(IncidentDecisions, decision) {
			ve.add("decision", "must be one of "+strings.Join(IncidentDecisions, ", "))
		}
		if !slices.Contains(IncidentReasons, reason) {
			ve.add("reason", "must be one of "+strings.Join(IncidentReasons, ", "))
		} else if decision == DecisionNoNotification && reason == ReasonRiskToRights {
			ve.add("reason", "a risk to people's rights calls for notification; choose notify_authority or notify_authority_and_people")
		} else if decision != DecisionNoNotification && reason == ReasonUnlikelyRiskEncrypted {
			ve.add("reason", "unlikely_risk_encrypted is a reason not to notify")
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		inc, err := ss.s.loadIncident(ctx, w.tx, id)
		if err != nil {
			return err
		}
		if !inc.Open() {
			return ErrIncidentDecided
		}
		w.audit.Detail = fmt.Sprintf("decision=%s reason=%s late=%t", decision, reason, time.UnixMilli(w.now).After(inc.NotifyDueAt))
		return w.update("incidents", OrgScope, id, []col{
			plain("decision", decision), plain("decision_reason", reason), plain("decided_by", ss.user.ID),
			plain("decided_at", w.now), plain("closed_at", w.now),
		})
	})
}

// Incidents lists the breach register, newest first (owner).
func (ss *Session) Incidents(ctx context.Context) ([]Incident, error) {
	if _, err := ss.require(ctx, OpDevices, target{any: true}, "incident.list", ""); err != nil {
		return nil, err
	}
	ids, err := queryStrings(ctx, ss.s.db, "SELECT id FROM incidents ORDER BY opened_at DESC, id DESC")
	if err != nil {
		return nil, err
	}
	out := make([]Incident, 0, len(ids))
	for _, id := range ids {
		inc, err := ss.s.loadIncident(ctx, ss.s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *inc)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "incident.list", Detail: fmt.Sprintf("incidents=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

const incidentCols = "id, kind, device_id, opened_by, opened_at, discovered_at, notify_due_at, customer_counts, protection, decision, decision_reason, decided_by, decided_at, closed_at"

// loadIncident reads one incident, authenticated first (fail closed on a row edited in the
// file), and checks that what it holds are codes and counts.
func (s *Store) loadIncident(ctx context.Context, q querier, id string) (*Incident, error) {
	var i Incident
	var opened, disc, due, decided, closed int64
	var counts, prot string
	err := q.QueryRowContext(ctx, "SELECT "+incidentCols+" FROM incidents WHERE id = ?", id).Scan(&i.ID, &i.Kind, &i.DeviceID, &i.OpenedBy,
		&opened, &disc, &due, &counts, &prot, &i.Decision, &i.Reason, &i.DecidedBy, &decided, &closed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["incidents"], id); err != nil {
		return nil, err
	}
	i.OpenedAt, i.DiscoveredAt, i.NotifyDueAt = time.UnixMilli(opened), time.UnixMilli(disc), time.UnixMilli(due)
	if decided > 0 {
		i.DecidedAt = time.UnixMilli(decided)
	}
	if closed > 0 {
		i.ClosedAt = time.UnixMilli(closed)
	}
	if col := i.parseCodes(counts, prot); col != "" {
		return nil, &TamperError{Table: "incidents", Row: id, Column: col, Reason: "not a value Spoke writes (a code, an id or a count)"}
	}
	return &i, nil
}

// parseCodes reads an incident's counts ({shop id: count}) and protection codes and checks
// every code it holds, returning the first column that is not what Spoke writes ("" when all
// are). A row comes from this device's file or another owner device's set: both are
// authenticated, so this is the last line against a value that is not a code reaching a screen.
func (i *Incident) parseCodes(counts, prot string) string {
	i.Customers, i.Protection = nil, nil
	if err := json.Unmarshal([]byte(counts), &i.Customers); err != nil || i.Customers == nil {
		i.Customers = nil
		return "customer_counts"
	}
	for shop, n := range i.Customers {
		if n < 0 || shop == "" || len(shop) > 64 {
			return "customer_counts"
		}
	}
	for _, c := range strings.Split(prot, ",") {
		if c == "" {
			continue
		}
		if !protectionCode.MatchString(c) {
			return "protection"
		}
		i.Protection = append(i.Protection, c)
	}
	switch {
	case !slices.Contains(IncidentKinds, i.Kind):
		return "kind"
	case i.Decision != DecisionUndecided && !slices.Contains(IncidentDecisions, i.Decision):
		return "decision"
	case i.Reason != "" && !slices.Contains(IncidentReasons, i.Reason):
		return "decision_reason"
	}
	return ""
}
