package app

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// TestEraseFromTheCard: the owner erases a customer from the card after confirming; the
// customer leaves the search results and no longer opens; a salesperson's card has no Erase.
func TestEraseFromTheCard(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	cs := a.Shell.Customers
	a.Wait()
	var id string
	for _, r := range cs.results {
		if r.Name == "Grace Hopper" {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatalf("no Grace Hopper in %v", cs.ResultNames())
	}
	cs.Open(id, "")
	a.Wait()
	if cs.Card == nil || cs.Card.Erase == nil {
		t.Fatal("the owner's card has no Erase button")
	}
	test.Tap(cs.Card.Erase)
	p := cs.Erase
	if p == nil || !p.Erase.Disabled() {
		t.Fatal("erasing is possible before confirming")
	}
	p.Understood.SetChecked(true)
	test.Tap(p.Erase)
	a.Wait()
	if !strings.Contains(p.Done.Text, "Erased.") || p.Error.Text != "" {
		t.Fatalf("after the erasure: %q / %q", p.Done.Text, p.Error.Text)
	}
	for _, n := range cs.ResultNames() {
		if n == "Grace Hopper" {
			t.Fatal("the erased customer is still in the search results")
		}
	}
	if _, err := a.Session().Customer(t.Context(), id, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the erased customer opens: %v", err)
	}
}
