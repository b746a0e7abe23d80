package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestImportPOSPreviewAndConfirm: a POS export shows its column mapping and the counts before
// anything is written; the import asks first; a second import of the same file updates; the
// card shows the second phone and where the customer came from.
func TestImportPOSPreviewAndConfirm(t *testing.T) {
	h := newSmallApp(t)
	a := h.a
	h.signInOwner()
	a.Shell.Show(tabImport)
	im := a.Shell.Import
	b, err := os.ReadFile(filepath.Join("..", "csvimport", "testdata", "pos_shopify.csv"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "customers_export.csv")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	test.Type(im.Path, path)
	test.Tap(im.Check)
	a.Wait()
	screen := screenText(a)
	for _, want := range []string{"Customer ids are read as shopify ids.", "Default Address Zip → address (postcode)", "Phone → phone (phone_alt after a mobile)",
		"Ignored: Accepts Email Marketing", "2 new customer(s), 0 update(s) by customer id, 0 candidate(s), 0 invalid line(s)."} {
		if !strings.Contains(screen, want) {
			t.Errorf("preview lacks %q:\n%s", want, screen)
		}
	}
	for _, v := range []string{"Rowan", "rowan.ashdown", "Larkspur", "7205550101"} {
		if strings.Contains(screen, v) {
			t.Errorf("the preview shows a value %q", v)
		}
	}
	if im.Import.Disabled() {
		t.Fatal("nothing to import")
	}
	test.Tap(im.Import)
	if im.ConfirmImport == nil {
		t.Fatal("no confirmation asked")
	}
	im.ConfirmImport.Confirm()
	a.Wait()
	if !strings.Contains(im.Status.Text, "Imported 2 customer(s)") {
		t.Fatalf("import: %q", im.Status.Text)
	}
	test.Tap(im.Check)
	a.Wait()
	if !strings.Contains(im.Status.Text, "0 new customer(s), 2 update(s) by customer id") {
		t.Fatalf("second preview: %q", im.Status.Text)
	}
	test.Tap(im.Import)
	im.ConfirmImport.Confirm()
	a.Wait()
	if !strings.Contains(im.Status.Text, "Imported 0 customer(s); updated 2") {
		t.Fatalf("re-import: %q", im.Status.Text)
	}
	// The bikes of the same shop's export, by Shopify customer id; a second import updates them.
	bikes := filepath.Join(t.TempDir(), "bikes.csv")
	if err := os.WriteFile(bikes, []byte("Customer ID,Serial Number,Brand,Model,Year,Category\n'7301234567001,WTU 123-4567,Trek,Domane,2022,Road Bike\n'7309999999999,AB123456,Cube,Stereo,2020,Mountain\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	im.Path.SetText(bikes)
	im.Kind.SetSelected("Bikes")
	im.System.SetSelected("Shopify")
	test.Tap(im.Check)
	a.Wait()
	if !strings.Contains(im.Status.Text, "1 new bike(s), 0 update(s) by serial, 1 without a customer") || !strings.Contains(screenText(a), "Line 3: names no customer of this shop: skipped") {
		t.Fatalf("bike preview: %q", screenText(a))
	}
	test.Tap(im.Import)
	im.ConfirmImport.Confirm()
	a.Wait()
	if !strings.Contains(im.Status.Text, "Imported 1 bike(s); updated 0.") {
		t.Fatalf("bike import: %q", im.Status.Text)
	}
	test.Tap(im.Check)
	a.Wait()
	test.Tap(im.Import)
	im.ConfirmImport.Confirm()
	a.Wait()
	if !strings.Contains(im.Status.Text, "Imported 0 bike(s); updated 1.") {
		t.Fatalf("bike re-import: %q", im.Status.Text)
	}

	a.Shell.Show(tabCustomers)
	test.Type(a.Shell.Customers.Search, "Rowan")
	a.Wait()
	names := a.Shell.Customers.ResultNames()
	if len(names) != 1 {
		t.Fatalf("Rowan found %d times", len(names))
	}
	cs := a.Shell.Customers
	cs.Open(cs.results[0].ID, "")
	a.Wait()
	if cs.Card == nil || cs.Card.Details["phone"].Text != "(720) 555-0101" || cs.Card.Details["phone_alt"] == nil ||
		cs.Card.Details["phone_alt"].Text != "(303) 555-0188" || cs.Card.Details["source"].Text != "shopify:7301234567001" {
		t.Fatalf("card: %q", screenText(a))
	}
	if len(cs.Card.Customer.Bikes) != 1 || cs.Card.Customer.Bikes[0].Year != 2022 {
		t.Fatalf("bikes on the card: %+v", cs.Card.Customer.Bikes)
	}
}
