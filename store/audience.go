package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"spoke/crypto/keys"
)

// Audiences for campaigns (issue 14): marketing builds them from business attributes only
// (shop, bike type, make, purchase window, last service, spend band, consent) and sees only
// counts, each under MinCell suppressed. Everything is computed in SQL over business columns
// (customers.shop_id, bikes.type and make, sales.sold_at and total, work_orders.status and
// closed_at, consents); no sealed value is read.
//
// Differencing and tracker attacks (two audiences apart by one person; Denning's individual
// tracker C1 minus C1 AND NOT C2; a general tracker padded with a large set) are met by a
// guard over the user's own recent audiences (AudienceWindow), for users without access to
// customers' personal data (marketing; an owner or manager sees the customers anyway):
//   - an audience fewer than MinCell customers apart (symmetric difference 0..4) from one
//     answered before is not computed afresh: it is answered with that earlier audience's
//     counts, marked Approximate. So two audiences apart by one person show the same
//     numbers whether the person is in them or not, and subtracting them gives 0 either
//     way; an unchanged audience (a filter that selects nobody new) shows what it showed;
//   - an audience 1..4 apart from the union, the intersection or a difference of two earlier
//     answered audiences (of the newest 50), counts marketing could add or subtract, is
//     refused (ErrAudienceTooClose).
// Only audiences answered afresh are kept, so the kept ones are at least MinCell apart. An
// audience whose total is under MinCell says nothing beyond "under 5" and is neither checked
// nor kept.
// Not covered: combinations of three or more earlier audiences; the refusal of an audience
// 1..4 apart from a combination (while one 0 apart is answered) can itself say that a small
// group is empty; counts of sends (RecordCampaignSend) do not pass the guard; and the guard
// is per device (audience_history is not synced), so a marketer with two devices has two.

// AudienceWindow is how long an answered audience constrains the next ones.
const AudienceWindow = 90 * 24 * time.Hour

// maxAudienceHistory bounds the audiences compared per user (the newest).
const maxAudienceHistory = 500

// ErrAudienceTooClose refuses an audience the differencing guard would not answer.
var ErrAudienceTooClose = errors.New("this audience is fewer than 5 customers apart from a combination of audiences you built in the last 90 days: widen it, or use an earlier one")

// AudienceSpec selects a campaign's audience from business attributes only. Every field
// narrows: a customer matches when all the given ones hold.
type AudienceSpec struct {
	// Shops are shop ids; none: every shop the grant covers (a manager: their own).
	Shops []string `json:"shops,omitempty"`
	// BikeTypes and Makes: the customer has a bike (not deleted) of one of the types and one
	// of the makes (the same bike when both are given). Makes compare case-insensitively.
	BikeTypes []string `json:"bike_types,omitempty"`
	Makes     []string `json:"makes,omitempty"`
	// BoughtFrom, BoughtTo (YYYY-MM-DD, UTC, both inclusive): a sale to the customer on a day
	// in the window (sales.sold_at).
	BoughtFrom string `json:"bought_from,omitempty"`
	BoughtTo   string `json:"bought_to,omitempty"`
	// ServicedBefore / ServicedAfter (YYYY-MM-DD, UTC): the customer's newest collected work
	// order closed before that day / on or after it. A customer never serviced matches neither.
	ServicedBefore string `json:"serviced_before,omitempty"`
	ServicedAfter  string `json:"serviced_after,omitempty"`
	// Spend band: the sum of the customer's sales totals at their own shop, in minor units of
	// SpendCurrency (both bounds inclusive; SpendMax 0: no upper bound). A band is in one
	// currency: it selects only among shops keeping that currency (amounts are never
	// converted), and naming a shop of another currency with a band is refused.
	SpendMin      int64  `json:"spend_min,omitempty"`
	SpendMax      int64  `json:"spend_max,omitempty"`
	SpendCurrency string `json:"spend_currency,omitempty"`
	// Purpose and Channel: only customers whose current consent for them is a grant (as
	// AuthorizeSend decides it) are members.
	Purpose Purpose `json:"purpose"`
	Channel Channel `json:"channel"`
}

// CampaignPurposes are the purposes a campaign may send for.
var CampaignPurposes = []Purpose{PurposeEmailMarketing, PurposeSMSMarketing, PurposeServiceReminders}

func (sp *AudienceSpec) banded() bool { return sp.SpendMin > 0 || sp.SpendMax > 0 }

// normalise trims, sorts and checks a spec in place, listing every bad field.
func (sp *AudienceSpec) normalise() error {
	var ve ValidationError
	clean := func(vs []string, lower bool) []string {
		var out []string
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if lower {
				v = strings.ToLower(v)
			}
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return out
	}
	sp.Shops, sp.BikeTypes, sp.Makes = clean(sp.Shops, false), clean(sp.BikeTypes, true), clean(sp.Makes, true)
	for _, t := range sp.BikeTypes {
		if !slices.Contains(BikeTypes, t) {
			ve.add("bike_types", "must be among "+strings.Join(BikeTypes, ", "))
			break
		}
	}
	if len(sp.Makes) > 100 || len(sp.Shops) > 500 || len(sp.BikeTypes) > len(BikeTypes) {
		ve.add("makes", "at most 100 makes and 500 shops")
	}
	for _, m := range sp.Makes {
		if len(m) > 80 {
			ve.add("makes", "a make is at most 80 characters")
			break
		}
	}
	for _, d := range []struct {
		name string
		v    *string
	}{{"bought_from", &sp.BoughtFrom}, {"bought_to", &sp.BoughtTo}, {"serviced_before", &sp.ServicedBefore}, {"serviced_after", &sp.ServicedAfter}} {
		*d.v = strings.TrimSpace(*d.v)
		if *d.v == "" {
			continue
		}
		if t, err := time.Parse(time.DateOnly, *d.v); err != nil || t.Year() < 1990 || t.Year() > 2200 {
			ve.add(d.name, "must be a date YYYY-MM-DD")
		}
	}
	if sp.BoughtFrom != "" && sp.BoughtTo != "" && sp.BoughtTo < sp.BoughtFrom {
		ve.add("bought_to", "is before bought_from")
	}
	sp.SpendCurrency = strings.ToUpper(strings.TrimSpace(sp.SpendCurrency))
	switch {
	case sp.SpendMin < 0 || sp.SpendMax < 0:
		ve.add("spend_min", "spend bounds are amounts of zero or more (minor units)")
	case sp.SpendMax > 0 && sp.SpendMax < sp.SpendMin:
		ve.add("spend_max", "is below spend_min")
	case sp.banded() && len(sp.SpendCurrency) != 3:
		ve.add("spend_currency", "a spend band names its currency (ISO code, e.g. EUR): amounts are never converted")
	case !sp.banded():
		sp.SpendCurrency = ""
	}
	if !slices.Contains(CampaignPurposes, sp.Purpose) {
		ve.add("purpose", "must be one of "+joinEnum(CampaignPurposes))
	} else {
		if sp.Channel == "" {
			sp.Channel = ChannelsFor(sp.Purpose)[0]
			if sp.Channel == ChannelAny {
				sp.Channel = ChannelEmail
			}
		}
		if sp.Channel == ChannelAny || !slices.Contains(ChannelsFor(sp.Purpose), sp.Channel) {
			ve.add("channel", fmt.Sprintf("a campaign for %s sends by one of %s (not any)", sp.Purpose, joinEnum(ChannelsFor(sp.Purpose))))
		}
	}
	return ve.orNil()
}

// ParseAudienceSpec reads a spec from its JSON (a campaign row's spec) and checks it.
func ParseAudienceSpec(b []byte) (AudienceSpec, error) {
	var sp AudienceSpec
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return sp, &FieldError{"spec", "is not an audience spec"}
	}
	if dec.More() {
		return sp, &FieldError{"spec", "is not an audience spec"}
	}
	return sp, sp.normalise()
}

// canonical is the normalised spec's JSON (what a campaign row keeps, and what the guard hashes).
func (sp *AudienceSpec) canonical() []byte {
	b, _ := json.Marshal(sp)
	return b
}

func dayStart(d string) int64 {
	t, _ := time.Parse(time.DateOnly, d)
	return t.UnixMilli()
}

// memberQuery is the SQL selecting the members of shops (ids) with the deciding consent event:
// rows of (customer id, shop id, consent event id). Business columns only.
func (sp *AudienceSpec) memberQuery(shops []string) (string, []any) {
	var where []string
	var args []any
	in := func(vs []string) string {
		for _, v := range vs {
			args = append(args, v)
		}
		return "(" + placeholders(len(vs)) + ")"
	}
	where = append(where, "c.deleted_at = 0", "c.shop_id IN "+in(shops))
	if len(sp.BikeTypes) > 0 || len(sp.Makes) > 0 {
		q := "EXISTS (SELECT 1 FROM bikes b WHERE b.customer_id = c.id AND b.deleted_at = 0"
		if len(sp.BikeTypes) > 0 {
			q += " AND b.type IN " + in(sp.BikeTypes)
		}
		if len(sp.Makes) > 0 {
			q += " AND lower(trim(b.make)) IN " + in(sp.Makes)
		}
		where = append(where, q+")")
	}
	if sp.BoughtFrom != "" || sp.BoughtTo != "" {
		q := "EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.id"
		if sp.BoughtFrom != "" {
			q += " AND s.sold_at >= ?"
			args = append(args, dayStart(sp.BoughtFrom))
		}
		if sp.BoughtTo != "" {
			q += " AND s.sold_at < ?"
			args = append(args, dayStart(sp.BoughtTo)+24*3600*1000)
		}
		where = append(where, q+")")
	}
	last := "(SELECT MAX(w.closed_at) FROM work_orders w WHERE w.customer_id = c.id AND w.status = 'collected' AND w.closed_at > 0)"
	if sp.ServicedBefore != "" {
		where = append(where, last+" < ?")
		args = append(args, dayStart(sp.ServicedBefore))
	}
	if sp.ServicedAfter != "" {
		where = append(where, last+" >= ?")
		args = append(args, dayStart(sp.ServicedAfter))
	}
	if sp.banded() {
		spend := "(SELECT COALESCE(SUM(s.total), 0) FROM sales s WHERE s.customer_id = c.id AND s.shop_id = c.shop_id)"
		where = append(where, spend+" >= ?")
		args = append(args, sp.SpendMin)
		if sp.SpendMax > 0 {
			where = append(where, spend+" <= ?")
			args = append(args, sp.SpendMax)
		}
	}
	// The deciding consent event: the newest of the channel's own and the purpose's "any".
	q := `SELECT c.id, c.shop_id, k.id FROM customers c
		JOIN consents k ON k.id = (SELECT x.id FROM consents x WHERE x.customer_id = c.id AND x.purpose = ? AND x.channel IN (?, 'any')
			ORDER BY x.at DESC, x.id DESC LIMIT 1) AND k.granted = 1
		WHERE ` + strings.Join(where, " AND ") + " ORDER BY c.id"
	return q, append([]any{string(sp.Purpose), string(sp.Channel)}, args...)
}

// AudienceShop is one shop's count of an audience. Count is -1 when suppressed.
type AudienceShop struct {
	ShopID     string `json:"shop_id"`
	Shop       string `json:"shop"`
	Currency   string `json:"currency"`
	Count      int64  `json:"count"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// AudienceCounts is what an audience shows: counts per shop and a total, each under MinCell
// suppressed (Count -1), and when the suppressed shops' counts together are under MinCell
// while the total is shown, the next smallest shops too, so no count is a difference away.
type AudienceCounts struct {
	Spec            AudienceSpec   `json:"spec"`
	Shops           []AudienceShop `json:"shops"`
	Total           int64          `json:"total"`
	TotalSuppressed bool           `json:"total_suppressed,omitempty"`
	// Approximate: the audience is fewer than MinCell customers apart from one the user built
	// before (at Since), whose counts these are (the differencing guard).
	Approximate bool      `json:"approximate,omitempty"`
	Since       time.Time `json:"since,omitzero"`
}

// audience is a resolved audience: its members (ids, shops) and the counts shown.
type audience struct {
	spec    AudienceSpec
	members []string          // customer ids, sorted
	shopOf  map[string]string // customer id -> shop id
	events  map[string]string // customer id -> deciding consent event
	counts  *AudienceCounts
	shops   []Shop // the shops the spec resolved to
	grant   Grant
}

// shopsFor resolves a spec's shops against the user's campaigns grant.
func (ss *Session) shopsFor(ctx context.Context, sp *AudienceSpec) ([]Shop, Grant, error) {
	all, err := ss.Shops(ctx)
	if err != nil {
		return nil, Deny, err
	}
	var out []Shop
	grant := Deny
	for _, sh := range all {
		if len(sp.Shops) > 0 && !slices.Contains(sp.Shops, sh.ID) {
			continue
		}
		g, ok := ss.permits(OpCampaigns, target{shopID: sh.ID})
		if !ok {
			if len(sp.Shops) > 0 {
				return nil, Deny, ErrForbidden
			}
			continue
		}
		if sp.banded() && !strings.EqualFold(sh.Currency, sp.SpendCurrency) {
			if len(sp.Shops) > 0 {
				return nil, Deny, &FieldError{"spend_currency", fmt.Sprintf("shop %s keeps %s: a spend band in %s cannot select there (amounts are never converted)", sh.ID, sh.Currency, sp.SpendCurrency)}
			}
			continue
		}
		grant = g
		out = append(out, sh)
	}
	for _, id := range sp.Shops {
		if !slices.ContainsFunc(all, func(s Shop) bool { return s.ID == id }) {
			return nil, Deny, &FieldError{"shops", "shop " + id + " does not exist"}
		}
	}
	if len(out) == 0 {
		return nil, Deny, &FieldError{"shops", "no shop you may run campaigns for matches"}
	}
	return out, grant, nil
}

// resolveAudience computes an audience over shops (members and suppressed counts), reading
// business columns only.
func (s *Store) resolveAudience(ctx context.Context, q querier, sp AudienceSpec, shops []Shop) (*audience, error) {
	ids := make([]string, len(shops))
	for i, sh := range shops {
		ids[i] = sh.ID
	}
	query, args := sp.memberQuery(ids)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audience: %w", err)
	}
	a := &audience{spec: sp, shopOf: map[string]string{}, events: map[string]string{}}
	for rows.Next() {
		var id, shop, ev string
		if err := rows.Scan(&id, &shop, &ev); err != nil {
			rows.Close()
			return nil, err
		}
		a.members = append(a.members, id)
		a.shopOf[id], a.events[id] = shop, ev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	per := map[string]int64{}
	for _, shop := range a.shopOf {
		per[shop]++
	}
	a.counts = suppressCounts(sp, shops, per)
	a.shops = shops
	return a, nil
}

// suppressCounts builds the counts shown: every count under MinCell suppressed, and more
// cells suppressed until the suppressed ones sum to MinCell or more (or all are).
func suppressCounts(sp AudienceSpec, shops []Shop, per map[string]int64) *AudienceCounts {
	out := &AudienceCounts{Spec: sp}
	var total int64
	for _, sh := range shops {
		n := per[sh.ID]
		total += n
		out.Shops = append(out.Shops, AudienceShop{ShopID: sh.ID, Shop: sh.Name, Currency: sh.Currency, Count: n})
	}
	hidden := int64(0)
	for i := range out.Shops {
		if out.Shops[i].Count < MinCell {
			hidden += out.Shops[i].Count
			out.Shops[i].Suppressed = true
		}
	}
	// Complementary suppression: the total minus the shown cells must not be a small count.
	for hidden > 0 && hidden < MinCell {
		j := -1
		for i, c := range out.Shops {
			if !c.Suppressed && (j < 0 || c.Count < out.Shops[j].Count) {
				j = i
			}
		}
		if j < 0 {
			break
		}
		out.Shops[j].Suppressed = true
		hidden += out.Shops[j].Count
	}
	for i := range out.Shops {
		if out.Shops[i].Suppressed {
			out.Shops[i].Count = -1
		}
	}
	out.Total = total
	if total < MinCell {
		out.Total, out.TotalSuppressed = -1, true
	}
	return out
}

// guarded reports whether the differencing guard applies to the user: no access to any
// customer's personal data (marketing).
func (ss *Session) guarded() bool {
	_, own := ss.user.permits(OpCustomerPIIOwn, target{any: true})
	_, other := ss.user.permits(OpCustomerPIIOther, target{any: true})
	return !own && !other
}

const purposeAudience = "spoke/audience-history/v1"

// audienceKey is the key of the members' hashes in audience_history, derived from the master key.
func (s *Store) audienceKey() ([]byte, error) {
	s.mu.RLock()
	k, mk := s.derived[purposeAudience], s.mk
	s.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	if mk == nil {
		return nil, errLocked
	}
	k = keys.Derive(mk, purposeAudience)
	s.mu.Lock()
	s.derived[purposeAudience] = k
	s.mu.Unlock()
	return k, nil
}

// memberHashes returns the members' 8-byte keyed hashes, sorted.
func (s *Store) memberHashes(ids []string) ([]uint64, error) {
	k, err := s.audienceKey()
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(ids))
	for i, id := range ids {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(id))
		out[i] = binary.BigEndian.Uint64(m.Sum(nil))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func packHashes(hs []uint64) []byte {
	b := make([]byte, 8*len(hs))
	for i, h := range hs {
		binary.BigEndian.PutUint64(b[8*i:], h)
	}
	return b
}

func unpackHashes(b []byte) []uint64 {
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return out
}

// symDiff counts the members in exactly one of two sorted sets.
func symDiff(a, b []uint64) int {
	i, j, n := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i, j = i+1, j+1
		case a[i] < b[j]:
			i, n = i+1, n+1
		default:
			j, n = j+1, n+1
		}
	}
	return n + len(a) - i + len(b) - j
}

type pastAudience struct {
	spec    [32]byte
	members []uint64
	at      int64
	counts  []byte // the AudienceCounts shown, as JSON
}

// pairCombos bounds the earlier audiences whose pairwise combinations are compared.
const pairCombos = 50

// nearest returns the earlier audience (newest first in past) fewer than MinCell apart from
// q, the closest and of those the oldest, or -1.
func nearest(past []pastAudience, q []uint64) int {
	best, bestD := -1, MinCell
	for i, p := range past {
		if d := symDiff(p.members, q); d < MinCell && (best < 0 || d <= bestD) {
			best, bestD = i, d
		}
	}
	return best
}

// tooClose reports whether q is 1..4 apart from a combination of two earlier audiences.
func tooClose(past []pastAudience, q []uint64) bool {
	n := min(len(past), pairCombos)
	for i := range n {
		for j := i + 1; j < n; j++ {
			for _, comb := range combine(past[i].members, past[j].members) {
				if d := symDiff(comb, q); d > 0 && d < MinCell {
					return true
				}
			}
		}
	}
	return false
}

// combine returns the union, intersection and both differences of two sorted sets.
func combine(a, b []uint64) [4][]uint64 {
	var out [4][]uint64 // a|b, a&b, a-b, b-a
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out[0], out[2] = append(out[0], a[i]), append(out[2], a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out[0], out[3] = append(out[0], b[j]), append(out[3], b[j])
			j++
		default:
			out[0], out[1] = append(out[0], a[i]), append(out[1], a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// checkAudience runs the guard for the session's user: it returns the earlier counts an
// audience is answered with (nil: answer it afresh, and it is kept), or ErrAudienceTooClose.
// Audiences with a total under MinCell say nothing and are neither checked nor kept.
func (ss *Session) checkAudience(ctx context.Context, a *audience) (*AudienceCounts, error) {
	if !ss.guarded() || len(a.members) < MinCell {
		return nil, nil
	}
	hs, err := ss.s.memberHashes(a.members)
	if err != nil {
		return nil, err
	}
	spec := sha256.Sum256(a.spec.canonical())
	now := ss.s.opts.Now()
	since := now.Add(-AudienceWindow).UnixMilli()
	rows, err := ss.s.db.QueryContext(ctx, "SELECT spec_hash, members, at, counts FROM audience_history WHERE user_id = ? AND at >= ? ORDER BY seq DESC LIMIT ?",
		ss.user.ID, since, maxAudienceHistory)
	if err != nil {
		return nil, err
	}
	var past []pastAudience
	for rows.Next() {
		var sh, m []byte
		var p pastAudience
		if err := rows.Scan(&sh, &m, &p.at, &p.counts); err != nil {
			rows.Close()
			return nil, err
		}
		copy(p.spec[:], sh)
		p.members = unpackHashes(m)
		past = append(past, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if i := nearest(past, hs); i >= 0 {
		var c AudienceCounts
		if err := json.Unmarshal(past[i].counts, &c); err != nil {
			return nil, fmt.Errorf("audience history: %w", err)
		}
		c.Spec, c.Approximate, c.Since = a.spec, true, time.UnixMilli(past[i].at)
		return &c, nil
	}
	if tooClose(past, hs) {
		return nil, ErrAudienceTooClose
	}
	shown, err := json.Marshal(a.counts)
	if err != nil {
		return nil, err
	}
	tx, err := ss.s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM audience_history WHERE at < ?", since); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO audience_history(user_id, at, spec_hash, size, members, counts) VALUES(?, ?, ?, ?, ?, ?)",
		ss.user.ID, now.UnixMilli(), spec[:], len(hs), packHashes(hs), string(shown)); err != nil {
		return nil, err
	}
	return nil, tx.Commit()
}

// buildAudience validates a spec, resolves it for the user's grant and runs the guard. A
// refusal is audited under action with the spec's shape, never its values.
func (ss *Session) buildAudience(ctx context.Context, sp AudienceSpec, action string) (*audience, error) {
	if _, err := ss.require(ctx, OpCampaigns, target{any: true}, action, ""); err != nil {
		return nil, err
	}
	if err := sp.normalise(); err != nil {
		return nil, err
	}
	shops, grant, err := ss.shopsFor(ctx, &sp)
	if err != nil {
		if errors.Is(err, ErrForbidden) {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "denied", Detail: "shops outside the grant"})
		}
		return nil, err
	}
	a, err := ss.s.resolveAudience(ctx, ss.s.db, sp, shops)
	if err != nil {
		return nil, err
	}
	a.grant = grant
	snapped, err := ss.checkAudience(ctx, a)
	if err != nil {
		if errors.Is(err, ErrAudienceTooClose) {
			ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Outcome: "refused", Grant: grant, Detail: "differencing guard " + sp.shape()})
		}
		return nil, err
	}
	if snapped != nil {
		a.counts = snapped
	}
	return a, nil
}

// shape describes a spec for the audit trail: which filters it uses and how many values, no value.
func (sp *AudienceSpec) shape() string {
	s := fmt.Sprintf("purpose=%s channel=%s shops=%d types=%d makes=%d", sp.Purpose, sp.Channel, len(sp.Shops), len(sp.BikeTypes), len(sp.Makes))
	if sp.BoughtFrom != "" || sp.BoughtTo != "" {
		s += " bought=window"
	}
	if sp.ServicedBefore != "" || sp.ServicedAfter != "" {
		s += " serviced=window"
	}
	if sp.banded() {
		s += " spend=band"
	}
	return s
}

// countsDetail is an audit detail of counts as shown (suppressed ones as "<5").
func (c *AudienceCounts) detail() string {
	s := fmt.Sprintf("shops=%d total=%d", len(c.Shops), c.Total)
	if c.TotalSuppressed {
		s = fmt.Sprintf("shops=%d total=<%d", len(c.Shops), MinCell)
	}
	if c.Approximate {
		s += " approximate=earlier"
	}
	return s
}

// AudienceCount returns an audience's counts per shop and in total, every count under MinCell
// suppressed. Campaigns' grant: the owner and marketing every shop, a manager their own. For
// marketing the differencing guard may answer it with an earlier audience's counts
// (Approximate) or refuse it (ErrAudienceTooClose). Audited
// ("campaign.audience") with the spec's shape and the counts as shown.
func (ss *Session) AudienceCount(ctx context.Context, sp AudienceSpec) (*AudienceCounts, error) {
	a, err := ss.buildAudience(ctx, sp, "campaign.audience")
	if err != nil {
		return nil, err
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "campaign.audience", Grant: a.grant, Detail: a.spec.shape() + " " + a.counts.detail()}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return a.counts, nil
}
