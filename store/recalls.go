package store

// Brand recalls (issue 14). A recall names a make and, narrowing it, models and model years,
// and/or a list of frame serials. The serial list never rests in clear: it is parsed in the
// session, each serial normalised as bikes' serials are and turned into the blind index of
// every shop the recall reaches (recall_serials, in that shop's scope), so a bike is tested
// against it only through its own serial_bidx. Owner (every shop, chain-wide recalls in the
// org's scope) and manager (their shop) enter recalls, list the affected bikes with their
// owners, and record the notices sent under the legal obligation (not marketing consent).

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"spoke/crypto/blind"
	"spoke/store/contact"
)

// Limits of a recall.
const (
	MaxRecallSerials = 100_000 // serials in one recall's list
	maxRecallModels  = 200
	recallPart       = 2000 // blind-index sums per recall_serials row
	maxSerialLine    = 256  // bytes of one line of a serial list
)

// NoticeChannel is how a recall notice reached (or tried to reach) a customer.
type NoticeChannel string

// The notice channels.
const (
	NoticeEmail    NoticeChannel = "email"
	NoticePhone    NoticeChannel = "phone"
	NoticePost     NoticeChannel = "post"
	NoticeInPerson NoticeChannel = "in-person"
)

// NoticeChannels lists the channels.
var NoticeChannels = []NoticeChannel{NoticeEmail, NoticePhone, NoticePost, NoticeInPerson}

// NoticeOutcome is what came of a notice.
type NoticeOutcome string

// The outcomes. Reached and declined (told, and declined the repair) both count as notified.
const (
	NoticeReached     NoticeOutcome = "reached"
	NoticeUnreachable NoticeOutcome = "unreachable"
	NoticeDeclined    NoticeOutcome = "declined"
)

// NoticeOutcomes lists the outcomes.
var NoticeOutcomes = []NoticeOutcome{NoticeReached, NoticeUnreachable, NoticeDeclined}

// RecallInput is a recall being entered. Serials are the list as ParseSerialList returns it.
type RecallInput struct {
	ShopID    string   // "" : chain-wide (owner) or the manager's own shop
	Make      string   // the brand
	Models    []string // "" none: any model of the make (then years or serials must narrow it)
	YearFrom  int      // 0: no lower bound
	YearTo    int      // 0: no upper bound
	Reference string   // the brand's reference
	Title     string
	IssuedOn  string // YYYY-MM-DD
	Serials   []string
}

// Recall is a recall as stored.
type Recall struct {
	ID        string    `json:"id"`
	Scope     string    `json:"scope"` // a shop id, or "org" (every shop)
	Make      string    `json:"make"`
	Models    []string  `json:"models,omitempty"`
	YearFrom  int       `json:"year_from,omitempty"`
	YearTo    int       `json:"year_to,omitempty"`
	Reference string    `json:"reference"`
	Title     string    `json:"title"`
	IssuedOn  string    `json:"issued_on"`
	Serials   int       `json:"serials"` // how many serials its list had
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// RecallProgress counts a recall's affected bikes and its notices, for the shops the user sees.
type RecallProgress struct {
	Affected    int `json:"affected"`
	Reached     int `json:"reached"`     // the last notice reached the customer
	Declined    int `json:"declined"`    // told, declined the repair
	Unreachable int `json:"unreachable"` // the last attempt failed
	Outstanding int `json:"outstanding"` // affected, not yet reached or declined
}

// RecallMatch is one affected bike with its owner, as the user's PII grant allows.
type RecallMatch struct {
	BikeID     string        `json:"bike_id"`
	CustomerID string        `json:"customer_id"`
	ShopID     string        `json:"shop_id"`
	Make       string        `json:"make"`
	Model      string        `json:"model"`
	Year       int           `json:"year,omitempty"`
	By         string        `json:"by"` // serial, model, serial+model
	Name       string        `json:"name"`
	Email      string        `json:"email,omitempty"`
	Phone      string        `json:"phone,omitempty"`
	Outcome    NoticeOutcome `json:"outcome,omitempty"` // the last notice's, "" none yet
	Channel    NoticeChannel `json:"channel,omitempty"`
	NoticedAt  time.Time     `json:"noticed_at,omitzero"`
}

// RecallRecipient is a customer a recall notice is still owed to: ids only.
type RecallRecipient struct {
	CustomerID string   `json:"customer_id"`
	ShopID     string   `json:"shop_id"`
	BikeIDs    []string `json:"bike_ids"`
}

// RecallNoticeInput records one notice of a recall about one bike.
type RecallNoticeInput struct {
	RecallID string
	BikeID   string
	Channel  NoticeChannel
	Outcome  NoticeOutcome
}

// ParseSerialList reads a list of frame serials, one a line (a brand's file or a paste):
// blank lines and lines starting with '#' are skipped, surrounding spaces and quotes and a
// trailing comma or semicolon are dropped, each serial is normalised as bikes' serials are
// (contact.NormalizeSerial) and the list is returned sorted without duplicates. A line that is
// no serial is refused by its number, never its text.
func ParseSerialList(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSerialLine)
	seen := map[string]bool{}
	var out []string
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if line == 1 {
			s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
		}
		s = strings.TrimSpace(strings.TrimRight(s, ",;"))
		if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		n, err := contact.NormalizeSerial(s)
		if err != nil {
			return nil, &FieldError{"serials", fmt.Sprintf("line %d is not a frame serial (letters, digits and '/', up to 64): correct or remove it", line)}
		}
		if !seen[n] {
			if len(out) == MaxRecallSerials {
				return nil, &FieldError{"serials", fmt.Sprintf("a recall lists at most %d serials: split the list", MaxRecallSerials)}
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FieldError{"serials", fmt.Sprintf("line %d is longer than %d bytes: one serial a line", line+1, maxSerialLine)}
		}
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

func (in *RecallInput) validate() error {
	var ve ValidationError
	in.Make, in.Reference, in.Title = strings.TrimSpace(in.Make), strings.TrimSpace(in.Reference), strings.TrimSpace(in.Title)
	var models []string
	for _, m := range in.Models {
		if m = strings.TrimSpace(m); m != "" && !slices.ContainsFunc(models, func(x string) bool { return strings.EqualFold(x, m) }) {
			models = append(models, m)
		}
	}
	in.Models = models
	if in.Make == "" {
		ve.add("make", "is required")
	}
	if in.Reference == "" {
		ve.add("reference", "is required (the brand's recall reference)")
	}
	if in.Title == "" {
		ve.add("title", "is required")
	}
	if len(in.Make) > 100 || len(in.Reference) > 100 || len(in.Title) > 200 {
		ve.add("recall", "a text field is too long")
	}
	if len(in.Models) > maxRecallModels {
		ve.add("models", fmt.Sprintf("at most %d models", maxRecallModels))
	}
	for _, m := range in.Models {
		if len(m) > 100 || strings.ContainsAny(m, "\n\r") {
			ve.add("models", "a model name is too long")
			break
		}
	}
	if (in.YearFrom != 0 && (in.YearFrom < 1900 || in.YearFrom > 2200)) || (in.YearTo != 0 && (in.YearTo < 1900 || in.YearTo > 2200)) {
		ve.add("years", "are not plausible model years")
	} else if in.YearFrom != 0 && in.YearTo != 0 && in.YearFrom > in.YearTo {
		ve.add("years", "the first year is after the last")
	}
	if _, err := time.Parse(time.DateOnly, in.IssuedOn); err != nil {
		ve.add("issued_on", "must be a date like 2026-12-01")
	}
	if len(in.Serials) > MaxRecallSerials {
		ve.add("serials", fmt.Sprintf("at most %d", MaxRecallSerials))
	}
	if len(in.Models) == 0 && in.YearFrom == 0 && in.YearTo == 0 && len(in.Serials) == 0 {
		ve.add("recall", "name models, model years or frame serials: a whole make is not a recall")
	}
	return ve.orNil()
}

// CreateRecall enters a recall: chain-wide (owner; its serial list indexed for every shop
// this device holds the key of) or for one shop (owner, or that shop's manager).
func (ss *Session) CreateRecall(ctx context.Context, in RecallInput) (string, error) {
	id := newID()
	err := ss.write(ctx, "recall.create", func(w *wtx) error {
		w.audit.Target = id
		scope := in.ShopID
		if scope == "" {
			scope = ss.user.ShopID
		}
		if scope == "" {
			scope = OrgScope
		}
		t := target{shopID: scope}
		if scope == OrgScope {
			t = target{any: true}
		}
		g, err := w.allow(ss, OpDataSubject, t)
		if err != nil {
			return err
		}
		if scope == OrgScope && g != All {
			return ErrForbidden
		}
		if err := in.validate(); err != nil {
			return err
		}
		shops := []string{scope}
		if scope == OrgScope {
			if shops, err = queryStrings(ctx, w.tx, "SELECT id FROM shops ORDER BY id"); err != nil {
				return err
			}
		} else {
			var n int
			if err := w.tx.QueryRowContext(ctx, "SELECT count(*) FROM shops WHERE id = ?", scope).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &FieldError{"shop", "no such shop"}
			}
		}
		if err := w.insert("recalls", scope, id, []col{
			plain("scope", scope), plain("make", in.Make), plain("models", strings.Join(in.Models, "\n")),
			plain("year_from", in.YearFrom), plain("year_to", in.YearTo), plain("reference", in.Reference), plain("title", in.Title),
			plain("issued_on", in.IssuedOn), plain("serials", len(in.Serials)), plain("created_by", ss.user.ID), plain("created_at", w.now),
		}); err != nil {
			return err
		}
		parts, skipped := 0, 0
		if len(in.Serials) > 0 {
			for _, shop := range shops {
				k, err := ss.s.derivedShopKey(ctx, w.tx, shop, string(BySerial))
				if errors.Is(err, ErrNotFound) {
					skipped++ // a shop whose key this device does not hold
					continue
				}
				if err != nil {
					return err
				}
				n, err := w.insertRecallSerials(id, shop, k, in.Serials)
				if err != nil {
					return err
				}
				parts += n
			}
		}
		w.audit.Detail = fmt.Sprintf("scope=%s models=%d serials=%d shops=%d parts=%d", scope, len(in.Models), len(in.Serials), len(shops)-skipped, parts)
		if skipped > 0 {
			w.audit.Detail += fmt.Sprintf(" shops_without_key=%d", skipped)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// insertRecallSerials writes a shop's blind-index sums of the serials, sorted, in parts.
func (w *wtx) insertRecallSerials(recallID, shop string, k blind.Key, serials []string) (int, error) {
	sums := make([][]byte, len(serials))
	for i, s := range serials {
		sums[i] = k.Sum(s)
	}
	slices.SortFunc(sums, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	part := 0
	for len(sums) > 0 {
		n := min(len(sums), recallPart)
		buf := make([]byte, 0, n*blind.Size)
		for _, s := range sums[:n] {
			buf = append(buf, s...)
		}
		if err := w.insert("recall_serials", shop, newID(), []col{
			plain("recall_id", recallID), plain("shop_id", shop), plain("part", part), plain("sums", buf),
		}); err != nil {
			return 0, err
		}
		sums = sums[n:]
		part++
	}
	return part, nil
}

const recallCols = "id, scope, make, models, year_from, year_to, reference, title, issued_on, serials, created_by, created_at"

func scanRecall(sc interface{ Scan(...any) error }) (*Recall, error) {
	var r Recall
	var models string
	var created int64
	if err := sc.Scan(&r.ID, &r.Scope, &r.Make, &models, &r.YearFrom, &r.YearTo, &r.Reference, &r.Title, &r.IssuedOn, &r.Serials, &r.CreatedBy, &created); err != nil {
		return nil, err
	}
	if models != "" {
		r.Models = strings.Split(models, "\n")
	}
	r.CreatedAt = time.UnixMilli(created)
	return &r, nil
}

// recallShops are the shops of a recall the user may act on: a shop recall's shop, or for a
// chain-wide one every shop (owner) or their own (manager).
func (ss *Session) recallShops(ctx context.Context, r *Recall) ([]string, error) {
	var cand []string
	if r.Scope == OrgScope {
		var err error
		if cand, err = queryStrings(ctx, ss.s.db, "SELECT id FROM shops ORDER BY id"); err != nil {
			return nil, err
		}
	} else {
		cand = []string{r.Scope}
	}
	var out []string
	for _, shop := range cand {
		if _, ok := ss.permits(OpDataSubject, target{shopID: shop}); ok {
			out = append(out, shop)
		}
	}
	return out, nil
}

// loadRecall reads one recall the user may see, authenticated.
func (ss *Session) loadRecall(ctx context.Context, action, id string) (*Recall, Grant, []string, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, action, id)
	if err != nil {
		return nil, Deny, nil, err
	}
	r, err := scanRecall(ss.s.db.QueryRowContext(ctx, "SELECT "+recallCols+" FROM recalls WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Deny, nil, ErrNotFound
	}
	if err != nil {
		return nil, Deny, nil, err
	}
	if err := ss.s.checkRow(ctx, ss.s.db, tables["recalls"], id); err != nil {
		return nil, Deny, nil, err
	}
	shops, err := ss.recallShops(ctx, r)
	if err != nil {
		return nil, Deny, nil, err
	}
	if len(shops) == 0 {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: id, Outcome: "denied", Detail: "another shop's recall"})
		return nil, Deny, nil, ErrNotFound
	}
	return r, g, shops, nil
}

// Recalls lists the recalls the user may act on, newest first.
func (ss *Session) Recalls(ctx context.Context) ([]Recall, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "recall.list", "")
	if err != nil {
		return nil, err
	}
	rows, err := ss.s.db.QueryContext(ctx, "SELECT "+recallCols+" FROM recalls ORDER BY issued_on DESC, created_at DESC, id")
	if err != nil {
		return nil, err
	}
	var all []*Recall
	for rows.Next() {
		r, err := scanRecall(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Recall{}
	for _, r := range all {
		if err := ss.s.checkRow(ctx, ss.s.db, tables["recalls"], r.ID); err != nil {
			return nil, err
		}
		if shops, err := ss.recallShops(ctx, r); err != nil {
			return nil, err
		} else if len(shops) > 0 {
			out = append(out, *r)
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "recall.list", Grant: g, Detail: fmt.Sprintf("count=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// bikeHit is an affected bike before any personal value is opened.
type bikeHit struct {
	bike, customer, shop, make, model string
	year                              int
	serial, byModel                   bool
	last                              noticeRow
}

func (h *bikeHit) by() string {
	switch {
	case h.serial && h.byModel:
		return "serial+model"
	case h.serial:
		return "serial"
	}
	return "model"
}

type noticeRow struct {
	channel NoticeChannel
	outcome NoticeOutcome
	at      int64
}

// affected finds a recall's bikes in the shops given (only bike, when not ""): by make, model
// and years over the plain columns (trimmed, case folded as Unicode does), and by serial
// through each shop's blind index only. Deleted bikes and the bikes of deleted customers are
// not affected (erased ones are gone).
func (ss *Session) affected(ctx context.Context, q querier, r *Recall, shops []string, bike string) ([]*bikeHit, error) {
	byModel := len(r.Models) > 0 || r.YearFrom != 0 || r.YearTo != 0
	same := func(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }
	matchesModel := func(h *bikeHit) bool {
		if !byModel || !same(h.make, r.Make) {
			return false
		}
		if len(r.Models) > 0 && !slices.ContainsFunc(r.Models, func(m string) bool { return same(m, h.model) }) {
			return false
		}
		if (r.YearFrom != 0 || r.YearTo != 0) && h.year == 0 {
			return false // unknown year: not within a range
		}
		return (r.YearFrom == 0 || h.year >= r.YearFrom) && (r.YearTo == 0 || h.year <= r.YearTo)
	}
	var out []*bikeHit
	for _, shop := range shops {
		set, err := ss.recallSums(ctx, q, r.ID, shop)
		if err != nil {
			return nil, err
		}
		if !byModel && len(set) == 0 {
			continue
		}
		query := "SELECT b.id, b.customer_id, b.make, b.model, b.year, b.serial_bidx FROM bikes b JOIN customers c ON c.id = b.customer_id WHERE b.shop_id = ? AND b.deleted_at = 0 AND c.deleted_at = 0"
		args := []any{shop}
		if bike != "" {
			query += " AND b.id = ?"
			args = append(args, bike)
		}
		rows, err := q.QueryContext(ctx, query+" ORDER BY b.created_at, b.id", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			h := &bikeHit{shop: shop}
			var sum []byte
			if err := rows.Scan(&h.bike, &h.customer, &h.make, &h.model, &h.year, &sum); err != nil {
				rows.Close()
				return nil, err
			}
			h.serial = len(sum) == blind.Size && set[[blind.Size]byte(sum)]
			h.byModel = matchesModel(h)
			if h.serial || h.byModel {
				out = append(out, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if err := ss.lastNotices(ctx, q, r.ID, out); err != nil {
		return nil, err
	}
	return out, nil
}

// recallSums reads a recall's serial sums for a shop, each part authenticated.
func (ss *Session) recallSums(ctx context.Context, q querier, recallID, shop string) (map[[blind.Size]byte]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, sums FROM recall_serials WHERE recall_id = ? AND shop_id = ? ORDER BY part", recallID, shop)
	if err != nil {
		return nil, err
	}
	type part struct {
		id   string
		sums []byte
	}
	var parts []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.id, &p.sums); err != nil {
			rows.Close()
			return nil, err
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	set := map[[blind.Size]byte]bool{}
	for _, p := range parts {
		if err := ss.s.checkRow(ctx, q, tables["recall_serials"], p.id); err != nil {
			return nil, err
		}
		for i := 0; i+blind.Size <= len(p.sums); i += blind.Size {
			set[[blind.Size]byte(p.sums[i:i+blind.Size])] = true
		}
	}
	return set, nil
}

// lastNotices fills each hit's newest notice of the recall.
func (ss *Session) lastNotices(ctx context.Context, q querier, recallID string, hits []*bikeHit) error {
	if len(hits) == 0 {
		return nil
	}
	byBike := map[string]*bikeHit{}
	for _, h := range hits {
		byBike[h.bike] = h
	}
	rows, err := q.QueryContext(ctx, "SELECT bike_id, channel, outcome, noticed_at FROM recall_notices WHERE recall_id = ? ORDER BY noticed_at, id", recallID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var bike string
		var n noticeRow
		if err := rows.Scan(&bike, &n.channel, &n.outcome, &n.at); err != nil {
			return err
		}
		if !slices.Contains(NoticeOutcomes, n.outcome) || !slices.Contains(NoticeChannels, n.channel) {
			continue // not a code this version knows: no notice
		}
		if h := byBike[bike]; h != nil {
			h.last = n
		}
	}
	return rows.Err()
}

func progressOf(hits []*bikeHit) RecallProgress {
	p := RecallProgress{Affected: len(hits)}
	for _, h := range hits {
		switch h.last.outcome {
		case NoticeReached:
			p.Reached++
		case NoticeDeclined:
			p.Declined++
		case NoticeUnreachable:
			p.Unreachable++
		}
	}
	p.Outstanding = p.Affected - p.Reached - p.Declined
	return p
}

// RecallProgress counts a recall's affected bikes and notices in the shops the user acts for.
func (ss *Session) RecallProgress(ctx context.Context, id string) (*Recall, RecallProgress, error) {
	r, g, shops, err := ss.loadRecall(ctx, "recall.read", id)
	if err != nil {
		return nil, RecallProgress{}, err
	}
	hits, err := ss.affected(ctx, ss.s.db, r, shops, "")
	if err != nil {
		return nil, RecallProgress{}, err
	}
	p := progressOf(hits)
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "recall.read", Target: id, Grant: g,
		Detail: fmt.Sprintf("shops=%d affected=%d reached=%d declined=%d outstanding=%d", len(shops), p.Affected, p.Reached, p.Declined, p.Outstanding)}); err != nil {
		return nil, RecallProgress{}, fmt.Errorf("audit: %w", err)
	}
	return r, p, nil
}

// RecallMatches lists a recall's affected bikes with their owners' name, e-mail and phone
// (owner: every shop; manager: theirs), audited as a read of those fields with counts.
func (ss *Session) RecallMatches(ctx context.Context, id string) ([]RecallMatch, error) {
	if err := ss.trainingGate(ctx, "recall.matches", id); err != nil {
		return nil, err
	}
	r, g, shops, err := ss.loadRecall(ctx, "recall.matches", id)
	if err != nil {
		return nil, err
	}
	hits, err := ss.affected(ctx, ss.s.db, r, shops, "")
	if err != nil {
		return nil, err
	}
	out := []RecallMatch{}
	custs := map[string]*opened{}
	bySerial := 0
	for _, h := range hits {
		o, ok := custs[h.customer]
		if !ok {
			c, err := ss.s.loadCust(ctx, ss.s.db, h.customer)
			if err != nil {
				return nil, err
			}
			if vg, err := ss.view(ctx, c); err != nil || (vg != All && vg != ShopOnly) {
				custs[h.customer] = nil
				continue
			}
			if err := ss.s.checkRow(ctx, ss.s.db, tables["customers"], c.id); err != nil {
				return nil, err
			}
			if o, err = ss.s.openFields(ctx, c, fieldsIndexed, false); err != nil {
				return nil, err
			}
			custs[h.customer] = o
		}
		if o == nil {
			continue
		}
		if h.serial {
			bySerial++
		}
		m := RecallMatch{BikeID: h.bike, CustomerID: h.customer, ShopID: h.shop, Make: h.make, Model: h.model, Year: h.year, By: h.by(),
			Name: o.name, Email: o.email, Phone: o.phone, Outcome: h.last.outcome, Channel: h.last.channel}
		if h.last.at != 0 {
			m.NoticedAt = time.UnixMilli(h.last.at)
		}
		out = append(out, m)
	}
	opened := 0
	for _, o := range custs {
		if o != nil {
			opened++
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "recall.matches", Target: id, Grant: g,
		Fields: []string{"name", "email", "phone"},
		Detail: fmt.Sprintf("shops=%d bikes=%d by_serial=%d customers=%d", len(shops), len(out), bySerial, opened)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// RecallRecipients returns the customers a recall notice is still owed to (an affected bike
// whose last notice did not reach them), by id only: what the e-mail sender (the mail
// package) resolves to addresses in its own process, sending each under the legal
// obligation, and then records with RecordRecallNotice (channel email, reached or
// unreachable). Marketing consent is not asked: a recall notice is not marketing.
func (ss *Session) RecallRecipients(ctx context.Context, id string) ([]RecallRecipient, error) {
	r, g, shops, err := ss.loadRecall(ctx, "recall.recipients", id)
	if err != nil {
		return nil, err
	}
	hits, err := ss.affected(ctx, ss.s.db, r, shops, "")
	if err != nil {
		return nil, err
	}
	var out []RecallRecipient
	at := map[string]int{}
	for _, h := range hits {
		if h.last.outcome == NoticeReached || h.last.outcome == NoticeDeclined {
			continue
		}
		i, ok := at[h.customer]
		if !ok {
			i = len(out)
			at[h.customer] = i
			out = append(out, RecallRecipient{CustomerID: h.customer, ShopID: h.shop})
		}
		out[i].BikeIDs = append(out[i].BikeIDs, h.bike)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "recall.recipients", Target: id, Grant: g,
		Detail: fmt.Sprintf("customers=%d basis=%s", len(out), BasisLegalObligation)}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// RecordRecallNotice records who a recall notice reached, how and when, under the legal
// obligation. The bike must be one the recall affects, in a shop the user acts for. Audited
// "recall.notify" (the action the detector counts as a send to a customer).
func (ss *Session) RecordRecallNotice(ctx context.Context, in RecallNoticeInput) (string, error) {
	if !slices.Contains(NoticeChannels, in.Channel) {
		return "", &FieldError{"channel", "must be email, phone, post or in-person"}
	}
	if !slices.Contains(NoticeOutcomes, in.Outcome) {
		return "", &FieldError{"outcome", "must be reached, unreachable or declined"}
	}
	r, _, shops, err := ss.loadRecall(ctx, "recall.notify", in.RecallID)
	if err != nil {
		return "", err
	}
	var id string
	err = ss.write(ctx, "recall.notify", func(w *wtx) error {
		w.audit.Target = in.RecallID
		var customer string
		var err error
		id, customer, err = w.insertRecallNotice(ss, r, shops, in)
		if err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("notice=%s bike=%s customer=%s channel=%s outcome=%s basis=%s", id, in.BikeID, customer, in.Channel, in.Outcome, BasisLegalObligation)
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// insertRecallNotice checks and writes one notice inside a write (shops: the recall's shops
// the user acts for, from loadRecall) and returns its id and the bike's customer. The e-mail
// sender records each message's outcome through it, in its own write, audited with counts.
func (w *wtx) insertRecallNotice(ss *Session, r *Recall, shops []string, in RecallNoticeInput) (string, string, error) {
	if !slices.Contains(NoticeChannels, in.Channel) || !slices.Contains(NoticeOutcomes, in.Outcome) {
		return "", "", &FieldError{"notice", "an unknown channel or outcome"}
	}
	var shop string
	err := w.tx.QueryRowContext(w.ctx, "SELECT shop_id FROM bikes WHERE id = ? AND deleted_at = 0", in.BikeID).Scan(&shop)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", err
	}
	if _, err := w.allow(ss, OpDataSubject, target{shopID: shop}); err != nil {
		return "", "", err
	}
	if !slices.Contains(shops, shop) {
		return "", "", &FieldError{"bike", "is not in a shop this recall reaches"}
	}
	hits, err := ss.affected(w.ctx, w.tx, r, []string{shop}, in.BikeID)
	if err != nil {
		return "", "", err
	}
	if len(hits) != 1 {
		return "", "", &FieldError{"bike", "is not affected by this recall"}
	}
	id := newID()
	return id, hits[0].customer, w.insert("recall_notices", shop, id, []col{
		plain("recall_id", r.ID), plain("bike_id", in.BikeID), plain("customer_id", hits[0].customer), plain("shop_id", shop),
		plain("channel", string(in.Channel)), plain("outcome", string(in.Outcome)), plain("lawful_basis", string(BasisLegalObligation)),
		plain("noticed_by", ss.user.ID), plain("noticed_at", w.now),
	})
}

// The recall notices about the customer are part of the data-subject export (subject.go):
// oldest first, with the recall's reference and title, staff named by role.
func init() {
	registerSubjectSection(subjectSection{order: 30, name: "recall_notices", title: Label{"Recall notices", "召回通知"},
		columns: []SectionColumn{{"at", Label{"When", "时间"}}, {"recall", Label{"Recall", "召回"}}, {"bike", Label{"Bike", "自行车"}},
			{"channel", Label{"Channel", "渠道"}}, {"outcome", Label{"Outcome", "结果"}}, {"lawful_basis", Label{"Lawful basis", "合法依据"}},
			{"noticed_by", Label{"Recorded by", "记录人"}}},
		collect: func(ctx context.Context, s *Store, q querier, c *custRow) ([][]string, []string, error) {
			rows, err := q.QueryContext(ctx, `SELECT n.id, n.noticed_at, COALESCE(r.reference || ' ' || r.title, n.recall_id), n.bike_id, n.channel, n.outcome, n.lawful_basis, n.noticed_by
				FROM recall_notices n LEFT JOIN recalls r ON r.id = n.recall_id WHERE n.customer_id = ? ORDER BY n.noticed_at, n.id`, c.id)
			if err != nil {
				return nil, nil, err
			}
			type notice struct {
				id, recall, bike, channel, outcome, basis, by string
				at                                            int64
			}
			var ns []notice
			for rows.Next() {
				var n notice
				if err := rows.Scan(&n.id, &n.at, &n.recall, &n.bike, &n.channel, &n.outcome, &n.basis, &n.by); err != nil {
					rows.Close()
					return nil, nil, err
				}
				ns = append(ns, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, nil, err
			}
			roles := map[string]string{}
			var out [][]string
			var ids []string
			for _, n := range ns {
				if err := s.checkRow(ctx, q, tables["recall_notices"], n.id); err != nil {
					return nil, nil, err
				}
				out = append(out, []string{time.UnixMilli(n.at).UTC().Format(time.RFC3339), n.recall, n.bike, n.channel, n.outcome, n.basis, s.roleName(ctx, q, n.by, roles)})
				ids = append(ids, n.id)
			}
			return out, ids, nil
		}})
}
