package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// TestPrintFromJobAndSale: the work order's Print ticket… and Print tag… buttons and the sales
// screen's Print receipt… save PDFs under names made of ids, and offer to open them; the store
// audits each print.
func TestPrintFromJobAndSale(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	ctx := context.Background()
	ss := a.Session()
	cust, err := ss.CreateCustomer(ctx, store.CustomerInput{Name: "王小明", Phone: "+1 415 555 0100"})
	if err != nil {
		t.Fatal(err)
	}
	bike, err := ss.AddBike(ctx, cust, store.Bike{Make: "Giant", Model: "TCR"})
	if err != nil {
		t.Fatal(err)
	}
	wo, err := ss.CreateWorkOrder(ctx, store.WorkOrderInput{CustomerID: cust, BikeID: bike, Complaint: "brakes squeal",
		Lines: []store.Line{{Kind: "labour", Description: "Brake bleed", Qty: 1, UnitPrice: 3500}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a.Shell.Board.OpenJob(cust, wo)
	a.Wait()
	v := a.Shell.Board.Job
	if v == nil || v.PrintTicket == nil || v.PrintTag == nil {
		t.Fatalf("no job view with print buttons: %q", screenText(a))
	}
	for _, b := range []struct {
		tap  func()
		kind string
	}{{func() { test.Tap(v.PrintTicket) }, "ticket"}, {func() { test.Tap(v.PrintTag) }, "tag"}} {
		b.tap()
		pr := v.Printed
		name := pr.Prompt.Name.Text
		if name != b.kind+"-"+store.JobNumber(wo)+".pdf" || strings.Contains(name, "王") {
			t.Fatalf("proposed name %q", name)
		}
		pr.Prompt.Folder.SetText(dir)
		test.Tap(pr.Prompt.Save)
		a.Wait()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !strings.HasPrefix(string(data), "%PDF-") {
			t.Fatalf("%s: %v (%q)", name, err, pr.Prompt.Error.Text)
		}
		if pr.Offer == nil || pr.Path != filepath.Join(dir, name) {
			t.Fatalf("no offer to open %s", name)
		}
		pr.Offer.Hide()
	}
	// A second ticket to the same name is refused, nothing overwritten.
	test.Tap(v.PrintTicket)
	v.Printed.Prompt.Folder.SetText(dir)
	test.Tap(v.Printed.Prompt.Save)
	a.Wait()
	if v.Printed.Prompt.Error.Text == "" {
		t.Fatal("an existing ticket was overwritten without a word")
	}
	// The sale just recorded.
	sale, err := ss.RecordSale(ctx, store.SaleInput{CustomerID: cust, PaymentMethod: "card", Lines: []store.Line{{Description: "Bell", Qty: 1, UnitPrice: 900}}})
	if err != nil {
		t.Fatal(err)
	}
	s := a.Shell.Sales
	s.Refresh()
	a.Wait()
	if !s.PrintReceipt.Disabled() {
		t.Fatal("Print receipt… enabled with no sale chosen")
	}
	s.Recent.Select(0)
	a.Wait()
	test.Tap(s.PrintReceipt)
	s.Printed.Prompt.Folder.SetText(dir)
	test.Tap(s.Printed.Prompt.Save)
	a.Wait()
	if _, err := os.Stat(s.Printed.Path); err != nil || !strings.HasPrefix(filepath.Base(s.Printed.Path), "receipt-") {
		t.Fatalf("receipt %q: %v (%q)", s.Printed.Path, err, s.Printed.Prompt.Error.Text)
	}
	for action, n := range map[string]int{store.ActionWorkOrderPrint: 2, store.ActionSalePrint: 1} {
		recs, err := ss.AuditLog(ctx, store.AuditFilter{Action: action})
		if err != nil || len(recs) != n {
			t.Fatalf("%s: %d entries (%v), want %d", action, len(recs), err, n)
		}
		if action == store.ActionSalePrint && recs[0].Target != sale {
			t.Fatalf("sale.print target %s", recs[0].Target)
		}
	}
}

// TestPrintNoticeFromRecordsPane: the records pane prints the shop's notice as PDF.
func TestPrintNoticeFromRecordsPane(t *testing.T) {
	h, _ := newPrivacyApp(t)
	a := h.a
	h.signInOwner()
	p := recordsPane(t, a)
	p.Lang.SetSelected(languageNames[langZH])
	p.Shop.SetSelected("South")
	test.Tap(p.PrintNotice)
	dir := t.TempDir()
	p.Printed.Prompt.Folder.SetText(dir)
	test.Tap(p.Printed.Prompt.Save)
	a.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "privacy-notice-zh.pdf"))
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("%v (%q)", err, p.Printed.Prompt.Error.Text)
	}
	if !strings.Contains(p.Info.Text, "privacy-notice-zh.pdf") {
		t.Errorf("info %q", p.Info.Text)
	}
	recs, err := a.Session().AuditLog(context.Background(), store.AuditFilter{Action: store.ActionNoticePrint})
	if err != nil || len(recs) != 1 || recs[0].Detail != "lang=zh" {
		t.Fatalf("notice.print: %v %+v", err, recs)
	}
}
