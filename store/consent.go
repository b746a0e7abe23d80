package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Consent per purpose (GDPR Art. 6/7/8, ePrivacy, CCPA, PIPL Art. 14/29/31/39). Every grant and
// every withdrawal is an event of its own in the consents table, which is only ever inserted
// into, here and by sync: a withdrawal on one device and a concurrent grant on another both
// survive, and the current state of a (customer, purpose, channel) is the event with the
// latest time, ties broken by id. The columns are business data only (enums, ids, a notice
// version, times), so nothing of them needs a key and all of it syncs as it is.

// Purpose is what a consent is for.
type Purpose string

// The purposes.
const (
	PurposeServiceReminders Purpose = "service_reminders"
	PurposeEmailMarketing   Purpose = "email_marketing"
	PurposeSMSMarketing     Purpose = "sms_marketing"
	PurposeBrandSharing     Purpose = "brand_sharing"         // e.g. warranty registration with the maker
	PurposeCrossBorder      Purpose = "cross_border_transfer" // PIPL Art. 39: separate consent
	PurposeSensitiveData    Purpose = "sensitive_data"        // PIPL Art. 28/29 (a child under 14's data is sensitive)
)

// Purposes lists the purposes in the order screens show them.
var Purposes = []Purpose{PurposeServiceReminders, PurposeEmailMarketing, PurposeSMSMarketing, PurposeBrandSharing, PurposeCrossBorder, PurposeSensitiveData}

// Channel is how a consented message reaches the customer; ChannelAny covers every channel.
type Channel string

// The channels.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
	ChannelPost  Channel = "post"
	ChannelPhone Channel = "phone"
	ChannelAny   Channel = "any"
)

// Channels lists the channels in the order screens show them.
var Channels = []Channel{ChannelEmail, ChannelSMS, ChannelPost, ChannelPhone, ChannelAny}

// ChannelsFor returns the channels a consent for p may name, the default first: e-mail
// marketing is by e-mail, SMS marketing by SMS, sharing, transfer and sensitive data are not
// about a channel at all.
func ChannelsFor(p Purpose) []Channel {
	switch p {
	case PurposeServiceReminders:
		return []Channel{ChannelAny, ChannelEmail, ChannelSMS, ChannelPost, ChannelPhone}
	case PurposeEmailMarketing:
		return []Channel{ChannelEmail}
	case PurposeSMSMarketing:
		return []Channel{ChannelSMS}
	case PurposeBrandSharing, PurposeCrossBorder, PurposeSensitiveData:
		return []Channel{ChannelAny}
	}
	return nil
}

// LawfulBasis is the legal ground a processing rests on (GDPR Art. 6(1)).
type LawfulBasis string

// The lawful bases.
const (
	BasisConsent            LawfulBasis = "consent"
	BasisContract           LawfulBasis = "contract"
	BasisLegitimateInterest LawfulBasis = "legitimate_interest"
	BasisLegalObligation    LawfulBasis = "legal_obligation"
	BasisParentalConsent    LawfulBasis = "parental_consent" // given by a parent or guardian (GDPR Art. 8, PIPL Art. 31)
)

// LawfulBases lists the bases.
var LawfulBases = []LawfulBasis{BasisConsent, BasisContract, BasisLegitimateInterest, BasisLegalObligation, BasisParentalConsent}

// ConsentSource is where a consent was captured.
type ConsentSource string

// The sources.
const (
	SourceCounter ConsentSource = "counter"
	SourceWebForm ConsentSource = "web_form"
	SourcePaper   ConsentSource = "paper"
	SourceImport  ConsentSource = "import"
	SourcePhone   ConsentSource = "phone"
	// SourceEmailReply: an "unsubscribe" reply to a message, recorded at the counter.
	SourceEmailReply ConsentSource = "email_reply"
	// SourceUnsubscribe: the one-click link in a message, relayed by the hub and recorded
	// by the system principal "system:unsubscribe" (unsubscribe.go); never chosen by hand.
	SourceUnsubscribe ConsentSource = "unsubscribe_link"
)

// ConsentSources lists the sources.
var ConsentSources = []ConsentSource{SourceCounter, SourceWebForm, SourcePaper, SourceImport, SourcePhone, SourceEmailReply}

// ConsentEvent is one grant or withdrawal. RecordConsent reads Purpose, Channel, Granted,
// Basis, Source, Notice, Parental and At (zero: now); the rest is what the store recorded.
type ConsentEvent struct {
	ID         string        `json:"id"`
	CustomerID string        `json:"customer_id"`
	ShopID     string        `json:"shop_id"`
	Purpose    Purpose       `json:"purpose"`
	Channel    Channel       `json:"channel"`
	Granted    bool          `json:"granted"`
	Basis      LawfulBasis   `json:"lawful_basis"`
	Source     ConsentSource `json:"source"`
	Notice     string        `json:"notice_version"`
	RecordedBy string        `json:"recorded_by"` // user id
	Recorder   string        `json:"recorder,omitempty"`
	At         time.Time     `json:"at"`
	Parental   bool          `json:"parental,omitempty"`
	// SubjectUnderAge: the customer was under the digital-consent age of the shop's country
	// at the time (from their birthday; false when none is recorded).
	SubjectUnderAge bool `json:"subject_under_age,omitempty"`
}

// ConsentState is the current state of one purpose and channel: the newest event.
type ConsentState struct {
	Purpose  Purpose     `json:"purpose"`
	Channel  Channel     `json:"channel"`
	Granted  bool        `json:"granted"`
	Since    time.Time   `json:"since"`
	EventID  string      `json:"event_id"`
	Basis    LawfulBasis `json:"lawful_basis"`
	Parental bool        `json:"parental,omitempty"`
}

var (
	// ErrNoConsent means a send was refused: the customer has no current consent for that
	// purpose and channel. A *ConsentError says which.
	ErrNoConsent = errors.New("no current consent")
	// ErrParentalConsent means a grant for a customer under the digital-consent age of the
	// shop's country must be given by a parent or guardian.
	ErrParentalConsent = errors.New("the customer is under the age of digital consent here: record the consent as given by a parent or guardian")
	// ErrSensitiveFirst means a child under 14 in mainland China needs a current
	// parental consent for sensitive data before any other grant (PIPL Art. 28, 31).
	ErrSensitiveFirst = errors.New("the customer is under 14 (PIPL Art. 31): record a parent's or guardian's consent for sensitive data first")
)

// ConsentError is a refused send: which customer, purpose and channel lack a current consent.
type ConsentError struct {
	CustomerID string
	Purpose    Purpose
	Channel    Channel
}

func (e *ConsentError) Error() string {
	return fmt.Sprintf("customer %s has no current consent for %s by %s: record the customer's consent first", e.CustomerID, e.Purpose, e.Channel)
}

// Unwrap makes it an ErrNoConsent.
func (e *ConsentError) Unwrap() error { return ErrNoConsent }

// DigitalConsentAge is the age below which a child's consent to information-society services
// must be given or authorised by a parent, by ISO country code: GDPR Art. 8 as each member
// state set it (13 to 16; 16 where a state set none), the UK's 13, COPPA's 13 in the US,
// PIPL Art. 31's 14 in mainland China. A country not listed gets 16, the strictest GDPR age.
func DigitalConsentAge(country string) int {
	if a, ok := consentAges[strings.ToUpper(strings.TrimSpace(country))]; ok {
		return a
	}
	return 16
}

var consentAges = map[string]int{
	// 13
	"BE": 13, "DK": 13, "EE": 13, "FI": 13, "LV": 13, "MT": 13, "PT": 13, "SE": 13, "NO": 13, "IS": 13, "GB": 13, "UK": 13, "US": 13,
	// 14
	"AT": 14, "BG": 14, "CY": 14, "ES": 14, "IT": 14, "LT": 14, "CN": 14,
	// 15
	"CZ": 15, "FR": 15, "GR": 15, "SI": 15,
	// 16
	"DE": 16, "HR": 16, "HU": 16, "IE": 16, "LI": 16, "LU": 16, "NL": 16, "PL": 16, "RO": 16, "SK": 16,
}

// consentBased reports whether a basis is a consent (a person's, or a parent's for them).
func consentBased(b LawfulBasis) bool { return b == BasisConsent || b == BasisParentalConsent }

// validate normalises an event in place (defaults, the parental basis) and lists every bad field.
func (ev *ConsentEvent) validate(now time.Time) error {
	var ve ValidationError
	if !slices.Contains(Purposes, ev.Purpose) {
		ve.add("purpose", "must be one of "+joinEnum(Purposes))
	} else if ev.Channel == "" {
		ev.Channel = ChannelsFor(ev.Purpose)[0]
	} else if !slices.Contains(ChannelsFor(ev.Purpose), ev.Channel) {
		ve.add("channel", fmt.Sprintf("%s consent may name only %s", ev.Purpose, joinEnum(ChannelsFor(ev.Purpose))))
	}
	if ev.Basis == "" {
		ev.Basis = BasisConsent
	}
	if ev.Parental && ev.Basis == BasisConsent {
		ev.Basis = BasisParentalConsent
	}
	ev.Parental = ev.Parental || ev.Basis == BasisParentalConsent
	switch {
	case !slices.Contains(LawfulBases, ev.Basis):
		ve.add("lawful_basis", "must be one of "+joinEnum(LawfulBases))
	case ev.Parental && !consentBased(ev.Basis):
		ve.add("lawful_basis", "a parent's or guardian's consent is a consent")
	case ev.Granted && ev.Purpose != PurposeServiceReminders && !consentBased(ev.Basis):
		// Marketing (ePrivacy), sharing, transfer abroad (PIPL Art. 39) and sensitive data
		// (Art. 29) rest on consent alone; reminders may also rest on the contract.
		ve.add("lawful_basis", fmt.Sprintf("%s needs consent", ev.Purpose))
	}
	if !slices.Contains(ConsentSources, ev.Source) {
		ve.add("source", "must be one of "+joinEnum(ConsentSources))
	}
	ev.Notice = strings.TrimSpace(ev.Notice)
	if ev.Notice == "" || len(ev.Notice) > 32 || strings.ContainsFunc(ev.Notice, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_')
	}) {
		ve.add("notice_version", "is required: the privacy notice's version, like 2026-11 (letters, digits, '.', '-', '_'; up to 32)")
	}
	switch {
	case ev.At.IsZero():
		ev.At = now
	case ev.At.After(now.Add(time.Minute)):
		ve.add("at", "is in the future")
	case ev.At.Year() < 2000:
		ve.add("at", "is not a plausible date")
	}
	return ve.orNil()
}

func joinEnum[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// ageOn returns the age in whole years on day at of someone born on birthday (YYYY-MM-DD).
func ageOn(birthday string, at time.Time) (int, bool) {
	b, err := time.Parse(time.DateOnly, birthday)
	if err != nil {
		return 0, false
	}
	y, m, d := at.Date()
	age := y - b.Year()
	if m < b.Month() || (m == b.Month() && d < b.Day()) {
		age--
	}
	return age, true
}

// RecordConsent records a grant or a withdrawal for a customer the user may edit, and returns
// the event's id. Withdrawing takes exactly what granting takes. A grant that rests on consent
// for a customer under the digital-consent age of the shop's country (from their sealed
// birthday, at the event's time) is refused unless a parent or guardian gave it; in mainland
// China a child under 14 also needs a current parental consent for sensitive data before any
// other grant. With no birthday recorded nothing is assumed. A grant of transfer abroad sends,
// with the next sync, the customer's rows this device kept back (transfer.go).
func (ss *Session) RecordConsent(ctx context.Context, customerID string, ev ConsentEvent) (string, error) {
	action := "consent.withdraw"
	if ev.Granted {
		action = "consent.grant"
	}
	var id string
	err := ss.write(ctx, action, func(w *wtx) error {
		c, err := ss.s.loadCust(ctx, w.tx, customerID)
		if err != nil {
			return err
		}
		w.audit.Target = customerID
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		if err := ev.validate(ss.s.opts.Now()); err != nil {
			return err
		}
		if err := w.checkChild(c, &ev); err != nil {
			return err
		}
		id = newID()
		if err := w.insert("consents", c.shopID, id, []col{
			plain("customer_id", c.id), plain("shop_id", c.shopID), plain("purpose", string(ev.Purpose)), plain("channel", string(ev.Channel)),
			plain("granted", boolInt(ev.Granted)), plain("lawful_basis", string(ev.Basis)), plain("source", string(ev.Source)),
			plain("notice_version", ev.Notice), plain("recorded_by", ss.user.ID), plain("at", ev.At.UnixMilli()),
			plain("parental", boolInt(ev.Parental)), plain("subject_under_age", boolInt(ev.SubjectUnderAge)),
		}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("purpose=%s channel=%s consent=%s", ev.Purpose, ev.Channel, id)
		if ev.Purpose == PurposeCrossBorder && ev.Granted {
			return w.releaseIfHeld(c)
		}
		return nil
	})
	return id, err
}

// checkChild applies the children's rules to an event and marks it: the age comes from the
// customer's sealed birthday at the event's time (opened here, named in the audit entry).
func (w *wtx) checkChild(c *custRow, ev *ConsentEvent) error {
	if len(c.birthday) == 0 {
		return nil
	}
	k, err := w.s.dek(w.ctx, c)
	if err != nil {
		return err
	}
	bday, err := openField(k, "customers", c.id, "birthday", c.birthday)
	if err != nil {
		return err
	}
	w.audit.Fields = append(w.audit.Fields, "birthday")
	age, ok := ageOn(bday, ev.At)
	if !ok {
		return nil
	}
	region, err := w.s.shopRegion(w.ctx, w.tx, c.shopID)
	if err != nil {
		return err
	}
	limit := DigitalConsentAge(region)
	ev.SubjectUnderAge = age < limit
	if !ev.Granted || !consentBased(ev.Basis) || !ev.SubjectUnderAge {
		return nil
	}
	if !ev.Parental {
		return fmt.Errorf("customer %s: %w (age of digital consent in %s: %d)", c.id, ErrParentalConsent, region, limit)
	}
	if strings.EqualFold(region, "CN") && age < 14 && ev.Purpose != PurposeSensitiveData {
		cur, err := currentOf(w.ctx, w.tx, c.id, PurposeSensitiveData, ChannelAny)
		if err != nil {
			return err
		}
		if cur == nil || !cur.Granted || !cur.Parental {
			return fmt.Errorf("customer %s: %w", c.id, ErrSensitiveFirst)
		}
	}
	return nil
}

const consentCols = "id, customer_id, shop_id, purpose, channel, granted, lawful_basis, source, notice_version, recorded_by, at, parental, subject_under_age"

func scanConsent(sc interface{ Scan(...any) error }) (*ConsentEvent, error) {
	var ev ConsentEvent
	var at int64
	var granted, parental, under int64
	err := sc.Scan(&ev.ID, &ev.CustomerID, &ev.ShopID, &ev.Purpose, &ev.Channel, &granted, &ev.Basis, &ev.Source, &ev.Notice, &ev.RecordedBy, &at, &parental, &under)
	ev.Granted, ev.Parental, ev.SubjectUnderAge, ev.At = granted == 1, parental == 1, under == 1, time.UnixMilli(at)
	return &ev, err
}

// currentOf returns the newest event of one customer, purpose and channel, or nil.
func currentOf(ctx context.Context, q querier, customerID string, p Purpose, ch Channel) (*ConsentEvent, error) {
	ev, err := scanConsent(q.QueryRowContext(ctx, "SELECT "+consentCols+" FROM consents WHERE customer_id = ? AND purpose = ? AND channel = ? ORDER BY at DESC, id DESC LIMIT 1",
		customerID, string(p), string(ch)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return ev, err
}

// consentsOf returns every event of a customer, newest first, each authenticated (a row
// edited in the file is not shown or acted on).
func (s *Store) consentsOf(ctx context.Context, q querier, customerID string) ([]ConsentEvent, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+consentCols+" FROM consents WHERE customer_id = ? ORDER BY at DESC, id DESC", customerID)
	if err != nil {
		return nil, err
	}
	var out []ConsentEvent
	for rows.Next() {
		ev, err := scanConsent(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ev := range out {
		if err := s.checkRow(ctx, q, tables["consents"], ev.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// consentReader loads a customer for a consent read: whoever may see the customer in full
// (not a mechanic's or a break-glass view) may read their consents.
func (ss *Session) consentReader(ctx context.Context, customerID, action string) (*custRow, error) {
	c, err := ss.s.loadCust(ctx, ss.s.db, customerID)
	if err != nil {
		return nil, err
	}
	g, err := ss.view(ctx, c)
	if err != nil || g == BreakGlass || g == Assigned {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: customerID, Outcome: "denied"})
		return nil, ErrNotFound // do not confirm the customer exists
	}
	return c, nil
}

// ConsentHistory returns every consent event of a customer, newest first: nothing is ever
// overwritten, so this is the whole record of what was given and withdrawn, when, how and by whom.
func (ss *Session) ConsentHistory(ctx context.Context, customerID string) ([]ConsentEvent, error) {
	c, err := ss.consentReader(ctx, customerID, "consent.history")
	if err != nil {
		return nil, err
	}
	evs, err := ss.s.consentsOf(ctx, ss.s.db, c.id)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for i := range evs {
		u := evs[i].RecordedBy
		if _, ok := names[u]; !ok {
			names[u] = ss.s.username(ctx, u)
		}
		evs[i].Recorder = names[u]
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "consent.history", Target: c.id, Detail: fmt.Sprintf("events=%d", len(evs))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return evs, nil
}

// CurrentConsents returns, for each purpose and channel a customer has any event of, the
// current state: granted or not, since when, by which event (in Purposes and Channels order).
func (ss *Session) CurrentConsents(ctx context.Context, customerID string) ([]ConsentState, error) {
	c, err := ss.consentReader(ctx, customerID, "consent.read")
	if err != nil {
		return nil, err
	}
	evs, err := ss.s.consentsOf(ctx, ss.s.db, c.id)
	if err != nil {
		return nil, err
	}
	out := currentStates(evs)
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "consent.read", Target: c.id, Detail: fmt.Sprintf("states=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// currentStates reduces events (newest first) to the current state of each purpose and channel.
func currentStates(evs []ConsentEvent) []ConsentState {
	type key struct {
		p Purpose
		c Channel
	}
	seen := map[key]bool{}
	var out []ConsentState
	for _, ev := range evs {
		k := key{ev.Purpose, ev.Channel}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, ConsentState{Purpose: ev.Purpose, Channel: ev.Channel, Granted: ev.Granted, Since: ev.At, EventID: ev.ID, Basis: ev.Basis, Parental: ev.Parental})
	}
	slices.SortStableFunc(out, func(a, b ConsentState) int {
		if d := slices.Index(Purposes, a.Purpose) - slices.Index(Purposes, b.Purpose); d != 0 {
			return d
		}
		return slices.Index(Channels, a.Channel) - slices.Index(Channels, b.Channel)
	})
	return out
}

// newer reports whether event a (at, id) is later than b.
func newer(a, b *ConsentEvent) bool {
	return a.At.After(b.At) || (a.At.Equal(b.At) && a.ID > b.ID)
}

// sendDecision is the event that decides a send for a purpose by a channel: the newest of the
// channel's own and the purpose's "any" events (a later withdrawal of "any" stops every
// channel, a later withdrawal of one channel stops that one), or nil.
func sendDecision(ctx context.Context, q querier, customerID string, p Purpose, ch Channel) (*ConsentEvent, error) {
	own, err := currentOf(ctx, q, customerID, p, ch)
	if err != nil || ch == ChannelAny {
		return own, err
	}
	all, err := currentOf(ctx, q, customerID, p, ChannelAny)
	if err != nil {
		return nil, err
	}
	switch {
	case own == nil:
		return all, nil
	case all == nil || newer(own, all):
		return own, nil
	}
	return all, nil
}

// AuthorizeSend is the gate every reminder and campaign send passes: it refuses, with a
// *ConsentError (an ErrNoConsent), unless the customer's current consent for the purpose and
// channel (or for the purpose on any channel, whichever is newer) is a grant. Who may send:
// whoever may edit the customer, or run campaigns for the customer's shop. Every answer is
// audited ("send.authorize", ok or refused, with purpose and channel).
func (ss *Session) AuthorizeSend(ctx context.Context, customerID string, p Purpose, ch Channel) error {
	if !slices.Contains(Purposes, p) || !slices.Contains(Channels, ch) || ch == ChannelAny {
		return &FieldError{"channel", "a send names a purpose and one channel (email, sms, post or phone)"}
	}
	c, err := ss.s.loadCust(ctx, ss.s.db, customerID)
	if err != nil {
		return err
	}
	t := target{shopID: c.shopID, ownerID: c.ownerID}
	if _, err := ss.allow(OpCampaigns, t); err != nil {
		if _, err := ss.require(ctx, OpCustomerWrite, t, "send.authorize", customerID); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("purpose=%s channel=%s", p, ch)
	ev, err := sendDecision(ctx, ss.s.db, c.id, p, ch)
	if err == nil && ev != nil {
		err = ss.s.checkRow(ctx, ss.s.db, tables["consents"], ev.ID)
	}
	if err != nil {
		return err
	}
	if ev == nil || !ev.Granted {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "send.authorize", Target: c.id, Outcome: "refused", Detail: detail})
		return &ConsentError{CustomerID: c.id, Purpose: p, Channel: ch}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "send.authorize", Target: c.id, Detail: detail + " consent=" + ev.ID}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ConsentedAudience returns the ids (only the ids: no personal value) of a shop's customers
// whose current consent for the purpose and channel is a grant, as AuthorizeSend decides it:
// the audience of a campaign. Campaigns' grant: the owner and marketing every shop, a manager
// their own. Audited with the count.
func (ss *Session) ConsentedAudience(ctx context.Context, shopID string, p Purpose, ch Channel) ([]string, error) {
	if !slices.Contains(Purposes, p) || !slices.Contains(Channels, ch) || ch == ChannelAny {
		return nil, &FieldError{"channel", "an audience names a purpose and one channel (email, sms, post or phone)"}
	}
	grant, err := ss.require(ctx, OpCampaigns, target{shopID: shopID}, "consent.audience", shopID)
	if err != nil {
		return nil, err
	}
	// The newest event of the channel's own and the "any" series, per customer, in one pass.
	rows, err := ss.s.db.QueryContext(ctx, `SELECT k.customer_id, k.id, k.granted FROM customers c
		JOIN consents k ON k.id = (SELECT id FROM consents x WHERE x.customer_id = c.id AND x.purpose = ?2 AND x.channel IN (?3, 'any')
			ORDER BY x.at DESC, x.id DESC LIMIT 1)
		WHERE c.shop_id = ?1 AND c.deleted_at = 0 ORDER BY k.customer_id`, shopID, string(p), string(ch))
	if err != nil {
		return nil, err
	}
	var ids, events []string
	for rows.Next() {
		var cust, ev string
		var granted int64
		if err := rows.Scan(&cust, &ev, &granted); err != nil {
			rows.Close()
			return nil, err
		}
		if granted == 1 {
			ids, events = append(ids, cust), append(events, ev)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The deciding events are authenticated: a withdrawal turned into a grant in the file
	// must not put anyone into a campaign.
	for _, ev := range events {
		if err := ss.s.checkRow(ctx, ss.s.db, tables["consents"], ev); err != nil {
			return nil, err
		}
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "consent.audience", Target: shopID, Grant: grant, Detail: fmt.Sprintf("purpose=%s channel=%s customers=%d", p, ch, len(ids))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return ids, nil
}

// insertOnly are the tables whose rows, once written, never change: a set may bring a new row
// or one this device holds already, unchanged (a re-delivery), nothing else.
var insertOnly = map[string]bool{"consents": true, "training_results": true, "recall_serials": true, "recall_notices": true}

// checkInsertOnly refuses a set that would change an insert-only row: a cell of a row this
// device holds with another value or another write's clock, or a new row's cell written twice.
func (a *applier) checkInsertOnly(recs []ChangeRecord) error {
	type write struct {
		at    stamp
		value any
	}
	inSet := map[field]write{}
	for _, r := range recs {
		if !insertOnly[r.Table] {
			continue
		}
		refused := &RemoteError{fmt.Sprintf("%s rows are insert-only: a set may not change %s.%s of an existing row", r.Table, r.Table, r.Column)}
		f, in := field{r.Table, r.RowID, r.Column}, write{stamp{r.HLC, r.Device}, r.Value}
		if prev, ok := inSet[f]; ok && (prev.at != in.at || !sameValue(prev.value, in.value)) {
			return refused
		}
		inSet[f] = in
		rc := a.clocks[r.RowID]
		if rc == nil || rc.flags&flagTerminal != 0 {
			continue // a new row, or one erased for good (plan drops what names it)
		}
		hist, err := a.rowHistory(r.Table, r.RowID)
		if err != nil {
			return err
		}
		if h, ok := hist[r.Column]; !ok || h.at != in.at || !sameValue(h.value, in.value) {
			return refused
		}
	}
	return nil
}

// The consents are part of the data-subject export (subject.go): every event, oldest first,
// staff named by role.
func init() {
	registerSubjectSection(subjectSection{order: 10, name: "consents", title: Label{"Consents", "同意记录"},
		columns: []SectionColumn{{"at", Label{"When", "时间"}}, {"purpose", Label{"Purpose", "目的"}}, {"channel", Label{"Channel", "渠道"}},
			{"state", Label{"Granted or withdrawn", "同意或撤回"}}, {"lawful_basis", Label{"Lawful basis", "合法依据"}},
			{"source", Label{"Source", "来源"}}, {"notice_version", Label{"Privacy notice", "隐私告知书版本"}},
			{"recorded_by", Label{"Recorded by", "记录人"}}, {"parental", Label{"Given by a parent or guardian", "由父母或监护人作出"}},
			{"under_age", Label{"Under the age of digital consent", "未达数字同意年龄"}}},
		collect: func(ctx context.Context, s *Store, q querier, c *custRow) ([][]string, []string, error) {
			evs, err := s.consentsOf(ctx, q, c.id)
			if err != nil {
				return nil, nil, err
			}
			roles := map[string]string{}
			var rows [][]string
			var ids []string
			for i := len(evs) - 1; i >= 0; i-- { // oldest first, as the rest of the export
				e := evs[i]
				rows = append(rows, []string{e.At.UTC().Format(time.RFC3339), string(e.Purpose), string(e.Channel), grantWord(e.Granted),
					string(e.Basis), string(e.Source), e.Notice, s.roleName(ctx, q, e.RecordedBy, roles), yesNo(e.Parental), yesNo(e.SubjectUnderAge)})
				ids = append(ids, e.ID)
			}
			return rows, ids, nil
		}})
}

func grantWord(g bool) string {
	if g {
		return "granted"
	}
	return "withdrawn"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
