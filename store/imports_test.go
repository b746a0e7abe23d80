package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeSource(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"shopify:7301234567001", "shopify:7301234567001"},
		{" Square : 6Z7V0G3J ", "square:6Z7V0G3J"},
		{"lightspeed-x:0adfd74a-153e-11e9", "lightspeed-x:0adfd74a-153e-11e9"},
		{"csv:K 2001", "csv:K 2001"},
		{"csv:a:b", "csv:a:b"},
		{"csv:", ""}, {":1", ""}, {"shop ify:1", ""}, {"shopify", ""}, {"csv:1\u202e", ""}, {"csv:1\x00", ""},
	} {
		got, err := NormalizeSource(tc.in)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("NormalizeSource(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestSecondPhoneAndSource: the second phone is validated and normalised like the first and
// can be edited; the source is set only by an import (an edit keeps it) and is found through
// its blind index; neither is in clear in the file.
func TestSecondPhoneAndSource(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	ss := signIn(t, st, "olga", "owner-password-1")
	if _, err := ss.CreateCustomer(ctx, CustomerInput{Name: "Ada", PhoneAlt: "12"}); err == nil {
		t.Fatal("a bad second phone was accepted")
	}
	id := must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Ada", Phone: "(503) 555-0142", PhoneAlt: "(971) 555-0123", Source: "Shopify:7301234567001"}))
	c := must[*CustomerCard](t)(ss.Customer(ctx, id, ""))
	if c.PhoneAlt != "+19715550123" || c.Source != "shopify:7301234567001" {
		t.Fatalf("card %+v", c.Customer)
	}
	if err := ss.UpdateCustomer(ctx, id, CustomerInput{Name: "Ada", Phone: c.Phone, PhoneAlt: "", Source: "shopify:1"}); err != nil {
		t.Fatal(err)
	}
	c = must[*CustomerCard](t)(ss.Customer(ctx, id, ""))
	if c.PhoneAlt != "" || c.Source != "shopify:7301234567001" {
		t.Fatalf("after an edit: %+v", c.Customer)
	}
	found := must[[]Customer](t)(ss.FindCustomers(ctx, BySource, "shopify:7301234567001"))
	if len(found) != 1 || found[0].ID != id {
		t.Fatalf("by source: %+v", found)
	}
	if _, err := ss.FindCustomers(ctx, BySource, "no system"); err == nil {
		t.Fatal("a malformed source was looked up")
	}
	var sealed, bidx []byte
	if err := st.db.QueryRowContext(ctx, "SELECT source, source_bidx FROM customers WHERE id = ?", id).Scan(&sealed, &bidx); err != nil {
		t.Fatal(err)
	}
	if len(bidx) == 0 || bytes.Contains(sealed, []byte("7301234567001")) {
		t.Fatalf("source stored as %q (index %x)", sealed, bidx)
	}
	// The preview: by source an update, an unknown source new, a shared phone a candidate.
	m, err := ss.PreviewImport(ctx, "", "", []ImportProbe{{Source: "shopify:7301234567001"}, {Source: "shopify:2"}, {Phone: "+15035550142"}})
	if err != nil || len(m) != 3 || m[0] != MatchUpdate || m[1] != MatchNew || m[2] != MatchCandidate {
		t.Fatalf("preview %v %v", m, err)
	}
	if _, err := ss.PreviewImport(ctx, "", "", []ImportProbe{{Source: "bad"}}); !errors.As(err, new(*FieldError)) {
		t.Fatalf("bad source in a probe: %v", err)
	}
}

// TestImportedSourceSyncs: the second phone and the source travel sealed; the receiving device
// computes the source's blind index itself, so a re-import there finds the customer.
func TestImportedSourceSyncs(t *testing.T) {
	ctx := context.Background()
	a, b, owner := newPair(t)
	id := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Nia Import", PhoneAlt: "+1 415 555 0198", Source: "square:6Z7V0G3J"}))
	sent := must[[]ChangeRecord](t)(a.st.LocalChanges(ctx, 0, 1<<30))
	for _, col := range []string{"phone_alt", "source"} {
		i := slices.IndexFunc(sent, func(r ChangeRecord) bool { return r.Table == "customers" && r.Column == col })
		if i < 0 || !sent[i].Sealed || bytes.Contains(sent[i].Value.([]byte), []byte("6Z7V0G3J")) {
			t.Fatalf("%s record missing or not sealed (%d)", col, i)
		}
	}
	if slices.ContainsFunc(sent, func(r ChangeRecord) bool { return r.Column == "source_bidx" }) {
		t.Fatal("the derived blind index travels")
	}
	exchange(t, a, b)
	rb := signIn(t, b.st, "olga", "owner-password-1")
	found := must[[]Customer](t)(rb.FindCustomers(ctx, BySource, "square:6Z7V0G3J"))
	if len(found) != 1 || found[0].ID != id || found[0].PhoneAlt != "+14155550198" {
		t.Fatalf("on the second device: %+v", found)
	}
	m := must[[]ImportMatch](t)(rb.PreviewImport(ctx, "", "", []ImportProbe{{Source: "square:6Z7V0G3J"}}))
	if m[0] != MatchUpdate {
		t.Fatalf("re-import on the second device: %v", m)
	}
}

// TestErasedCustomerNotReimported: after an erasure, the same POS export imported again does
// not bring the customer back: the ledger keeps the blind index of the source id (never the
// id), and the import skips the row.
func TestErasedCustomerNotReimported(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	ss := signIn(t, st, "olga", "owner-password-1")
	id := must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Erin Erased", Source: "shopify:5550001"}))
	must[string](t)(ss.CreateCustomer(ctx, CustomerInput{Name: "Kept Customer", Source: "shopify:5550002"}))
	if _, err := ss.EraseCustomer(ctx, id); err != nil {
		t.Fatal(err)
	}
	m, err := ss.PreviewImport(ctx, "", "", []ImportProbe{{Source: "shopify:5550001"}, {Source: "shopify:5550002"}, {Source: "shopify:5550003"}})
	if err != nil || len(m) != 3 || m[0] != MatchErased || m[1] != MatchUpdate || m[2] != MatchNew {
		t.Fatalf("preview %v %v", m, err)
	}
	var tag string
	if err := st.db.QueryRowContext(ctx, "SELECT source_tag FROM erasures").Scan(&tag); err != nil || len(tag) != 32 || strings.Contains(tag, "5550001") {
		t.Fatalf("ledger tag %q %v", tag, err)
	}
}
