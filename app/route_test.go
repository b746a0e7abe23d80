package app

import (
	"context"
	"testing"

	"spoke/store"
)

// Screens ask for each other by route; the shell takes the window there.
func TestNavigateByRoute(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Wait()
	cs := a.Shell.Customers
	var id string
	for _, r := range cs.results {
		if r.Name == "Ada Lovelace" {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatalf("Ada Lovelace not listed: %v", cs.ResultNames())
	}
	cs.Open(id, "")
	a.Wait()
	if cs.Card == nil {
		t.Fatal("card not open")
	}

	// Ctrl+J on an open card: a new work order for that customer.
	a.ShortcutNewWorkOrder()
	a.Wait()
	if a.Shell.Current() != tabBoard || a.Shell.Board.NewForm == nil || a.Shell.Board.NewForm.card == nil || a.Shell.Board.NewForm.card.ID != id {
		t.Fatalf("new work order not for the open customer (tab %s)", a.Shell.Current())
	}

	if !a.navigate(routeNewSale{CustomerID: id, Name: "Ada Lovelace"}) {
		t.Fatal("owner has no sales desk")
	}
	if a.Shell.Current() != tabSales || a.Shell.Sales.customerID != id || a.Shell.Sales.Customer.Text != "Ada Lovelace" {
		t.Fatalf("sales desk not preset: tab %s, customer %q", a.Shell.Current(), a.Shell.Sales.Customer.Text)
	}

	wo, err := a.Session().CreateWorkOrder(context.Background(), store.WorkOrderInput{CustomerID: id, Complaint: "brakes squeal"})
	if err != nil {
		t.Fatal(err)
	}
	a.navigate(routeJob{CustomerID: id, WorkOrderID: wo})
	a.Wait()
	if a.Shell.Current() != tabBoard || a.Shell.Board.Job == nil || a.Shell.Board.Job.WO.ID != wo {
		t.Fatalf("job %s not shown (tab %s)", wo, a.Shell.Current())
	}

	// Ctrl+J away from the customers tab: a form with no customer preset.
	a.navigate(routeNewWorkOrder{OpenCustomer: true})
	if f := a.Shell.Board.NewForm; f == nil || f.card != nil {
		t.Fatal("Ctrl+J on the board should open an empty form")
	}

	a.navigate(routeNewCustomer{})
	if a.Shell.Current() != tabCustomers || cs.Form == nil {
		t.Fatal("new-customer form not shown")
	}
	a.navigate(routeFindCustomer{})
	if a.Shell.Current() != tabCustomers || a.W.Canvas().Focused() != cs.Search {
		t.Fatal("search not focused")
	}

	a.SwitchUser()
	a.Wait()
	if a.navigate(routeFindCustomer{}) {
		t.Fatal("navigated with nobody signed in")
	}
}

// A role without the screen has no such destination, and the window stays where it was.
func TestNavigateToAScreenTheRoleLacks(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	h.signInAs("mechanic", "shop1")
	a.Wait()
	before := a.Shell.Current()
	if a.navigate(routeNewSale{}) || a.Shell.Current() != before {
		t.Fatalf("a mechanic reached the sales desk (tab %s)", a.Shell.Current())
	}
	if a.navigate(routeNewCustomer{}) && a.Shell.Customers == nil {
		t.Fatal("navigated to a screen that is not built")
	}
}
