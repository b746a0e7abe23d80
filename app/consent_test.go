package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"spoke/store"
)

// openCard opens the named customer's card from the search results.
func openCard(t *testing.T, h *harness, name string) *CardView {
	t.Helper()
	a := h.a
	cs := a.Shell.Customers
	for _, r := range cs.results {
		if r.Name == name {
			cs.Open(r.ID, "")
			a.Wait()
			if cs.Card == nil || cs.Card.Consent == nil {
				t.Fatalf("no card with a consent section: %q", screenText(a))
			}
			return cs.Card
		}
	}
	t.Fatalf("%s is not listed: %v", name, cs.ResultNames())
	return nil
}

// record fills the open consent form and saves it.
func record(t *testing.T, h *harness, p *ConsentPanel, granted bool, pu store.Purpose, notice string) {
	t.Helper()
	a := h.a
	if granted {
		test.Tap(p.Grant)
	} else {
		test.Tap(p.Withdraw)
	}
	f := p.Form
	if f == nil || f.Granted != granted {
		t.Fatal("the form did not open")
	}
	f.Purpose.SetSelected(a.purposeLabel(pu))
	if notice != "" {
		f.Notice.SetText("")
		test.Type(f.Notice, notice)
	}
	test.Tap(f.Save)
	a.Wait()
}

func TestConsentGrantAndWithdrawOnTheCard(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	card := openCard(t, h, "Ada Lovelace")
	p, id := card.Consent, card.Customer.ID
	if got := p.Current[store.PurposeEmailMarketing].Text; got != "not given" {
		t.Fatalf("before: %q", got)
	}
	if p.KeptLocal.Visible() || !p.Grant.Visible() || !p.Withdraw.Visible() {
		t.Fatal("wrong controls before anything is recorded")
	}
	// Grant: purpose, channel (its own: e-mail), basis, source, notice.
	record(t, h, p, true, store.PurposeEmailMarketing, "2026-11")
	if p.Form != nil {
		t.Fatalf("the form stayed open: %q", p.Form.Error.Text)
	}
	ctx := context.Background()
	cur, err := a.ss.CurrentConsents(ctx, id)
	if err != nil || len(cur) != 1 || cur[0].Purpose != store.PurposeEmailMarketing || cur[0].Channel != store.ChannelEmail || !cur[0].Granted || cur[0].Basis != store.BasisConsent {
		t.Fatalf("after the grant: %v %+v", err, cur)
	}
	if err := a.ss.AuthorizeSend(ctx, id, store.PurposeEmailMarketing, store.ChannelEmail); err != nil {
		t.Fatalf("send after the grant: %v", err)
	}
	if got := p.Current[store.PurposeEmailMarketing].Text; !strings.HasPrefix(got, "granted · E-mail · since "+time.Now().Format("2006-01-02")) {
		t.Fatalf("shown: %q", got)
	}
	// Withdraw: the same steps; the notice version is filled in from the last event.
	test.Tap(p.Withdraw)
	if p.Form.Notice.Text != "2026-11" {
		t.Fatalf("notice not prefilled: %q", p.Form.Notice.Text)
	}
	test.Tap(p.Form.Cancel)
	record(t, h, p, false, store.PurposeEmailMarketing, "")
	cur, _ = a.ss.CurrentConsents(ctx, id)
	hist, _ := a.ss.ConsentHistory(ctx, id)
	if len(cur) != 1 || cur[0].Granted || len(hist) != 2 || len(p.Events) != 2 {
		t.Fatalf("after the withdrawal: %+v / %d events (%d shown)", cur, len(hist), len(p.Events))
	}
	if err := a.ss.AuthorizeSend(ctx, id, store.PurposeEmailMarketing, store.ChannelEmail); !errors.Is(err, store.ErrNoConsent) {
		t.Fatalf("send after the withdrawal: %v", err)
	}
	if got := p.Current[store.PurposeEmailMarketing].Text; !strings.HasPrefix(got, "withdrawn") {
		t.Fatalf("shown: %q", got)
	}
	if l := p.History.Objects[0].(*widget.Label); !strings.HasSuffix(l.Text, "E-mail marketing · E-mail · withdrawn · Consent · At the counter · notice 2026-11 · olga") {
		t.Fatalf("history on the card: %q", l.Text)
	}
	// A form without a notice version is not sent.
	test.Tap(p.Grant)
	p.Form.Notice.SetText("")
	test.Tap(p.Form.Save)
	a.Wait()
	if p.Form == nil || !strings.Contains(p.Form.Error.Text, "Notice version") {
		t.Fatal("saved without a notice version")
	}
	// In Chinese.
	a.SetLanguage(langZH)
	a.Wait()
	card = openCard(t, h, "Ada Lovelace")
	if got := card.Consent.Current[store.PurposeEmailMarketing].Text; !strings.HasPrefix(got, "已撤回") {
		t.Fatalf("in Chinese: %q", got)
	}
	if !strings.Contains(screenText(a), "同意") || !strings.Contains(card.Consent.Grant.Text, "给予同意") {
		t.Fatalf("card in Chinese: %q", screenText(a))
	}
}

// newCNApp is newSmallApp for a shop in mainland China whose hub is declared in Germany, with
// an adult and a child customer.
func newCNApp(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "Shanghai", Region: "CN", Currency: "CNY", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.CustomerInput{{Name: "王芳"}, {Name: "小明", Birthday: time.Now().AddDate(-10, 0, 0).Format(time.DateOnly)}} {
		if _, err := ss.CreateCustomer(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.SetTransferSetting(ctx, store.TransferSetting{HubCountry: "DE"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	fa := test.NewTempApp(t)
	c := &clock{t: time.Now()}
	a := New(fa, Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	return &harness{t: t, a: a, clock: c, dir: dir}
}

func TestConsentCardKeptLocalInChina(t *testing.T) {
	h := newCNApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	p := openCard(t, h, "王芳").Consent
	if !p.KeptLocal.Visible() || !strings.Contains(screenText(a), "Kept on this shop's devices only: no consent to transfer abroad (PIPL Art. 39)") {
		t.Fatalf("no kept-local line: %q", screenText(a))
	}
	record(t, h, p, true, store.PurposeCrossBorder, "2026-11")
	if p.KeptLocal.Visible() {
		t.Fatal("still kept local after the transfer consent")
	}
	if ch := p.Current[store.PurposeCrossBorder].Text; !strings.Contains(ch, "any channel") {
		t.Fatalf("shown: %q", ch)
	}
	// A child under 14: a grant without a parent is refused, and says why.
	p = openCard(t, h, "小明").Consent
	record(t, h, p, true, store.PurposeServiceReminders, "2026-11")
	if p.Form == nil || !strings.Contains(p.Form.Error.Text, "parent or guardian") {
		t.Fatalf("a child's own grant: %+v", p.Form)
	}
	p.Form.Parental.SetChecked(true)
	test.Tap(p.Form.Save)
	a.Wait()
	if p.Form == nil || !strings.Contains(p.Form.Error.Text, "sensitive data first") {
		t.Fatal("a child's grant without the sensitive-data consent")
	}
	test.Tap(p.Form.Cancel)
	test.Tap(p.Grant)
	p.Form.Purpose.SetSelected(a.purposeLabel(store.PurposeSensitiveData))
	p.Form.Notice.SetText("2026-11")
	p.Form.Parental.SetChecked(true)
	test.Tap(p.Form.Save)
	a.Wait()
	if p.Form != nil {
		t.Fatalf("parental sensitive-data consent: %q", p.Form.Error.Text)
	}
	if len(p.Events) != 1 || !p.Events[0].Parental || !p.Events[0].SubjectUnderAge || p.Events[0].Basis != store.BasisParentalConsent {
		t.Fatalf("recorded: %+v", p.Events)
	}
}

// find returns the first object under o (containers and widgets walked) that match accepts.
func find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) (T, bool) {
	var zero T
	switch x := o.(type) {
	case T:
		if match(x) {
			return x, true
		}
	}
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case *container.Scroll:
		kids = []fyne.CanvasObject{x.Content}
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if v, ok := find(k, match); ok {
			return v, true
		}
	}
	return zero, false
}

func TestTransferPane(t *testing.T) {
	h := newCNApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	it := a.Shell.Privacy.Panes["transfers"]
	if it == nil {
		t.Fatal("no transfers pane for the owner")
	}
	a.Shell.Show(tabPrivacy)
	a.Shell.Privacy.Tabs.Select(it)
	a.Wait()
	hub, _ := find(it.Content, func(e *widget.Entry) bool { return e.Text == "DE" })
	if hub == nil || !strings.Contains(screenText(a), "Shanghai: a customer's data leaves the shop's devices only with their consent") {
		t.Fatalf("pane: %q", screenText(a))
	}
	hub.SetText("CN")
	save, _ := find(it.Content, func(b *widget.Button) bool { return b.Text == "Save" })
	test.Tap(save)
	a.Wait()
	ts, err := a.ss.TransferSetting(context.Background())
	if err != nil || ts.HubCountry != "CN" || len(ts.KeptLocal) != 0 {
		t.Fatalf("%v %+v", err, ts)
	}
	if !strings.Contains(screenText(a), "every customer's data syncs") {
		t.Fatalf("pane after saving: %q", screenText(a))
	}
}
