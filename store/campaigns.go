package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Campaigns (issue 14): marketing (or an owner, or a manager for their shop) writes a
// campaign: a name, the purpose and channel it sends for, an audience spec (audience.go) and
// subject and body templates in English and Chinese, whose only placeholders are the
// customer's first name and the shop's name. It travels as one campaigns row per shop, in
// that shop's scope; each shop's device resolves its own members locally
// (CampaignRecipients: owner or manager, on a device of that shop, never marketing), sends
// (the mail package, on that device) and records the outcome as counts (RecordCampaignSend).
// Nothing in a campaign names a customer; opens and clicks are not tracked: the text is plain
// (no HTML, so no pixel) and no placeholder can carry a per-customer token into a link.

// Campaign statuses.
const (
	CampaignActive    = "active"
	CampaignCancelled = "cancelled"
)

// Placeholders a campaign's templates may use, filled on the sending device.
const (
	PlaceholderFirstName = "{first_name}"
	PlaceholderShop      = "{shop}"
)

// CampaignInput is what a new campaign says.
type CampaignInput struct {
	Name      string       `json:"name"`
	Spec      AudienceSpec `json:"spec"`
	SubjectEN string       `json:"subject_en,omitempty"`
	BodyEN    string       `json:"body_en,omitempty"`
	SubjectZH string       `json:"subject_zh,omitempty"`
	BodyZH    string       `json:"body_zh,omitempty"`
}

// CampaignShop is one shop's row of a campaign: its audience at creation and its send.
// Counts under MinCell are -1 (shown as "<5").
type CampaignShop struct {
	RowID    string    `json:"row_id"`
	ShopID   string    `json:"shop_id"`
	Shop     string    `json:"shop"`
	Audience int64     `json:"audience"`
	Status   string    `json:"status"`
	Sent     int64     `json:"sent"`
	Skipped  int64     `json:"skipped"`
	SentBy   string    `json:"sent_by,omitempty"`
	SentAt   time.Time `json:"sent_at,omitzero"`
}

// Campaign is a campaign with its shops' rows (those the user's grant covers).
type Campaign struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Purpose   Purpose        `json:"purpose"`
	Channel   Channel        `json:"channel"`
	Spec      AudienceSpec   `json:"spec"`
	SubjectEN string         `json:"subject_en,omitempty"`
	BodyEN    string         `json:"body_en,omitempty"`
	SubjectZH string         `json:"subject_zh,omitempty"`
	BodyZH    string         `json:"body_zh,omitempty"`
	CreatedBy string         `json:"created_by"`
	Creator   string         `json:"creator,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	Shops     []CampaignShop `json:"shops"`
}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// validateTemplates checks a campaign's text: a name, at least one language with both
// subject and body, plain text (no markup, so no tracking pixel), only the two placeholders.
func (in *CampaignInput) validate() error {
	var ve ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 || strings.ContainsAny(in.Name, "\r\n") {
		ve.add("name", "is required: one line, up to 200 characters")
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
		line bool
	}{{"subject_en", &in.SubjectEN, 400, true}, {"body_en", &in.BodyEN, 20000, false}, {"subject_zh", &in.SubjectZH, 400, true}, {"body_zh", &in.BodyZH, 20000, false}} {
		*f.v = strings.TrimSpace(strings.ReplaceAll(*f.v, "\r\n", "\n"))
		if p := templateProblem(*f.v, f.max, f.line); p != "" {
			ve.add(f.name, p)
		}
	}
	en, zh := in.SubjectEN != "" || in.BodyEN != "", in.SubjectZH != "" || in.BodyZH != ""
	switch {
	case en && (in.SubjectEN == "" || in.BodyEN == ""):
		ve.add("body_en", "an English text needs both subject and body")
	case zh && (in.SubjectZH == "" || in.BodyZH == ""):
		ve.add("body_zh", "a Chinese text needs both subject and body")
	case !en && !zh:
		ve.add("body_en", "write the subject and body in English, Chinese or both")
	}
	return ve.orNil()
}

// templateProblem says what is wrong with one template ("" nothing).
func templateProblem(s string, max int, line bool) string {
	switch {
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("is at most %d characters", max)
	case !utf8.ValidString(s):
		return "is not valid text"
	case line && strings.Contains(s, "\n"):
		return "is one line"
	case strings.ContainsAny(s, "<>"):
		return "is plain text: no HTML (Spoke sends no tracking pixel and no markup)"
	}
	for _, p := range placeholderRE.FindAllString(s, -1) {
		if p != PlaceholderFirstName && p != PlaceholderShop {
			return "may use only the placeholders " + PlaceholderFirstName + " and " + PlaceholderShop
		}
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
		return "has control characters"
	}
	return ""
}

// RenderCampaign fills a template's placeholders on the sending device: the customer's first
// name (opened there, never stored with the campaign) and the shop's name.
func RenderCampaign(template, firstName, shopName string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x20 {
				return ' '
			}
			return r
		}, strings.TrimSpace(s))
	}
	return strings.NewReplacer(PlaceholderFirstName, clean(firstName), PlaceholderShop, clean(shopName)).Replace(template)
}

// Template returns the subject and body of a campaign in a language ("zh" or "en"), falling
// back to the other when that one is not written.
func (c *Campaign) Template(lang string) (subject, body string) {
	if strings.HasPrefix(lang, "zh") && c.BodyZH != "" || c.BodyEN == "" {
		return c.SubjectZH, c.BodyZH
	}
	return c.SubjectEN, c.BodyEN
}

// suppressed keeps a count under MinCell as -1.
func suppressed(n int64) int64 {
	if n < MinCell {
		return -1
	}
	return n
}

// CreateCampaign writes a campaign, one row per shop of its audience, each in that shop's
// scope (so the device writing it must be one that may write those shops: an owner's, or one
// enrolled for them). The audience is resolved with the differencing guard, as AudienceCount
// does, and each row keeps its shop's consented count at creation (under 5: -1). Who may:
// marketing and owners for any shops, a manager for their own. Audited "campaign.create".
func (ss *Session) CreateCampaign(ctx context.Context, in CampaignInput) (string, error) {
	if err := in.validate(); err != nil {
		return "", err
	}
	a, err := ss.buildAudience(ctx, in.Spec, "campaign.create")
	if err != nil {
		return "", err
	}
	id := newID()
	spec := string(a.spec.canonical())
	err = ss.write(ctx, "campaign.create", func(w *wtx) error {
		w.audit.Target = id
		shown := map[string]int64{}
		for _, sh := range a.counts.Shops {
			shown[sh.ShopID] = sh.Count
		}
		for _, sh := range a.shops {
			if _, err := w.allow(ss, OpCampaigns, target{shopID: sh.ID}); err != nil {
				return err
			}
			n, ok := shown[sh.ID] // as shown: suppressed, or the earlier audience's (the guard)
			if !ok {
				n = -1
			}
			if err := w.insert("campaigns", sh.ID, newID(), []col{
				plain("campaign_id", id), plain("shop_id", sh.ID), plain("name", in.Name), plain("purpose", string(a.spec.Purpose)),
				plain("channel", string(a.spec.Channel)), plain("spec", spec),
				plain("subject_en", in.SubjectEN), plain("body_en", in.BodyEN), plain("subject_zh", in.SubjectZH), plain("body_zh", in.BodyZH),
				plain("audience", n), plain("created_by", ss.user.ID), plain("created_at", w.now),
				plain("status", CampaignActive), plain("sent", int64(0)), plain("skipped", int64(0)), plain("sent_by", ""), plain("sent_at", int64(0)),
			}); err != nil {
				return err
			}
		}
		w.audit.Detail = a.spec.shape() + " " + a.counts.detail()
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

type campaignRow struct {
	id, campaignID, shop, name, purpose, channel, spec string
	subjectEN, bodyEN, subjectZH, bodyZH               string
	audience                                           int64
	createdBy                                          string
	createdAt                                          int64
	status                                             string
	sent, skipped                                      int64
	sentBy                                             string
	sentAt                                             int64
}

const campaignCols = "id, campaign_id, shop_id, name, purpose, channel, spec, subject_en, body_en, subject_zh, body_zh, audience, created_by, created_at, status, sent, skipped, sent_by, sent_at"

func scanCampaign(sc interface{ Scan(...any) error }) (*campaignRow, error) {
	var r campaignRow
	err := sc.Scan(&r.id, &r.campaignID, &r.shop, &r.name, &r.purpose, &r.channel, &r.spec, &r.subjectEN, &r.bodyEN, &r.subjectZH, &r.bodyZH,
		&r.audience, &r.createdBy, &r.createdAt, &r.status, &r.sent, &r.skipped, &r.sentBy, &r.sentAt)
	return &r, err
}

// campaignProblem says what about a row Spoke would never write ("" nothing): a spec that
// does not parse or does not match the row's purpose, channel or shop, text with markup or
// other placeholders, counts out of range.
func campaignProblem(r *campaignRow) string {
	sp, err := ParseAudienceSpec([]byte(r.spec))
	switch {
	case err != nil:
		return "its audience spec is not one Spoke writes"
	case string(sp.Purpose) != r.purpose || string(sp.Channel) != r.channel:
		return "its purpose or channel differs from its spec's"
	case len(sp.Shops) > 0 && !slices.Contains(sp.Shops, r.shop):
		return "its shop is not one its spec names"
	case r.status != CampaignActive && r.status != CampaignCancelled:
		return "its status is unknown"
	case r.audience < -1 || r.sent < -1 || r.skipped < -1 || (r.audience >= 0 && r.audience < MinCell) ||
		(r.sent > 0 && r.sent < MinCell) || (r.skipped > 0 && r.skipped < MinCell):
		return "a count under 5 is not kept as it is"
	case (r.sentBy == "") != (r.sentAt == 0):
		return "its send names no sender or no time"
	}
	in := CampaignInput{Name: r.name, SubjectEN: r.subjectEN, BodyEN: r.bodyEN, SubjectZH: r.subjectZH, BodyZH: r.bodyZH}
	if err := in.validate(); err != nil || in.Name != r.name {
		return "its text is not one Spoke writes"
	}
	return ""
}

// mayCreateCampaign reports whether u may write a campaign for shop.
func mayCreateCampaign(u *User, shop string) bool {
	if u == nil || !u.Active {
		return false
	}
	_, ok := u.permits(OpCampaigns, target{shopID: shop})
	return ok
}

// maySendCampaign reports whether u may resolve and send a campaign in shop: the owner, or
// the shop's manager (the grant over the shop's customers' contact details), never marketing.
func maySendCampaign(u *User, shop string) bool {
	if u == nil || !u.Active {
		return false
	}
	if _, ok := u.permits(OpCampaigns, target{shopID: shop}); !ok {
		return false
	}
	g, ok := u.permits(OpCustomerPIIOther, target{shopID: shop})
	return ok && (g == All || g == ShopOnly)
}

// checkCampaigns refuses a set leaving a campaign row Spoke would not write: written for a
// shop by someone without the campaigns grant there (a salesperson, a manager of another
// shop), a send recorded by someone who may not send there, or a value out of its rules.
// rowShops has already kept the row to the set's shop.
func (a *applier) checkCampaigns(ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	staff, err := a.s.grantHolders(a.ctx)
	if err != nil {
		return err
	}
	for id := range ids {
		r, err := scanCampaign(a.tx.QueryRowContext(a.ctx, "SELECT "+campaignCols+" FROM campaigns WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if !mayCreateCampaign(staffByID(staff, r.createdBy), r.shop) {
			return &RemoteError{"a campaign was written by someone without the campaigns grant for its shop"}
		}
		if r.sentBy != "" && !maySendCampaign(staffByID(staff, r.sentBy), r.shop) {
			return &RemoteError{"a campaign's send was recorded by someone who may not send for its shop"}
		}
		if p := campaignProblem(r); p != "" {
			return &RemoteError{"a campaign row: " + p}
		}
	}
	return nil
}

// loadCampaignRows reads a campaign's rows the user may see (each checked against its MAC
// and the rules), in shop-name order.
func (ss *Session) loadCampaignRows(ctx context.Context, where string, args ...any) ([]*campaignRow, error) {
	rows, err := ss.s.db.QueryContext(ctx, "SELECT "+campaignCols+" FROM campaigns WHERE "+where+" ORDER BY created_at DESC, campaign_id, shop_id", args...)
	if err != nil {
		return nil, err
	}
	var out []*campaignRow
	for rows.Next() {
		r, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := ss.permits(OpCampaigns, target{shopID: r.shop}); ok {
			out = append(out, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range out {
		if err := ss.s.checkRow(ctx, ss.s.db, tables["campaigns"], r.id); err != nil {
			return nil, err
		}
		if p := campaignProblem(r); p != "" {
			return nil, fmt.Errorf("campaign row %s: %s", r.id, p)
		}
	}
	return out, nil
}

// group turns rows into campaigns (in the rows' order).
func (ss *Session) groupCampaigns(ctx context.Context, rs []*campaignRow) []Campaign {
	shops := map[string]string{}
	if all, err := ss.Shops(ctx); err == nil {
		for _, s := range all {
			shops[s.ID] = s.Name
		}
	}
	var out []Campaign
	at := map[string]int{}
	for _, r := range rs {
		i, ok := at[r.campaignID]
		if !ok {
			sp, _ := ParseAudienceSpec([]byte(r.spec))
			out = append(out, Campaign{ID: r.campaignID, Name: r.name, Purpose: Purpose(r.purpose), Channel: Channel(r.channel), Spec: sp,
				SubjectEN: r.subjectEN, BodyEN: r.bodyEN, SubjectZH: r.subjectZH, BodyZH: r.bodyZH, CreatedBy: r.createdBy,
				Creator: ss.s.username(ctx, r.createdBy), CreatedAt: time.UnixMilli(r.createdAt)})
			i = len(out) - 1
			at[r.campaignID] = i
		}
		cs := CampaignShop{RowID: r.id, ShopID: r.shop, Shop: shops[r.shop], Audience: r.audience, Status: r.status, Sent: r.sent, Skipped: r.skipped}
		if r.sentAt > 0 {
			cs.SentBy, cs.SentAt = ss.s.username(ctx, r.sentBy), time.UnixMilli(r.sentAt)
		}
		out[i].Shops = append(out[i].Shops, cs)
	}
	for i := range out {
		slices.SortFunc(out[i].Shops, func(a, b CampaignShop) int { return strings.Compare(a.Shop, b.Shop) })
	}
	return out
}

// Campaigns lists the campaigns with the rows of the shops the user's grant covers (marketing
// and owners: all; a manager: their shop's), newest first. Counts only. Audited "campaign.list".
func (ss *Session) Campaigns(ctx context.Context) ([]Campaign, error) {
	g, err := ss.require(ctx, OpCampaigns, target{any: true}, "campaign.list", "")
	if err != nil {
		return nil, err
	}
	rs, err := ss.loadCampaignRows(ctx, "1 = 1")
	if err != nil {
		return nil, err
	}
	out := ss.groupCampaigns(ctx, rs)
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "campaign.list", Grant: g, Detail: fmt.Sprintf("campaigns=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// CampaignByID returns one campaign (ErrNotFound when none of its rows is the user's to see).
// Audited "campaign.read".
func (ss *Session) CampaignByID(ctx context.Context, id string) (*Campaign, error) {
	g, err := ss.require(ctx, OpCampaigns, target{any: true}, "campaign.read", id)
	if err != nil {
		return nil, err
	}
	rs, err := ss.loadCampaignRows(ctx, "campaign_id = ?", id)
	if err != nil {
		return nil, err
	}
	out := ss.groupCampaigns(ctx, rs)
	if len(out) == 0 {
		return nil, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "campaign.read", Target: id, Grant: g, Detail: fmt.Sprintf("shops=%d", len(out[0].Shops))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &out[0], nil
}

// ErrCampaignSent means the shop's send of a campaign is recorded already.
var ErrCampaignSent = errors.New("this campaign was sent for this shop already")

// ErrNotShopDevice means a campaign is resolved and sent only on a device of its shop.
var ErrNotShopDevice = errors.New("a campaign's recipients are resolved on a device of its shop: use one of that shop's devices")

// sendable loads the shop's row of a campaign for a send step: the user may send there
// (owner, the shop's manager), this device is one of the shop's (or an owner's), the row is
// intact and active.
func (ss *Session) sendable(ctx context.Context, campaignID, shopID, action string) (*campaignRow, error) {
	if _, err := ss.require(ctx, OpCampaigns, target{any: true}, action, campaignID); err != nil {
		return nil, err
	}
	if g, ok := ss.permits(OpCustomerPIIOther, target{any: true}); !ok || (g != All && g != ShopOnly) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: campaignID, Outcome: "denied"})
		return nil, ErrForbidden // marketing builds campaigns; only the shop resolves them
	}
	if shopID == "" {
		shopID = ss.user.ShopID
	}
	if shopID == "" {
		return nil, &FieldError{"shop", "name the shop whose recipients to resolve"}
	}
	t := target{shopID: shopID}
	if _, err := ss.require(ctx, OpCampaigns, t, action, campaignID); err != nil {
		return nil, err
	}
	if g, ok := ss.permits(OpCustomerPIIOther, t); !ok || (g != All && g != ShopOnly) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: campaignID, Outcome: "denied"})
		return nil, ErrForbidden
	}
	if !ss.s.mayWrite(ctx, ss.s.db, shopID) {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: campaignID, Outcome: "refused", Detail: "not this shop's device"})
		return nil, ErrNotShopDevice
	}
	rs, err := ss.loadCampaignRows(ctx, "campaign_id = ? AND shop_id = ?", campaignID, shopID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("campaign %s for shop %s: %w", campaignID, shopID, ErrNotFound)
	}
	r := rs[0]
	if r.status != CampaignActive {
		return nil, fmt.Errorf("campaign %s is %s", campaignID, r.status)
	}
	return r, nil
}

// CampaignRecipients returns the ids of the signed-in manager's shop's customers who match a
// campaign's audience now and whose consent for its purpose and channel is current (as
// AuthorizeSend decides it, each deciding event authenticated). For the owner or the shop's
// manager on a device of that shop; never marketing. Audited "campaign.recipients" with the
// count. The sending device opens each recipient's address itself (the mail package).
func (ss *Session) CampaignRecipients(ctx context.Context, campaignID string) ([]string, error) {
	return ss.CampaignRecipientsFor(ctx, campaignID, "")
}

// CampaignRecipientsFor is CampaignRecipients for a named shop (an owner's device holds
// every shop's rows; "" is the user's shop).
func (ss *Session) CampaignRecipientsFor(ctx context.Context, campaignID, shopID string) ([]string, error) {
	r, err := ss.sendable(ctx, campaignID, shopID, "campaign.recipients")
	if err != nil {
		return nil, err
	}
	sp, err := ParseAudienceSpec([]byte(r.spec))
	if err != nil {
		return nil, err
	}
	var shop Shop
	if err := ss.s.db.QueryRowContext(ctx, "SELECT id, name, region, currency FROM shops WHERE id = ?", r.shop).Scan(&shop.ID, &shop.Name, &shop.Region, &shop.Currency); err != nil {
		return nil, err
	}
	var ids []string
	if !sp.banded() || strings.EqualFold(shop.Currency, sp.SpendCurrency) {
		a, err := ss.s.resolveAudience(ctx, ss.s.db, sp, []Shop{shop})
		if err != nil {
			return nil, err
		}
		// A withdrawal turned into a grant in the file must not put anyone into a campaign.
		for _, id := range a.members {
			if err := ss.s.checkRow(ctx, ss.s.db, tables["consents"], a.events[id]); err != nil {
				return nil, err
			}
		}
		ids = a.members
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "campaign.recipients", Target: campaignID,
		Detail: fmt.Sprintf("shop=%s purpose=%s channel=%s customers=%d", r.shop, sp.Purpose, sp.Channel, len(ids))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return ids, nil
}

// RecordCampaignSend records the outcome of a shop's send of a campaign: how many messages
// went out and how many recipients were skipped (no address, refused by AuthorizeSend at send
// time, a failed delivery). Counts only; under MinCell the row keeps -1 (the audit entry on
// this device keeps the exact counts). Once per shop. For the owner or the shop's manager on
// a device of that shop. Audited "campaign.send".
func (ss *Session) RecordCampaignSend(ctx context.Context, campaignID, shopID string, sent, skipped int) error {
	if sent < 0 || skipped < 0 {
		return &FieldError{"sent", "counts are zero or more"}
	}
	r, err := ss.sendable(ctx, campaignID, shopID, "campaign.send")
	if err != nil {
		return err
	}
	if r.sentAt > 0 {
		return fmt.Errorf("campaign %s, shop %s: %w", campaignID, r.shop, ErrCampaignSent)
	}
	keep := func(n int) int64 {
		if n == 0 {
			return 0
		}
		return suppressed(int64(n))
	}
	return ss.write(ctx, "campaign.send", func(w *wtx) error {
		w.audit.Target = campaignID
		if _, err := w.allow(ss, OpCampaigns, target{shopID: r.shop}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("shop=%s purpose=%s channel=%s sent=%d skipped=%d", r.shop, r.purpose, r.channel, sent, skipped)
		return w.update("campaigns", r.shop, r.id, []col{plain("sent", keep(sent)), plain("skipped", keep(skipped)),
			plain("sent_by", ss.user.ID), plain("sent_at", w.now)})
	})
}

// CancelCampaign stops a campaign in every shop the user may run campaigns for where it is not
// sent yet. Audited "campaign.cancel" with the number of shops.
func (ss *Session) CancelCampaign(ctx context.Context, campaignID string) error {
	rs, err := ss.loadCampaignRows(ctx, "campaign_id = ?", campaignID)
	if err != nil {
		return err
	}
	return ss.write(ctx, "campaign.cancel", func(w *wtx) error {
		w.audit.Target = campaignID
		if _, err := w.allow(ss, OpCampaigns, target{any: true}); err != nil {
			return err
		}
		n := 0
		for _, r := range rs {
			if r.status != CampaignActive || r.sentAt > 0 {
				continue
			}
			if _, err := w.allow(ss, OpCampaigns, target{shopID: r.shop}); err != nil {
				return err
			}
			if err := w.update("campaigns", r.shop, r.id, []col{plain("status", CampaignCancelled)}); err != nil {
				return err
			}
			n++
		}
		if len(rs) == 0 {
			return fmt.Errorf("campaign %s: %w", campaignID, ErrNotFound)
		}
		w.audit.Detail = fmt.Sprintf("shops=%d", n)
		return nil
	})
}

// PendingCampaigns lists, for the owner or a manager on a device of their shop, the active
// campaigns of the shop not yet sent (the shop side's list). Audited as campaign.list.
func (ss *Session) PendingCampaigns(ctx context.Context) ([]Campaign, error) {
	all, err := ss.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	var out []Campaign
	for _, c := range all {
		var mine []CampaignShop
		for _, s := range c.Shops {
			if s.Status == CampaignActive && s.SentAt.IsZero() && maySendCampaign(ss.user, s.ShopID) && ss.s.mayWrite(ctx, ss.s.db, s.ShopID) &&
				(ss.user.ShopID == "" || ss.user.ShopID == s.ShopID) {
				mine = append(mine, s)
			}
		}
		if len(mine) > 0 {
			c.Shops = mine
			out = append(out, c)
		}
	}
	return out, nil
}
