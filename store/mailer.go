package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"spoke/crypto/keys"
	"spoke/crypto/seal"
	"spoke/mail"
)

// A shop's mail server (issue 14). One shop_mail row per shop, synced in the shop's scope, so
// every device of the shop can send. The SMTP user name and password are sealed (AES-256-GCM,
// bound to the row and column) under a key derived with HKDF from the shop's erasure-ledger
// key, which every device of the shop holds and which survives the rotations of the shop key
// (indexkeys.go); the rest (host, port, the shop's sending address and name, its booking link,
// where one-click unsubscribes go) is the shop's business.

// MailSettings are a shop's mail server and how its messages read.
type MailSettings struct {
	mail.Settings
	Lang    string `json:"lang"`    // "en" or "zh": the letters' language
	Booking string `json:"booking"` // a booking link or phone number put in reminders
	// UnsubscribeBase is the public https address of the hub's /u/ route (e.g.
	// "https://hub.example-bikes.com"); "" sends a mailto: unsubscribe only.
	UnsubscribeBase string    `json:"unsubscribe_base"`
	SetBy           string    `json:"set_by,omitempty"`
	SetAt           time.Time `json:"set_at,omitzero"`
	HasPassword     bool      `json:"has_password"`
}

const (
	purposeMailSecret  = "spoke/mail-secret/v1"
	purposeUnsubscribe = "spoke/unsubscribe/v1"
)

// shopSubKey derives a key of a shop for a purpose from its erasure-ledger key.
func (s *Store) shopSubKey(ctx context.Context, q querier, shopID, purpose string) ([]byte, error) {
	k, err := s.derivedShopKey(ctx, q, shopID, ledgerPurpose)
	if err != nil {
		return nil, err
	}
	return keys.Derive(k, purpose), nil
}

func mailRowID(shopID string) string {
	h := sha256.Sum256([]byte("spoke/shop-mail/v1\x00" + shopID))
	u, _ := uuid.FromBytes(h[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

type mailSecret struct {
	Username string `json:"u"`
	Password string `json:"p"`
}

// SetMailSettings stores a shop's mail server (the owner, or the shop's manager). An empty
// Password with the same Username keeps the stored one.
func (ss *Session) SetMailSettings(ctx context.Context, shopID string, m MailSettings) error {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return err
	}
	if m.Lang == "" {
		m.Lang = "en"
	}
	return ss.write(ctx, "mail.settings", func(w *wtx) error {
		w.audit.Target = shopID
		g, err := ss.shopAdmin(shopID)
		if err != nil {
			return err
		}
		w.audit.Grant = g
		if m.Password == "" && m.Username != "" {
			// The stored password stays only with the same login on the same server: pointed
			// elsewhere, it would go to whoever runs that server.
			if old, err := ss.s.mailSettings(ctx, w.tx, shopID); err == nil && old.Username == m.Username && sameServer(old.Settings, m.Settings) {
				m.Password = old.Password
			}
		}
		if err := m.Settings.Validate(); err != nil {
			return &FieldError{"mail", strings.TrimPrefix(err.Error(), "mail: ")}
		}
		if m.Lang != "en" && m.Lang != "zh" {
			return &FieldError{"lang", "must be en or zh"}
		}
		if len(m.Booking) > 300 || strings.ContainsAny(m.Booking, "\r\n") {
			return &FieldError{"booking", "one line, up to 300 characters"}
		}
		if m.UnsubscribeBase != "" {
			m.UnsubscribeBase = strings.TrimRight(m.UnsubscribeBase, "/")
			if !validUnsubscribeBase(m.UnsubscribeBase) {
				return &FieldError{"unsubscribe_base", "must be the hub's public https address, e.g. https://hub.example.com"}
			}
		}
		id := mailRowID(shopID)
		var secret []byte
		if m.Username != "" {
			k, err := ss.s.shopSubKey(ctx, w.tx, shopID, purposeMailSecret)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(mailSecret{m.Username, m.Password})
			secret, err = seal.Seal(k, b, seal.FieldAD("shop_mail", id, "secret", 1))
			seal.Wipe(b)
			if err != nil {
				return err
			}
		}
		cols := []col{plain("host", strings.TrimSpace(m.Host)), plain("port", m.Port), plain("implicit_tls", boolInt(m.ImplicitTLS)),
			plain("from_addr", strings.TrimSpace(m.From)), plain("from_name", m.FromName), plain("reply_to", m.ReplyTo), plain("ca_pem", m.CACertPEM),
			sealedCol("secret", secret), plain("lang", m.Lang), plain("booking", m.Booking), plain("unsubscribe_base", m.UnsubscribeBase),
			plain("set_by", ss.user.ID), plain("set_at", w.now)}
		var have int
		if err := w.tx.QueryRowContext(ctx, "SELECT count(*) FROM shop_mail WHERE id = ?", id).Scan(&have); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("port=%d implicit_tls=%t login=%t hub_unsubscribe=%t lang=%s", m.Port, m.ImplicitTLS, m.Username != "", m.UnsubscribeBase != "", m.Lang)
		if have > 0 {
			return w.update("shop_mail", shopID, id, cols)
		}
		return w.insert("shop_mail", shopID, id, append([]col{plain("shop_id", shopID)}, cols...))
	})
}

// sameServer: the same host, port, TLS mode and trusted CA.
func sameServer(a, b mail.Settings) bool {
	return strings.EqualFold(strings.TrimSpace(a.Host), strings.TrimSpace(b.Host)) && a.Port == b.Port && a.ImplicitTLS == b.ImplicitTLS &&
		a.CACertPEM == b.CACertPEM && a.ServerName == b.ServerName
}

// validUnsubscribeBase: an https origin with an optional path, nothing else ("https://hub#"
// or one with a user, a query or a fragment would break every link).
func validUnsubscribeBase(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" &&
		!strings.HasSuffix(v, "#") && !strings.HasSuffix(v, "?") && len(v) <= 300 && !strings.ContainsAny(v, " <>\"\\")
}

// MailSettings returns a shop's mail server without its password (HasPassword says whether
// one is stored): the owner, or the shop's manager.
func (ss *Session) MailSettings(ctx context.Context, shopID string) (*MailSettings, error) {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return nil, err
	}
	if _, err := ss.shopAdmin(shopID); err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "mail.settings.read", Target: shopID, Outcome: "denied"})
		return nil, err
	}
	m, err := ss.s.mailSettings(ctx, ss.s.db, shopID)
	if err != nil {
		return nil, err
	}
	m.HasPassword, m.Password = m.Password != "", ""
	return m, nil
}

// mailSettings reads and opens a shop's row; ErrNoMailServer when there is none.
func (s *Store) mailSettings(ctx context.Context, q querier, shopID string) (*MailSettings, error) {
	id := mailRowID(shopID)
	var m MailSettings
	var implicit, at int64
	var secret []byte
	err := q.QueryRowContext(ctx, `SELECT host, port, implicit_tls, from_addr, from_name, reply_to, ca_pem, secret, lang, booking, unsubscribe_base, set_by, set_at
		FROM shop_mail WHERE id = ? AND shop_id = ?`, id, shopID).Scan(&m.Host, &m.Port, &implicit, &m.From, &m.FromName, &m.ReplyTo, &m.CACertPEM, &secret,
		&m.Lang, &m.Booking, &m.UnsubscribeBase, &m.SetBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoMailServer
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkRow(ctx, q, tables["shop_mail"], id); err != nil {
		return nil, err
	}
	// The row may have come by sync from any device of the shop: it decides where every
	// device's mail (and its addresses) goes, so it counts only when an owner, or the shop's
	// manager, as the owner-signed staff records say, set it, and it holds what Spoke writes.
	if err := s.mayHaveSetMail(ctx, q, shopID, m.SetBy); err != nil {
		return nil, err
	}
	if (m.UnsubscribeBase != "" && !validUnsubscribeBase(m.UnsubscribeBase)) || (m.Lang != "en" && m.Lang != "zh") {
		return nil, fmt.Errorf("the shop's mail settings (row %s) hold values Spoke does not write: set them again (spoke mail set)", id)
	}
	m.ImplicitTLS, m.SetAt = implicit == 1, time.UnixMilli(at).UTC()
	if secret != nil {
		k, err := s.shopSubKey(ctx, q, shopID, purposeMailSecret)
		if err != nil {
			return nil, err
		}
		b, err := seal.Open(k, secret, seal.FieldAD("shop_mail", id, "secret", 1))
		if err != nil {
			return nil, &SealError{Table: "shop_mail", Row: id, Column: "secret", Err: err}
		}
		var ms mailSecret
		err = json.Unmarshal(b, &ms)
		seal.Wipe(b)
		if err != nil {
			return nil, &SealError{Table: "shop_mail", Row: id, Column: "secret", Err: err}
		}
		m.Username, m.Password = ms.Username, ms.Password
	}
	return &m, nil
}

// ErrMailSetter means a shop's mail settings were written by someone who may not set them.
var ErrMailSetter = errors.New("the shop's mail settings were not set by an owner or the shop's manager: set them again (spoke mail set)")

// mayHaveSetMail checks, against the verified staff records, that the user who set a shop's
// mail server is an owner or that shop's manager.
func (s *Store) mayHaveSetMail(ctx context.Context, q querier, shopID, userID string) error {
	us, err := s.verifiedUsersVia(ctx, q, "id = ?", userID)
	if err != nil {
		return err
	}
	for _, u := range us {
		roles := strings.Split(u.roles, ",")
		if slices.Contains(roles, string(RoleOwner)) || slices.Contains(roles, string(RoleManager)) && u.shopID.Valid && u.shopID.String == shopID {
			return nil
		}
	}
	return ErrMailSetter
}

// SendReport counts one send.
type SendReport struct {
	Sent      int `json:"sent"`
	NoConsent int `json:"no_consent"`
	NoAddress int `json:"no_address"`
	Failed    int `json:"failed"`
	// Errors are the distinct reasons of failures (never an address).
	Errors []string `json:"errors,omitempty"`
}

// firstName is how a letter greets: the first word of a Latin name, a CJK name whole.
func firstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// formatDue writes a due date for a letter's language.
func formatDue(t time.Time, lang string) string {
	if lang == "zh" {
		return t.Format("2006年1月2日")
	}
	return t.Format("2 January 2006")
}

// outgoing is one message being prepared: who it is for, what it says, what became of it.
type outgoing struct {
	c *custRow
	// purpose names the consent the message's unsubscribe withdraws ("" for a message that
	// has none: a recall notice, a legal obligation).
	purpose Purpose
	kind    string
	// compose writes the subject and body once the customer's name and the unsubscribe are
	// known (l has FirstName, Shop, Lang, Token, Unsubscribe filled).
	compose func(l mail.Letter) (subject, body string, err error)
	outcome ReminderOutcome // set before deliver: skipped (no consent); after: sent, failed, no address
	msg     mail.Message
	// recheck, when set, asks again right before the message goes (a consent withdrawn
	// while the batch is going out stops the rest); an ErrNoConsent skips it.
	recheck func() error
	idx     int // the caller's index of what the message is for
}

// claimFunc records, before anything is sent, that these messages are going (so a second
// run, on this device or another, does not send them again) and returns those it claimed.
type claimFunc func(sendable []*outgoing) ([]*outgoing, error)

// deliver opens each pending message's address on this device, gives it the customer's
// one-click unsubscribe (its token recorded before anything leaves), composes it and sends
// the lot through the shop's server. It sets each outgoing's outcome and counts them; the
// caller records what became of each. Addresses stay in this process: not in the audit, an
// error or a file.
func (ss *Session) deliver(ctx context.Context, shopID string, ms *MailSettings, shopName string, out []*outgoing, claim claimFunc, tr mail.Transport) (*SendReport, error) {
	rep := &SendReport{}
	var sendable []*outgoing
	tokens := map[Purpose]bool{}
	for _, o := range out {
		if o.outcome != "" {
			continue
		}
		f, err := ss.s.openFields(ctx, o.c, fieldsIndexed, false)
		if err != nil {
			return nil, err
		}
		if f.email == "" {
			o.outcome = OutcomeNoAddress
			continue
		}
		l := mail.Letter{Kind: o.kind, Lang: ms.Lang, FirstName: firstName(f.name), Shop: shopName, Booking: ms.Booking}
		o.msg = mail.Message{To: f.email, ToName: f.name, Kind: o.kind}
		if o.purpose != "" {
			tok, err := ss.s.unsubscribeToken(ctx, shopID, o.c.id, o.purpose)
			if err != nil {
				return nil, err
			}
			l.Token, o.msg.Token = tok, tok
			if ms.UnsubscribeBase != "" {
				l.Unsubscribe = ms.UnsubscribeBase + "/u/" + tok
				o.msg.UnsubscribeURL = l.Unsubscribe
			}
			tokens[o.purpose] = true
		}
		if o.msg.Subject, o.msg.Body, err = o.compose(l); err != nil {
			return nil, err
		}
		o.msg.Check = o.recheck
		sendable = append(sendable, o)
	}
	// Opening the addresses is a read of personal data: audited, with the count.
	if n := len(sendable) + countOutcome(out, OutcomeNoAddress); n > 0 {
		if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "mail.addresses", Target: shopID,
			Fields: []string{"customers.name", "customers.email"}, Detail: fmt.Sprintf("customers=%d", n)}); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	if len(sendable) == 0 {
		return rep, nil
	}
	if len(tokens) > 0 {
		// The tokens first, so a click on a link that left resolves on every device.
		if err := ss.write(ctx, "unsubscribe.tokens", func(w *wtx) error {
			w.audit.Target = shopID
			n := 0
			for _, o := range sendable {
				if o.purpose == "" {
					continue
				}
				added, err := w.putUnsubscribeToken(shopID, o.c.id, o.purpose, o.msg.Token)
				if err != nil {
					return err
				}
				if added {
					n++
				}
			}
			w.audit.Detail = fmt.Sprintf("added=%d", n)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if claim != nil {
		var err error
		if sendable, err = claim(sendable); err != nil {
			return nil, err
		}
		if len(sendable) == 0 {
			return rep, nil
		}
	}
	msgs := make([]mail.Message, len(sendable))
	for i, o := range sendable {
		msgs[i] = o.msg
	}
	errs, err := tr.Send(ctx, ms.Settings, msgs)
	if err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "mail.send", Target: shopID, Outcome: "failed", Detail: fmt.Sprintf("messages=%d", len(msgs))})
		return nil, err
	}
	seen := map[string]bool{}
	for i, o := range sendable {
		o.outcome = OutcomeSent
		switch {
		case errors.Is(errs[i], ErrNoConsent):
			o.outcome = OutcomeNoConsent
		case errs[i] != nil:
			o.outcome = OutcomeFailed
			if r := errs[i].Error(); !seen[r] {
				seen[r], rep.Errors = true, append(rep.Errors, r)
			}
		}
	}
	return rep, nil
}

func countOutcome(out []*outgoing, o ReminderOutcome) int {
	n := 0
	for _, x := range out {
		if x.outcome == o {
			n++
		}
	}
	return n
}

// consentStill is the recheck of a consented message: the customer's current decision for
// the purpose by e-mail (authenticated) must still be a grant, or, where the message is part of
// a job (needGrant false), must not be a withdrawal.
func (ss *Session) consentStill(ctx context.Context, customerID string, p Purpose, needGrant bool) func() error {
	return func() error {
		ev, err := sendDecision(ctx, ss.s.db, customerID, p, ChannelEmail)
		if err == nil && ev != nil {
			err = ss.s.checkRow(ctx, ss.s.db, tables["consents"], ev.ID)
		}
		switch {
		case err != nil:
			return err
		case ev == nil && !needGrant, ev != nil && ev.Granted:
			return nil
		}
		return &ConsentError{CustomerID: customerID, Purpose: p, Channel: ChannelEmail}
	}
}

// count adds the outcomes to the report.
func (rep *SendReport) count(out []*outgoing) {
	for _, o := range out {
		switch o.outcome {
		case OutcomeSent:
			rep.Sent++
		case OutcomeNoConsent:
			rep.NoConsent++
		case OutcomeNoAddress:
			rep.NoAddress++
		case OutcomeFailed:
			rep.Failed++
		}
	}
}

// shopMail reads a shop's mail settings and name for a send.
func (ss *Session) shopMail(ctx context.Context, shopID string) (*MailSettings, string, error) {
	ms, err := ss.s.mailSettings(ctx, ss.s.db, shopID)
	if err != nil {
		return nil, "", err
	}
	var name string
	if err := ss.s.db.QueryRowContext(ctx, "SELECT name FROM shops WHERE id = ?", shopID).Scan(&name); err != nil {
		return nil, "", err
	}
	return ms, name, nil
}

// SendReminders e-mails the due reminders (ids: those of the due list to send; nil: every
// due one) through the shop's mail server. A reminder goes only where the customer's current
// consent for service reminders by e-mail is a grant (AuthorizeSend, audited per customer); a
// "your bike is ready" notice is part of the job the customer asked for (contract) and goes
// unless they withdrew service messages by e-mail. Each message carries the customer's
// one-click unsubscribe. What became of each is recorded (sent, no consent, no address,
// failed: the last three stay on the list); the send is audited with counts, never addresses.
func (ss *Session) SendReminders(ctx context.Context, shopID string, ids []string, tr mail.Transport) (*SendReport, error) {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return nil, err
	}
	due, err := ss.DueReminders(ctx, DueOptions{ShopID: shopID})
	if err != nil {
		return nil, err
	}
	if ids != nil {
		want := map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
		var keep []DueReminder
		for _, d := range due {
			if want[d.ID] {
				keep = append(keep, d)
			}
		}
		due = keep
	}
	ms, shopName, err := ss.shopMail(ctx, shopID)
	if err != nil {
		return nil, err
	}
	out := make([]*outgoing, len(due))
	for i, d := range due {
		c, err := ss.s.loadCust(ctx, ss.s.db, d.CustomerID)
		if err != nil {
			return nil, err
		}
		if _, err := ss.allow(OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return nil, err
		}
		d := d
		ready := d.Kind == KindReady
		o := &outgoing{c: c, purpose: PurposeServiceReminders, kind: string(d.Kind), idx: i, recheck: ss.consentStill(ctx, c.id, PurposeServiceReminders, !ready),
			compose: func(l mail.Letter) (string, string, error) {
				l.Bike, l.Due, l.Job = d.Bike, formatDue(d.Due, l.Lang), JobNumber(d.WorkOrderID)
				return mail.Compose(l)
			}}
		out[i] = o
		if ready {
			// Part of the job: it goes unless the customer withdrew (the deciding event
			// authenticated).
			err = o.recheck()
		} else {
			err = ss.AuthorizeSend(ctx, c.id, PurposeServiceReminders, ChannelEmail)
		}
		if err != nil {
			if !errors.Is(err, ErrNoConsent) {
				return nil, err
			}
			o.outcome = OutcomeNoConsent
		}
	}
	// Claimed before anything leaves: each reminder is recorded sent in one transaction that
	// first skips those another run (here or synced from another device) handled meanwhile;
	// a failure is rewritten after. A process that dies mid-send leaves them sent, never twice.
	claim := func(sendable []*outgoing) ([]*outgoing, error) {
		var mine []*outgoing
		err := ss.write(ctx, "reminder.claim", func(w *wtx) error {
			w.audit.Target = shopID
			for _, o := range sendable {
				var outcome string
				err := w.tx.QueryRowContext(ctx, "SELECT outcome FROM reminder_sends WHERE id = ?", due[o.idx].ID).Scan(&outcome)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				if outcome == string(OutcomeSent) || outcome == string(OutcomeCalled) || outcome == string(OutcomeDismissed) {
					continue
				}
				if err := w.recordReminder(due[o.idx], "email", OutcomeSent, ss.user.ID); err != nil {
					return err
				}
				mine = append(mine, o)
			}
			w.audit.Detail = fmt.Sprintf("claimed=%d of=%d", len(mine), len(sendable))
			return nil
		})
		return mine, err
	}
	rep, err := ss.deliver(ctx, shopID, ms, shopName, out, claim, tr)
	if err != nil {
		return nil, err
	}
	rep.count(out)
	ready := 0
	err = ss.write(ctx, "reminder.send", func(w *wtx) error {
		w.audit.Target = shopID
		for i, o := range out {
			if o.outcome == OutcomeSent && due[i].Kind == KindReady {
				ready++
			}
			// Sent ones are recorded by the claim; one another run claimed is not touched.
			if o.outcome == "" || o.outcome == OutcomeSent {
				continue
			}
			if err := w.recordReminder(due[i], "email", o.outcome, ss.user.ID); err != nil {
				return err
			}
		}
		w.audit.Detail = fmt.Sprintf("count=%d sent=%d no_consent=%d no_address=%d failed=%d ready=%d", len(out), rep.Sent, rep.NoConsent, rep.NoAddress, rep.Failed, ready)
		return nil
	})
	return rep, err
}

// SendCampaign sends a campaign to its recipients in a shop (the owner, or the shop's
// manager, on a device of that shop; never marketing): the audience resolved here
// (CampaignRecipientsFor), each recipient's consent asked again at send time (AuthorizeSend),
// the text filled on this device with the customer's first name and the shop's name, a
// one-click unsubscribe of the campaign's purpose in every message, no tracking of any kind.
// Only e-mail campaigns are sent here. The outcome is recorded with counts
// (RecordCampaignSend): marketing sees how many, never who.
func (ss *Session) SendCampaign(ctx context.Context, campaignID, shopID string, tr mail.Transport) (*SendReport, error) {
	if shopID == "" {
		shopID = ss.user.ShopID
	}
	r, err := ss.sendable(ctx, campaignID, shopID, "campaign.read")
	if err != nil {
		return nil, err
	}
	if r.sentAt > 0 {
		return nil, fmt.Errorf("campaign %s, shop %s: %w", campaignID, r.shop, ErrCampaignSent)
	}
	c := &Campaign{ID: r.campaignID, Name: r.name, Purpose: Purpose(r.purpose), Channel: Channel(r.channel),
		SubjectEN: r.subjectEN, BodyEN: r.bodyEN, SubjectZH: r.subjectZH, BodyZH: r.bodyZH}
	if c.Channel != ChannelEmail {
		return nil, &FieldError{"channel", "only e-mail campaigns are sent from Spoke; record other channels' counts with spoke campaign sent"}
	}
	ms, shopName, err := ss.shopMail(ctx, r.shop)
	if err != nil {
		return nil, err
	}
	ids, err := ss.CampaignRecipientsFor(ctx, campaignID, r.shop)
	if err != nil {
		return nil, err
	}
	out := make([]*outgoing, len(ids))
	for i, id := range ids {
		cr, err := ss.s.loadCust(ctx, ss.s.db, id)
		if err != nil {
			return nil, err
		}
		o := &outgoing{c: cr, purpose: c.Purpose, kind: "campaign", recheck: ss.consentStill(ctx, id, c.Purpose, true), compose: func(l mail.Letter) (string, string, error) {
			subj, body := c.Template(l.Lang)
			subj, body = RenderCampaign(subj, l.FirstName, l.Shop), RenderCampaign(body, l.FirstName, l.Shop)
			s, b := mail.ComposeCustom(subj, body, l)
			return s, b, nil
		}}
		out[i] = o
		if err := ss.AuthorizeSend(ctx, id, c.Purpose, c.Channel); err != nil {
			if !errors.Is(err, ErrNoConsent) {
				return nil, err
			}
			o.outcome = OutcomeNoConsent
		}
	}
	// Claimed before anything leaves: the shop's row is marked sent (by this user, now) in a
	// transaction that first checks nobody did so meanwhile; the counts follow the send. A
	// second click, the CLI beside the app, or a retry after a failure never sends it again.
	claimed := false
	claim := func(sendable []*outgoing) ([]*outgoing, error) {
		claimed = true
		err := ss.write(ctx, "campaign.claim", func(w *wtx) error {
			w.audit.Target = campaignID
			if _, err := w.allow(ss, OpCampaigns, target{shopID: r.shop}); err != nil {
				return err
			}
			var sentAt int64
			if err := w.tx.QueryRowContext(ctx, "SELECT sent_at FROM campaigns WHERE id = ?", r.id).Scan(&sentAt); err != nil {
				return err
			}
			if sentAt > 0 {
				return fmt.Errorf("campaign %s, shop %s: %w", campaignID, r.shop, ErrCampaignSent)
			}
			w.audit.Detail = fmt.Sprintf("shop=%s messages=%d", r.shop, len(sendable))
			return w.update("campaigns", r.shop, r.id, []col{plain("sent", int64(0)), plain("skipped", int64(0)), plain("sent_by", ss.user.ID), plain("sent_at", w.now)})
		})
		return sendable, err
	}
	rep, err := ss.deliver(ctx, r.shop, ms, shopName, out, claim, tr)
	if err != nil {
		return nil, err
	}
	rep.count(out)
	skipped := len(out) - rep.Sent
	if !claimed {
		// Nothing was claimed (nobody to send to): the send is recorded as such.
		return rep, ss.RecordCampaignSend(ctx, campaignID, r.shop, 0, skipped)
	}
	keep := func(n int) int64 {
		if n == 0 {
			return 0
		}
		return suppressed(int64(n))
	}
	err = ss.write(ctx, "campaign.send", func(w *wtx) error {
		w.audit.Target = campaignID
		if _, err := w.allow(ss, OpCampaigns, target{shopID: r.shop}); err != nil {
			return err
		}
		w.audit.Detail = fmt.Sprintf("shop=%s purpose=%s channel=%s sent=%d skipped=%d", r.shop, r.purpose, r.channel, rep.Sent, skipped)
		return w.update("campaigns", r.shop, r.id, []col{plain("sent", keep(rep.Sent)), plain("skipped", keep(skipped))})
	})
	return rep, err
}

// SendRecallNotices e-mails a recall's notice to every affected customer not reached yet
// (RecallRecipients), shop by shop through each shop's mail server, under the legal
// obligation (no marketing consent is asked, and the notice has no unsubscribe: a safety
// recall is not something to opt out of). Each message is recorded as a notice per affected
// bike: reached (the server accepted it) or unreachable (no address, refused); the rest stays
// outstanding to call or write. A shop without a mail server is skipped and counted.
func (ss *Session) SendRecallNotices(ctx context.Context, recallID string, tr mail.Transport) (*SendReport, error) {
	r, _, shops, err := ss.loadRecall(ctx, "recall.recipients", recallID)
	if err != nil {
		return nil, err
	}
	recips, err := ss.RecallRecipients(ctx, recallID)
	if err != nil {
		return nil, err
	}
	byShop := map[string][]RecallRecipient{}
	var order []string
	for _, x := range recips {
		if _, ok := byShop[x.ShopID]; !ok {
			order = append(order, x.ShopID)
		}
		byShop[x.ShopID] = append(byShop[x.ShopID], x)
	}
	total := &SendReport{}
	noServer := 0
	for _, shop := range order {
		ms, shopName, err := ss.shopMail(ctx, shop)
		if errors.Is(err, ErrNoMailServer) {
			noServer += len(byShop[shop])
			continue
		}
		if err != nil {
			return nil, err
		}
		list := byShop[shop]
		out := make([]*outgoing, len(list))
		for i, x := range list {
			c, err := ss.s.loadCust(ctx, ss.s.db, x.CustomerID)
			if err != nil {
				return nil, err
			}
			bike := ss.s.bikeName(ctx, x.BikeIDs)
			out[i] = &outgoing{c: c, kind: "recall", compose: func(l mail.Letter) (string, string, error) {
				l.Kind, l.Bike, l.Reference, l.Title = "recall", bike, r.Reference, r.Title
				return mail.Compose(l)
			}}
		}
		// Recall notices are insert-only records: they are written after the send. A failure
		// to write them (rare) leaves the customers outstanding, and a retry notifies them
		// again: for a safety recall a second notice is the lesser harm.
		rep, err := ss.deliver(ctx, shop, ms, shopName, out, nil, tr)
		if err != nil {
			return nil, err
		}
		rep.count(out)
		total.Sent, total.NoAddress, total.Failed = total.Sent+rep.Sent, total.NoAddress+rep.NoAddress, total.Failed+rep.Failed
		total.Errors = append(total.Errors, rep.Errors...)
		err = ss.write(ctx, "recall.notify", func(w *wtx) error {
			w.audit.Target = recallID
			n := 0
			for i, o := range out {
				outcome := NoticeUnreachable
				if o.outcome == OutcomeSent {
					outcome = NoticeReached
				}
				for _, b := range list[i].BikeIDs {
					if _, _, err := w.insertRecallNotice(ss, r, shops, RecallNoticeInput{RecallID: recallID, BikeID: b, Channel: NoticeEmail, Outcome: outcome}); err != nil {
						return err
					}
					n++
				}
			}
			w.audit.Detail = fmt.Sprintf("shop=%s channel=email sent=%d no_address=%d failed=%d notices=%d basis=%s", shop, rep.Sent, rep.NoAddress, rep.Failed, n, BasisLegalObligation)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if noServer > 0 {
		total.Errors = append(total.Errors, fmt.Sprintf("%d customer(s) in shops without a mail server: not sent (spoke mail set)", noServer))
		total.Failed += noServer
	}
	return total, nil
}

// bikeName is "make model" of the first of a customer's bikes named (a recall letter's bike).
func (s *Store) bikeName(ctx context.Context, ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	var mk, model string
	if err := s.db.QueryRowContext(ctx, "SELECT make, model FROM bikes WHERE id = ?", ids[0]).Scan(&mk, &model); err != nil {
		return ""
	}
	return strings.TrimSpace(mk + " " + model)
}

// SendTestMail sends one message with no customer data through the shop's server, to check
// the settings (the owner, or the shop's manager). The address is the user's own choice and is
// not recorded; the audit entry says only that a test went and how it ended.
func (ss *Session) SendTestMail(ctx context.Context, shopID, to string, tr mail.Transport) error {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return err
	}
	if _, err := ss.shopAdmin(shopID); err != nil {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "mail.test", Target: shopID, Outcome: "denied"})
		return err
	}
	ms, err := ss.s.mailSettings(ctx, ss.s.db, shopID)
	if err != nil {
		return err
	}
	msg := mail.Message{To: to, Subject: "Spoke: test message / 测试邮件", Body: "This message checks the shop's mail settings in Spoke.\n此邮件用于检查 Spoke 中的邮件设置。", Kind: "test"}
	errs, err := tr.Send(ctx, ms.Settings, []mail.Message{msg})
	outcome := "ok"
	if err != nil || errs[0] != nil {
		outcome = "failed"
	}
	ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "mail.test", Target: shopID, Outcome: outcome})
	if err != nil {
		return err
	}
	return errs[0]
}

// SendReadyNotice sends the "your bike is ready" notice of one job right away (the board does
// when a job moves to ready), as SendReminders would: nothing when the job is not ready, has
// had its notice, or its customer withdrew service messages by e-mail. ErrNoMailServer when
// the shop has no mail server (the notice stays on the due list to call).
func (ss *Session) SendReadyNotice(ctx context.Context, workOrderID string, tr mail.Transport) (*SendReport, error) {
	r, _, err := ss.loadWO(ctx, ss.s.db, workOrderID)
	if err != nil {
		return nil, err
	}
	id := reminderID(KindReady, r.id, time.Time{})
	return ss.SendReminders(ctx, r.shopID, []string{id}, tr)
}
