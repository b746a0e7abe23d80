package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func grant(p Purpose, ch Channel) ConsentEvent {
	return ConsentEvent{Purpose: p, Channel: ch, Granted: true, Source: SourceCounter, Notice: "2026-11"}
}

func withdraw(p Purpose, ch Channel) ConsentEvent {
	ev := grant(p, ch)
	ev.Granted = false
	return ev
}

func TestConsentRecordHistoryCurrent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sue := f.users["sue"]
	now := time.Now()
	g := grant(PurposeEmailMarketing, "")
	g.At = now.Add(-2 * time.Hour)
	id1 := must[string](t)(sue.RecordConsent(ctx, f.cSue, g))
	w := withdraw(PurposeEmailMarketing, ChannelEmail)
	w.At = now.Add(-time.Hour)
	id2 := must[string](t)(sue.RecordConsent(ctx, f.cSue, w))
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant(PurposeServiceReminders, ChannelSMS)))

	hist := must[[]ConsentEvent](t)(sue.ConsentHistory(ctx, f.cSue))
	if len(hist) != 3 || hist[1].ID != id2 || hist[2].ID != id1 {
		t.Fatalf("history not newest first with every event: %+v", hist)
	}
	if h := hist[2]; h.Channel != ChannelEmail || !h.Granted || h.Basis != BasisConsent || h.Recorder != "sue" || h.Notice != "2026-11" || h.ShopID != f.north {
		t.Fatalf("event as recorded: %+v", h)
	}
	cur := must[[]ConsentState](t)(sue.CurrentConsents(ctx, f.cSue))
	if len(cur) != 2 || cur[0].Purpose != PurposeServiceReminders || !cur[0].Granted ||
		cur[1].Purpose != PurposeEmailMarketing || cur[1].Granted || cur[1].EventID != id2 || !cur[1].Since.Equal(time.UnixMilli(w.At.UnixMilli())) {
		t.Fatalf("current: %+v", cur)
	}
	// Audited with purpose and channel, no values.
	e := lastAudit(t, f, "sue", "consent.withdraw")
	if e.Target != f.cSue || !strings.Contains(e.Detail, "purpose=email_marketing channel=email") || e.Outcome != "ok" {
		t.Fatalf("audit: %+v", e)
	}
	// The table is insert-only: three events, three rows, none changed.
	var n int
	f.st.db.QueryRow("SELECT COUNT(*) FROM consents WHERE customer_id = ?", f.cSue).Scan(&n)
	if n != 3 {
		t.Fatalf("%d rows", n)
	}
}

func TestConsentValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		ev    ConsentEvent
		field string
	}{
		{"unknown purpose", ConsentEvent{Purpose: "telepathy", Granted: true, Source: SourceCounter, Notice: "1"}, "purpose"},
		{"e-mail marketing by SMS", grant(PurposeEmailMarketing, ChannelSMS), "channel"},
		{"transfer by e-mail", grant(PurposeCrossBorder, ChannelEmail), "channel"},
		{"no notice", ConsentEvent{Purpose: PurposeEmailMarketing, Granted: true, Source: SourceCounter}, "notice_version"},
		{"free text as notice", ConsentEvent{Purpose: PurposeEmailMarketing, Granted: true, Source: SourceCounter, Notice: "Ada said yes"}, "notice_version"},
		{"no source", ConsentEvent{Purpose: PurposeEmailMarketing, Granted: true, Notice: "1"}, "source"},
		{"marketing on contract", func() ConsentEvent { e := grant(PurposeEmailMarketing, ""); e.Basis = BasisContract; return e }(), "lawful_basis"},
		{"parental on contract", func() ConsentEvent {
			e := grant(PurposeServiceReminders, "")
			e.Basis = BasisContract
			e.Parental = true
			return e
		}(), "lawful_basis"},
		{"unknown basis", func() ConsentEvent { e := grant(PurposeServiceReminders, ""); e.Basis = "whim"; return e }(), "lawful_basis"},
		{"in the future", func() ConsentEvent {
			e := grant(PurposeServiceReminders, "")
			e.At = time.Now().Add(time.Hour)
			return e
		}(), "at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.users["sue"].RecordConsent(ctx, f.cSue, tc.ev)
			var ve *ValidationError
			if !errors.As(err, &ve) || !slices.ContainsFunc(ve.Fields, func(x FieldError) bool { return x.Field == tc.field }) {
				t.Fatalf("got %v, want a %s error", err, tc.field)
			}
		})
	}
	// Reminders may rest on the contract; a withdrawal of anything is always accepted.
	e := grant(PurposeServiceReminders, ChannelPost)
	e.Basis = BasisContract
	must[string](t)(f.users["sue"].RecordConsent(ctx, f.cSue, e))
	must[string](t)(f.users["sue"].RecordConsent(ctx, f.cSue, withdraw(PurposeSensitiveData, "")))
}

func TestConsentAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user, customer string
		want           string
	}{
		{"olga", f.cSue, "ok"}, {"mia", f.cSue, "ok"}, {"sue", f.cSue, "ok"},
		{"mo", f.cSue, "forbidden"}, {"sam", f.cSue, "forbidden"}, {"stan", f.cSue, "forbidden"},
		{"mike", f.cSue, "forbidden"}, {"mark", f.cSue, "forbidden"}, {"aud", f.cSue, "forbidden"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			_, err := f.users[tc.user].RecordConsent(ctx, tc.customer, grant(PurposeEmailMarketing, ""))
			if got := outcome(err); got != tc.want {
				t.Fatalf("record: %s, want %s", got, tc.want)
			}
			if tc.want == "forbidden" {
				if e := lastAudit(t, f, tc.user, "consent.grant"); e.Outcome != "denied" || e.Target != tc.customer {
					t.Fatalf("denial not audited: %+v", e)
				}
				// Nor may they read the consents (not even that the customer exists).
				if _, err := f.users[tc.user].ConsentHistory(ctx, tc.customer); err == nil {
					t.Fatal("history read")
				}
			}
		})
	}
}

func TestConsentChildren(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := f.users["olga"]
	shop := map[string]string{"US": f.north, "DE": f.south}
	for _, r := range []string{"FR", "CN", "GB", "AT"} {
		shop[r] = must[string](t)(owner.AddShop(ctx, "Shop "+r, r, "EUR"))
	}
	born := func(years, days int) string { return time.Now().AddDate(-years, 0, days).Format(time.DateOnly) }
	for _, tc := range []struct {
		name, region, birthday string
		parental               bool
		want                   error // nil: accepted
		under                  bool
	}{
		{"DE 15 alone", "DE", born(15, 0), false, ErrParentalConsent, true},
		{"DE 15 with a parent", "DE", born(15, 0), true, nil, true},
		{"DE 16 alone", "DE", born(16, 0), false, nil, false},
		{"DE a day short of 16", "DE", born(16, 1), false, ErrParentalConsent, true},
		{"FR 15 alone", "FR", born(15, 0), false, nil, false},
		{"FR 14 alone", "FR", born(14, 0), false, ErrParentalConsent, true},
		{"AT 14 alone", "AT", born(14, 0), false, nil, false},
		{"GB 13 alone", "GB", born(13, 0), false, nil, false},
		{"GB 12 alone", "GB", born(12, 0), false, ErrParentalConsent, true},
		{"US 13 alone (COPPA)", "US", born(13, 0), false, nil, false},
		{"US 12 with a parent", "US", born(12, 0), true, nil, true},
		{"CN 14 alone", "CN", born(14, 0), false, nil, false},
		{"CN 13 alone", "CN", born(13, 0), false, ErrParentalConsent, true},
		{"CN 13 with a parent, no sensitive-data consent", "CN", born(13, 0), true, ErrSensitiveFirst, true},
		{"no birthday", "DE", "", false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Kid " + tc.name, Birthday: tc.birthday, ShopID: shop[tc.region]}))
			ev := grant(PurposeEmailMarketing, "")
			ev.Parental = tc.parental
			_, err := owner.RecordConsent(ctx, id, ev)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil {
				if strings.Contains(err.Error(), tc.birthday[:4]) {
					t.Fatalf("the error carries the birthday: %v", err)
				}
				// A withdrawal is never held back by age.
				must[string](t)(owner.RecordConsent(ctx, id, withdraw(PurposeEmailMarketing, "")))
				return
			}
			h := must[[]ConsentEvent](t)(owner.ConsentHistory(ctx, id))
			if h[0].SubjectUnderAge != tc.under || h[0].Parental != tc.parental || (tc.parental && h[0].Basis != BasisParentalConsent) {
				t.Fatalf("recorded as %+v", h[0])
			}
		})
	}
	// PIPL: a child under 14 in China gets other grants once a parent consented to the
	// processing of their (sensitive) data.
	kid := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Xiao Ming", Birthday: born(12, 0), ShopID: shop["CN"]}))
	sd := grant(PurposeSensitiveData, "")
	if _, err := owner.RecordConsent(ctx, kid, sd); !errors.Is(err, ErrParentalConsent) {
		t.Fatalf("sensitive data without a parent: %v", err)
	}
	sd.Parental = true
	must[string](t)(owner.RecordConsent(ctx, kid, sd))
	em := grant(PurposeEmailMarketing, "")
	em.Parental = true
	must[string](t)(owner.RecordConsent(ctx, kid, em))
	if e := lastAudit(t, f, "olga", "consent.grant"); !slices.Contains(e.Fields, "birthday") {
		t.Fatalf("the birthday opened for the age check is not named: %+v", e)
	}
	// Withdrawn, the sensitive-data consent no longer carries other grants.
	must[string](t)(owner.RecordConsent(ctx, kid, withdraw(PurposeSensitiveData, "")))
	if _, err := owner.RecordConsent(ctx, kid, em); !errors.Is(err, ErrSensitiveFirst) {
		t.Fatalf("after the withdrawal: %v", err)
	}
}

func TestDigitalConsentAge(t *testing.T) {
	for c, want := range map[string]int{"DE": 16, "NL": 16, "FR": 15, "IT": 14, "ES": 14, "AT": 14, "BE": 13, "DK": 13, "SE": 13, "PL": 16, "IE": 16,
		"GB": 13, "US": 13, "CN": 14, "us": 13, "ZZ": 16, "": 16} {
		if got := DigitalConsentAge(c); got != want {
			t.Errorf("%q: %d, want %d", c, got, want)
		}
	}
}

func TestAuthorizeSend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sue := f.users["sue"]
	refused := func(p Purpose, ch Channel) {
		t.Helper()
		err := sue.AuthorizeSend(ctx, f.cSue, p, ch)
		var ce *ConsentError
		if !errors.Is(err, ErrNoConsent) || !errors.As(err, &ce) || ce.Purpose != p || ce.Channel != ch || ce.CustomerID != f.cSue {
			t.Fatalf("send %s by %s: %v, want refused", p, ch, err)
		}
		if strings.Contains(err.Error(), "Bea") || strings.Contains(err.Error(), f.emailSue) {
			t.Fatalf("the refusal carries a personal value: %v", err)
		}
	}
	passes := func(p Purpose, ch Channel) {
		t.Helper()
		if err := sue.AuthorizeSend(ctx, f.cSue, p, ch); err != nil {
			t.Fatalf("send %s by %s: %v", p, ch, err)
		}
	}
	refused(PurposeEmailMarketing, ChannelEmail) // no consent at all
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant(PurposeEmailMarketing, "")))
	passes(PurposeEmailMarketing, ChannelEmail)
	refused(PurposeEmailMarketing, ChannelSMS) // consent by e-mail only
	refused(PurposeSMSMarketing, ChannelSMS)   // another purpose
	must[string](t)(sue.RecordConsent(ctx, f.cSue, withdraw(PurposeEmailMarketing, "")))
	refused(PurposeEmailMarketing, ChannelEmail) // withdrawn
	// Reminders: "any" covers every channel; a later withdrawal of one channel stops that one.
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant(PurposeServiceReminders, ChannelAny)))
	passes(PurposeServiceReminders, ChannelSMS)
	passes(PurposeServiceReminders, ChannelPost)
	must[string](t)(sue.RecordConsent(ctx, f.cSue, withdraw(PurposeServiceReminders, ChannelSMS)))
	refused(PurposeServiceReminders, ChannelSMS)
	passes(PurposeServiceReminders, ChannelEmail)
	// ...and a later withdrawal of "any" stops them all, an SMS grant given before included.
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant(PurposeServiceReminders, ChannelSMS)))
	passes(PurposeServiceReminders, ChannelSMS)
	must[string](t)(sue.RecordConsent(ctx, f.cSue, withdraw(PurposeServiceReminders, ChannelAny)))
	refused(PurposeServiceReminders, ChannelSMS)
	refused(PurposeServiceReminders, ChannelEmail)
	// Audited both ways.
	recs := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{UserID: sue.User().ID, Action: "send.authorize"}))
	var ok, no int
	for _, r := range recs {
		switch r.Outcome {
		case "ok":
			ok++
		case "refused":
			no++
		}
		if !strings.Contains(r.Detail, "purpose=") || r.Target != f.cSue {
			t.Fatalf("entry: %+v", r)
		}
	}
	if ok != 5 || no != 7 {
		t.Fatalf("%d ok, %d refused entries", ok, no)
	}
	// A send names one channel; and a role without the customer or campaigns may not ask.
	if err := sue.AuthorizeSend(ctx, f.cSue, PurposeServiceReminders, ChannelAny); err == nil {
		t.Fatal("a send by 'any' channel")
	}
	if err := f.users["mike"].AuthorizeSend(ctx, f.cSue, PurposeServiceReminders, ChannelEmail); !errors.Is(err, ErrForbidden) {
		t.Fatalf("mechanic: %v", err)
	}
	if err := f.users["stan"].AuthorizeSend(ctx, f.cSue, PurposeServiceReminders, ChannelEmail); !errors.Is(err, ErrForbidden) {
		t.Fatalf("another shop's salesperson: %v", err)
	}
}

// TestAuthorizeSendTampered: a withdrawal turned into a grant in the file lets no send through.
func TestAuthorizeSendTampered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sue := f.users["sue"]
	must[string](t)(sue.RecordConsent(ctx, f.cSue, grant(PurposeEmailMarketing, "")))
	id := must[string](t)(sue.RecordConsent(ctx, f.cSue, withdraw(PurposeEmailMarketing, "")))
	if _, err := rawDB(t, f.st.Dir()).Exec("UPDATE consents SET granted = 1 WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	if err := sue.AuthorizeSend(ctx, f.cSue, PurposeEmailMarketing, ChannelEmail); !errors.Is(err, ErrTampered) {
		t.Fatalf("send after tampering: %v", err)
	}
	if _, err := f.users["mark"].ConsentedAudience(ctx, f.north, PurposeEmailMarketing, ChannelEmail); !errors.Is(err, ErrTampered) {
		t.Fatalf("audience after tampering: %v", err)
	}
}

func TestConsentedAudience(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must[string](t)(f.users["sue"].RecordConsent(ctx, f.cSue, grant(PurposeEmailMarketing, "")))
	must[string](t)(f.users["sam"].RecordConsent(ctx, f.cSam, grant(PurposeEmailMarketing, "")))
	must[string](t)(f.users["sam"].RecordConsent(ctx, f.cSam, withdraw(PurposeEmailMarketing, "")))
	must[string](t)(f.users["stan"].RecordConsent(ctx, f.cStan, grant(PurposeEmailMarketing, "")))
	for _, tc := range []struct {
		user, shop string
		want       []string
		err        error
	}{
		{"mark", f.north, []string{f.cSue}, nil},
		{"mark", f.south, []string{f.cStan}, nil},
		{"olga", f.north, []string{f.cSue}, nil},
		{"mia", f.north, []string{f.cSue}, nil},
		{"mia", f.south, nil, ErrForbidden},
		{"sue", f.north, nil, ErrForbidden},
		{"mike", f.north, nil, ErrForbidden},
		{"aud", f.north, nil, ErrForbidden},
	} {
		t.Run(tc.user+"/"+tc.shop[:8], func(t *testing.T) {
			got, err := f.users[tc.user].ConsentedAudience(ctx, tc.shop, PurposeEmailMarketing, ChannelEmail)
			if !errors.Is(err, tc.err) || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v %v, want %v %v", got, err, tc.want, tc.err)
			}
		})
	}
	// Marketing gets ids only: it may not open the customers or their consents.
	if _, err := f.users["mark"].Customer(ctx, f.cSue, ""); err == nil {
		t.Fatal("marketing opened a customer")
	}
	if _, err := f.users["mark"].ConsentHistory(ctx, f.cSue); err == nil {
		t.Fatal("marketing read a customer's consents")
	}
	if e := lastAudit(t, f, "mark", "consent.audience"); !strings.Contains(e.Detail, "customers=1") {
		t.Fatalf("audit: %+v", e)
	}
	// SMS marketing: nobody.
	if got := must[[]string](t)(f.users["mark"].ConsentedAudience(ctx, f.north, PurposeSMSMarketing, ChannelSMS)); len(got) != 0 {
		t.Fatalf("sms audience: %v", got)
	}
}

// FuzzConsentValidate: whatever a form, the CLI or an import hands in, validation never
// panics, and what it accepts is a member of every enum, a channel the purpose may name, and
// a notice version of the allowed characters; ageOn never panics on a stored birthday.
func FuzzConsentValidate(f *testing.F) {
	f.Add("email_marketing", "email", "consent", "counter", "2026-11", true, false, int64(0), "2010-02-28")
	f.Add("service_reminders", "any", "contract", "paper", "v1.2_b", false, true, int64(-1), "2000-02-29")
	f.Add("sms_marketing", "email", "parental_consent", "web_form", "  ", true, true, int64(1)<<62, "nonsense")
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, purpose, channel, basis, source, notice string, granted, parental bool, at int64, birthday string) {
		ev := ConsentEvent{Purpose: Purpose(purpose), Channel: Channel(channel), Basis: LawfulBasis(basis), Source: ConsentSource(source),
			Notice: notice, Granted: granted, Parental: parental}
		if at != 0 {
			ev.At = time.UnixMilli(at)
		}
		if age, ok := ageOn(birthday, now); ok && birthday <= "2026-11-03" && age < 0 {
			t.Fatalf("negative age %d for %q", age, birthday)
		}
		if err := ev.validate(now); err != nil {
			return
		}
		switch {
		case !slices.Contains(Purposes, ev.Purpose), !slices.Contains(ChannelsFor(ev.Purpose), ev.Channel),
			!slices.Contains(LawfulBases, ev.Basis), !slices.Contains(ConsentSources, ev.Source):
			t.Fatalf("accepted outside the enums: %+v", ev)
		case ev.Notice == "" || len(ev.Notice) > 32 || strings.ContainsAny(ev.Notice, " \t\n'\"<>"):
			t.Fatalf("accepted notice %q", ev.Notice)
		case ev.Parental != (ev.Basis == BasisParentalConsent):
			t.Fatalf("parental flag and basis disagree: %+v", ev)
		case ev.At.After(now.Add(time.Minute)):
			t.Fatalf("accepted a future time: %v", ev.At)
		}
	})
}

// TestConsentInSubjectExport: the access export holds every consent event of the customer
// (staff by role), and none of another customer's.
func TestConsentInSubjectExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must[string](t)(f.users["sue"].RecordConsent(ctx, f.cSue, grant(PurposeEmailMarketing, "")))
	must[string](t)(f.users["sue"].RecordConsent(ctx, f.cSue, withdraw(PurposeEmailMarketing, "")))
	must[string](t)(f.users["sam"].RecordConsent(ctx, f.cSam, grant(PurposeSMSMarketing, "")))
	d := must[*SubjectData](t)(f.users["olga"].SubjectExport(ctx, f.cSue))
	i := slices.IndexFunc(d.Sections, func(s SubjectSection) bool { return s.Name == "consents" })
	if i < 0 || len(d.Sections[i].Rows) != 2 {
		t.Fatalf("sections: %+v", d.Sections)
	}
	rows := d.Sections[i].Rows
	if rows[0][3] != "granted" || rows[1][3] != "withdrawn" || rows[0][1] != "email_marketing" || rows[0][7] != "sales" {
		t.Fatalf("rows: %v", rows)
	}
	for _, r := range rows {
		if slices.Contains(r, "sms_marketing") || slices.Contains(r, "sue") {
			t.Fatalf("another customer's consent or a staff name: %v", r)
		}
	}
}
