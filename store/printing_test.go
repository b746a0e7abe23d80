package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestPrintWorkOrderAccess: the ticket and the tag follow the job's grant and the customer's:
// a mechanic prints the jobs assigned to them, with name and phone, only while the job is
// open; a salesperson their own customers' jobs; marketing and the auditor nothing. Every print
// and every refusal is audited, with ids and counts only.
func TestPrintWorkOrderAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.users["olga"].SetShopPaper(ctx, f.north, ShopPaper{Address: "1 Quay Street", Phone: "+1 415 555 0199", Terms: "Pay on collection."}); err != nil {
		t.Fatal(err)
	}
	if err := f.users["sue"].AddWorkOrderLine(ctx, f.woSue, Line{Kind: "labour", Description: "Tune-up", Qty: 1, UnitPrice: 4500}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, want string // outcome/name-shown/phone-shown
	}{
		{"olga", "ok/true/true"}, {"mia", "ok/true/true"}, {"mo", "forbidden"}, {"sue", "ok/true/true"}, {"sam", "forbidden"},
		{"stan", "forbidden"}, {"mike", "ok/true/true"}, {"mark", "forbidden"}, {"aud", "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			p, err := f.users[c.user].PrintWorkOrder(ctx, f.woSue, DocTicket)
			got := outcome(err)
			if err == nil {
				got += fmt.Sprintf("/%v/%v", p.Customer == "Bea Suecustomer", strings.Contains(strings.ReplaceAll(p.Phone, " ", ""), "4155550102"))
				if p.WorkOrder.Complaint != "gears skip" || p.WorkOrder.Notes != "" || p.Bike == nil || p.Bike.Serial != "" || p.Bike.Make != "Trek" {
					t.Errorf("ticket: complaint %q, notes %q, bike %+v", p.WorkOrder.Complaint, p.WorkOrder.Notes, p.Bike)
				}
				if p.Paper.Address != "1 Quay Street" || p.Shop.ID != f.north || len(p.WorkOrder.Lines) != 1 {
					t.Errorf("ticket: paper %+v shop %s lines %d", p.Paper, p.Shop.ID, len(p.WorkOrder.Lines))
				}
				rec := lastAudit(t, f, c.user, ActionWorkOrderPrint)
				if rec.Target != f.woSue || rec.Detail != "doc=ticket lines=1" || !slices.Contains(rec.Fields, "customers.phone") {
					t.Errorf("audit: %+v", rec)
				}
				tag, err := f.users[c.user].PrintWorkOrder(ctx, f.woSue, DocTag)
				if err != nil || tag.Customer != "Suecustomer" || tag.Phone != "" || tag.WorkOrder.Complaint != "" {
					t.Errorf("tag: %+v %v", tag, err)
				}
			} else {
				rec := lastAudit(t, f, c.user, ActionWorkOrderPrint)
				if rec.Outcome != "denied" || rec.Target != f.woSue {
					t.Errorf("refusal not audited: %+v", rec)
				}
			}
			if got != c.want {
				t.Fatalf("%s: got %s, want %s", c.user, got, c.want)
			}
		})
	}
	// A job not assigned to the mechanic is not theirs to print.
	other := must[string](t)(f.users["sam"].CreateWorkOrder(ctx, WorkOrderInput{CustomerID: f.cSam, Complaint: "flat tyre"}))
	if _, err := f.users["mike"].PrintWorkOrder(ctx, other, DocTag); outcome(err) != "forbidden" {
		t.Fatalf("mechanic printed a job not assigned to them: %v", err)
	}
	// The job is done: the mechanic's grant ends with it.
	for _, to := range []Status{StatusApproved, StatusInProgress, StatusReady, StatusCollected} {
		if err := f.users["sue"].MoveWorkOrder(ctx, f.woSue, to); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.users["mike"].PrintWorkOrder(ctx, f.woSue, DocTicket); outcome(err) != "forbidden" {
		t.Fatalf("mechanic printed a closed job: %v", err)
	}
	if _, err := f.users["olga"].PrintWorkOrder(ctx, "no-such-job", DocTicket); outcome(err) != "notfound" {
		t.Fatalf("unknown job: %v", err)
	}
	if _, err := f.users["olga"].PrintWorkOrder(ctx, f.woSue, "poster"); err == nil {
		t.Fatal("unknown document accepted")
	}
	// No audit entry of printing holds a personal value.
	recs, err := f.users["olga"].AuditLog(ctx, AuditFilter{Action: "work_order.print", Limit: 100})
	if err != nil || len(recs) < 5 {
		t.Fatalf("print entries: %d %v", len(recs), err)
	}
	for _, r := range recs {
		for _, v := range []string{"Bea", "Suecustomer", "5550102", "555 0102", "gears", "Trek", "Quay"} {
			if strings.Contains(fmt.Sprintf("%+v", r), v) {
				t.Fatalf("audit entry holds %q: %+v", v, r)
			}
		}
	}
}

func TestPrintSaleAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sale := must[string](t)(f.users["sue"].RecordSale(ctx, SaleInput{CustomerID: f.cSue, PaymentMethod: "card", Lines: []Line{{Description: "Bell", Qty: 2, UnitPrice: 899}}}))
	walkIn := must[string](t)(f.users["stan"].RecordSale(ctx, SaleInput{PaymentMethod: "cash", Lines: []Line{{Description: "Tube", Qty: 1, UnitPrice: 599}}}))
	for _, c := range []struct{ user, sale, want string }{
		{"olga", sale, "ok"}, {"mia", sale, "ok"}, {"sue", sale, "ok"}, {"sam", sale, "forbidden"}, {"mo", sale, "forbidden"},
		{"mike", sale, "forbidden"}, {"mark", sale, "forbidden"}, {"aud", sale, "forbidden"},
		{"stan", walkIn, "ok"}, {"mo", walkIn, "ok"}, {"mia", walkIn, "forbidden"}, {"olga", "nope", "notfound"},
	} {
		p, err := f.users[c.user].PrintSale(ctx, c.sale)
		if got := outcome(err); got != c.want {
			t.Errorf("%s prints %s: %s, want %s", c.user, c.sale, got, c.want)
			continue
		}
		if err != nil {
			continue
		}
		if len(p.Sale.Lines) != 1 || p.Sale.Total != p.Sale.Lines[0].Total() || p.Role != RoleSales {
			t.Errorf("%s: %+v", c.user, p)
		}
		if p.Sale.ID == walkIn && p.Shop.Region != "DE" {
			t.Errorf("walk-in sale's shop: %+v", p.Shop)
		}
		if rec := lastAudit(t, f, c.user, ActionSalePrint); rec.Target != c.sale || rec.Detail != "lines=1" {
			t.Errorf("audit: %+v", rec)
		}
	}
}

func TestPrintNoticeAndShopPaper(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.users["mia"].SetShopPaper(ctx, f.north, ShopPaper{Address: "x"}); outcome(err) != "forbidden" {
		t.Fatalf("a manager set the org's paper settings: %v", err)
	}
	if err := f.users["olga"].SetShopPaper(ctx, f.north, ShopPaper{Terms: strings.Repeat("t", 601)}); err == nil {
		t.Fatal("terms of 601 characters accepted")
	}
	if err := f.users["olga"].SetShopPaper(ctx, f.north, ShopPaper{Address: "Secret Lane 5"}); err != nil {
		t.Fatal(err)
	}
	if p := must[ShopPaper](t)(f.users["sam"].ShopPaperOf(ctx, f.north)); p.Address != "Secret Lane 5" {
		t.Fatalf("paper: %+v", p)
	}
	recs := must[[]AuditRecord](t)(f.users["olga"].AuditLog(ctx, AuditFilter{Action: ActionSettingChange, Limit: 10}))
	for _, r := range recs {
		if strings.Contains(r.Detail, "Secret") {
			t.Fatalf("the trail holds the address: %+v", r)
		}
	}
	for _, c := range []struct{ user, shop, want string }{
		{"olga", f.south, "ok"}, {"mia", f.north, "ok"}, {"mia", f.south, "forbidden"}, {"sam", f.north, "forbidden"}, {"mark", f.north, "forbidden"},
	} {
		sh, err := f.users[c.user].PrintNotice(ctx, c.shop, "zh")
		if got := outcome(err); got != c.want {
			t.Errorf("%s prints the notice of %s: %s, want %s", c.user, c.shop, got, c.want)
		}
		if err == nil {
			if sh.ID != c.shop {
				t.Errorf("shop %s, want %s", sh.ID, c.shop)
			}
			if rec := lastAudit(t, f, c.user, ActionNoticePrint); rec.Target != c.shop || rec.Detail != "lang=zh" {
				t.Errorf("audit: %+v", rec)
			}
		}
	}
}

func TestSurnameAndJobNumber(t *testing.T) {
	for in, want := range map[string]string{"Olivia Bennett": "Bennett", "王小明": "王", "  Ada  ": "A.", "": "", "李 娜": "李", "Jean-Luc de la Tour": "Tour"} {
		if got := Surname(in); got != want {
			t.Errorf("Surname(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Lena Vogel": "Lena", "王小明": "", "": "", "Sam": "Sam"} {
		if got := FirstName(in); got != want {
			t.Errorf("FirstName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := JobNumber("0195f0c2-7f3a-7000-8000-00000a7f19c2"); got != "0A7F-19C2" {
		t.Errorf("JobNumber = %q", got)
	}
}
