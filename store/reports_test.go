package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// salesIn records n sales of amount minor units in shop, in the month of at.
func salesIn(t *testing.T, owner *Session, shop string, n int, amount int64, at time.Time) {
	t.Helper()
	for range n {
		must[string](t)(owner.RecordSale(context.Background(), SaleInput{ShopID: shop, PaymentMethod: "card", SoldAt: at,
			Lines: []Line{{Kind: "part", SKU: "X", Description: "tube", Qty: 1, UnitPrice: amount}}}))
	}
}

// TestRevenuePerCurrency: a USD and a EUR shop are never summed as numbers; conversion uses
// only the owner's rates and names a missing one; marketing's suppression holds per currency
// and in the converted view.
func TestRevenuePerCurrency(t *testing.T) {
	ctx := context.Background()
	f := newRecallFixture(t) // North USD, South EUR
	oct := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	salesIn(t, f.owner, f.north, 6, 1000, oct) // $60.00
	salesIn(t, f.owner, f.south, 5, 2000, oct) // €100.00
	salesIn(t, f.owner, f.north, 2, 500, nov)  // $10.00, two sales: suppressed for marketing
	st := must[*Stats](t)(f.owner.Stats(ctx))
	want := []Cell{{Key: "2026-10", Currency: "EUR", Value: 10000}, {Key: "2026-10", Currency: "USD", Value: 6000}, {Key: "2026-11", Currency: "USD", Value: 1000}}
	if !slices.Equal(st.RevenueByMonth, want) || !slices.Equal(st.Currencies, []string{"EUR", "USD"}) {
		t.Fatalf("revenue %+v currencies %v", st.RevenueByMonth, st.Currencies)
	}
	for _, c := range st.RevenueByMonth {
		if c.Value == 16000 {
			t.Fatal("USD and EUR were added")
		}
	}
	// The South manager sees EUR only.
	if st := must[*Stats](t)(f.users["sven"].Stats(ctx)); !slices.Equal(st.RevenueByMonth, want[:1]) {
		t.Fatalf("South's revenue %+v", st.RevenueByMonth)
	}
	// Marketing: the two-sale month is suppressed, per currency, and the USD total leaves it
	// out (a total less the months shown would give it away).
	mk := must[*Stats](t)(f.users["mark"].Stats(ctx))
	if mk.RevenueByMonth[2] != (Cell{Key: "2026-11", Currency: "USD", Value: -1, Suppressed: true}) || mk.RevenueByMonth[0].Suppressed {
		t.Fatalf("marketing %+v", mk.RevenueByMonth)
	}
	mrep := must[*RevenueReport](t)(f.users["mark"].RevenueReport(ctx, ""))
	if !slices.Equal(mrep.Totals, []Cell{{Key: "EUR", Currency: "EUR", Value: 10000}, {Key: "USD", Currency: "USD", Value: 6000}}) || !slices.Equal(mrep.Partial, []string{"USD"}) {
		t.Fatalf("marketing totals %+v partial %v", mrep.Totals, mrep.Partial)
	}

	// No rates: the converted view names the missing one.
	rep := must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "USD"))
	if cv := rep.Converted; cv == nil || !slices.Equal(cv.Missing, []string{"EUR"}) || cv.Total != 0 || cv.ByMonth != nil {
		t.Fatalf("converted without rates: %+v", rep.Converted)
	}
	if !slices.Equal(rep.Totals, []Cell{{Key: "EUR", Currency: "EUR", Value: 10000}, {Key: "USD", Currency: "USD", Value: 7000}}) {
		t.Fatalf("totals %+v", rep.Totals)
	}
	// Only the owner sets rates.
	for _, name := range []string{"mona", "sal", "mark"} {
		if err := f.users[name].SetRates(ctx, "USD", "", map[string]string{"EUR": "1.08"}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s set rates: %v", name, err)
		}
	}
	for _, bad := range []map[string]string{{"EUR": "-1"}, {"EUR": "0"}, {"EUR": "1e9"}, {"EURO": "1"}, {"EUR": "x"}} {
		var fe *ValidationError
		if err := f.owner.SetRates(ctx, "USD", "", bad); !errors.As(err, &fe) {
			t.Fatalf("rates %v: %v", bad, err)
		}
	}
	if err := f.owner.SetRates(ctx, "usd", "2026-11-30", map[string]string{"EUR": "1.08"}); err != nil {
		t.Fatal(err)
	}
	rep = must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "USD"))
	cv := rep.Converted
	if cv.Missing != nil || cv.RatesOn != "2026-11-30" || cv.Total != 7000+10800 ||
		!slices.Equal(cv.ByMonth, []Cell{{Key: "2026-10", Currency: "USD", Value: 16800}, {Key: "2026-11", Currency: "USD", Value: 1000}}) {
		t.Fatalf("converted to USD: %+v", cv)
	}
	// To EUR through the base: $70.00 / 1.08 = €64.81 (rounded per month and currency).
	rep = must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "EUR"))
	if cv := rep.Converted; cv.Missing != nil || cv.Total != 10000+5556+926 {
		t.Fatalf("converted to EUR: %+v", cv)
	}
	// Marketing's converted view leaves a suppressed month suppressed (and out of the total).
	rep = must[*RevenueReport](t)(f.users["mark"].RevenueReport(ctx, "USD"))
	cv = rep.Converted
	if !cv.Hidden || !cv.ByMonth[1].Suppressed || cv.ByMonth[0].Suppressed || cv.Total != cv.ByMonth[0].Value {
		t.Fatalf("marketing converted: %+v", cv)
	}
	// A third currency without a rate: named, nothing converted.
	east := must[string](t)(f.owner.AddShop(ctx, "East", "CN", "CNY"))
	salesIn(t, f.owner, east, 1, 9900, oct)
	rep = must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "USD"))
	if cv := rep.Converted; !slices.Equal(cv.Missing, []string{"CNY"}) || cv.Total != 0 {
		t.Fatalf("with CNY: %+v", cv)
	}
	if _, err := f.owner.RevenueReport(ctx, "GBP"); err != nil {
		t.Fatal(err)
	} else if cv := must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "GBP")).Converted; !slices.Contains(cv.Missing, "GBP") {
		t.Fatalf("to an unrated currency: %+v", cv)
	}
	if err := f.owner.SetRates(ctx, "USD", "2026-12-01", map[string]string{"EUR": "1.08", "CNY": "0.14"}); err != nil {
		t.Fatal(err)
	}
	rep = must[*RevenueReport](t)(f.owner.RevenueReport(ctx, "USD"))
	if cv := rep.Converted; cv.Missing != nil || cv.Total != 7000+10800+1386 {
		t.Fatalf("with CNY rated: %+v", cv)
	}
	// With a one-sale CNY month, October is suppressed for marketing as a whole.
	rep = must[*RevenueReport](t)(f.users["mark"].RevenueReport(ctx, "USD"))
	if cv := rep.Converted; !cv.ByMonth[0].Suppressed || cv.Total != 0 {
		t.Fatalf("marketing converted with CNY: %+v", cv)
	}
	for _, c := range rep.ByMonth {
		if c.Currency == "CNY" && !c.Suppressed {
			t.Fatalf("a one-sale CNY month shown to marketing: %+v", c)
		}
	}
	// The rates are read back as entered, with who set them and when.
	r := must[*FXRates](t)(f.users["mona"].Rates(ctx))
	if r.Base != "USD" || r.On != "2026-12-01" || r.Rates["CNY"] != "0.14" || r.SetBy != "olga" {
		t.Fatalf("rates %+v", r)
	}
	if _, err := f.users["mech"].RevenueReport(ctx, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("mechanic: %v", err)
	}
	_ = fmt.Sprint
}

func TestParseRates(t *testing.T) {
	for _, tc := range []struct {
		in []string
		ok bool
	}{
		{[]string{"EUR=1.08", "cny=0.14"}, true},
		{[]string{"EUR"}, false},
		{[]string{"EUR=abc"}, false},
		{[]string{"EU=1"}, false},
		{[]string{"EUR=-2"}, false},
		{[]string{"EUR=1/2"}, false},
	} {
		got, err := ParseRates(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%v: %v %v", tc.in, got, err)
		}
	}
}
