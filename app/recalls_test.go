package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

// TestRecallsGUI: the owner enters a recall with a pasted serial list on the Recalls pane,
// sees the planted bike's owner among the matches, records a notice and sees the progress;
// a salesperson, a mechanic and marketing have no Recalls pane.
func TestRecallsGUI(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	ctx := context.Background()
	h.signInAs("owner", "")
	mgr, err := a.ss.UserByName(ctx, h.staff("manager", "").Username)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.ss.CreateCustomer(ctx, store.CustomerInput{Name: "Rhea Recall", Email: "rhea@example.com", ShopID: mgr.ShopID})
	if err != nil {
		t.Fatal(err)
	}
	bike, err := a.ss.AddBike(ctx, c, store.Bike{Make: "Norco", Model: "Sight", Serial: "NRC-778-001"})
	if err != nil {
		t.Fatal(err)
	}
	p := showAdmin[*RecallsPane](t, a, paneRecalls)
	p.Make.SetText("Norco")
	p.Reference.SetText("NRC-2026-1")
	p.Title.SetText("Rear axle")
	p.Serials.SetText("# from Norco\nnrc 778 001\nNRC778002\n")
	test.Tap(p.Create)
	a.Wait()
	if p.Error.Text != "" || !strings.Contains(p.Result.Text, "2 frame serials") {
		t.Fatalf("create: %q %q", p.Error.Text, p.Result.Text)
	}
	if len(p.Recalls) == 0 {
		t.Fatal("no recall listed")
	}
	p.Select(p.Recalls[0].ID)
	a.Wait()
	if len(p.Found) != 1 || p.Found[0].BikeID != bike || p.Found[0].Name != "Rhea Recall" {
		t.Fatalf("matches %+v", p.Found)
	}
	if !strings.Contains(p.Progress.Text, "Affected 1") || !strings.Contains(p.Progress.Text, "outstanding 1") {
		t.Fatalf("progress %q", p.Progress.Text)
	}
	p.SelectMatch(bike)
	p.Channel.SetSelectedIndex(1) // phone
	p.Outcome.SetSelectedIndex(0) // reached
	if p.Record.Disabled() {
		t.Fatal("Record notice disabled")
	}
	test.Tap(p.Record)
	a.Wait()
	if p.Error.Text != "" || !strings.Contains(p.Progress.Text, "reached 1") || !strings.Contains(p.Progress.Text, "outstanding 0") {
		t.Fatalf("after the notice: %q %q", p.Error.Text, p.Progress.Text)
	}
	// E-mail to those not reached: none left here (reached by phone); the button says so.
	srv := startMail(t, a.ss, mgr.ShopID)
	c2, _ := a.ss.CreateCustomer(ctx, store.CustomerInput{Name: "Rex Recall", Email: "rex@example.com", ShopID: mgr.ShopID})
	if _, err := a.ss.AddBike(ctx, c2, store.Bike{Make: "Norco", Model: "Sight", Serial: "NRC778002"}); err != nil {
		t.Fatal(err)
	}
	p.Select(p.Recalls[0].ID)
	a.Wait()
	test.Tap(p.SendEmail)
	a.Wait()
	if got := srv.Messages(); len(got) != 1 || got[0].To[0] != "rex@example.com" || !strings.Contains(p.Result.Text, "Sent 1 recall notice") {
		t.Fatalf("recall e-mail: %+v %q %q", got, p.Result.Text, p.Error.Text)
	}
	// A bad serial line is refused by its number.
	p.Make.SetText("Norco")
	p.Reference.SetText("R2")
	p.Title.SetText("T2")
	p.Serials.SetText("OK1\nbad serial!\n")
	test.Tap(p.Create)
	a.Wait()
	if !strings.Contains(p.Error.Text, "line 2") || strings.Contains(p.Error.Text, "bad serial") {
		t.Fatalf("bad list: %q", p.Error.Text)
	}
	// The shop's manager: their shop only, and the chain-wide recall with its match.
	a.SwitchUser()
	a.Wait()
	h.signInAs("manager", "")
	mp := showAdmin[*RecallsPane](t, a, paneRecalls)
	if len(mp.Shop.Options) != 1 || mp.Shop.Options[0] == a.T("Every shop") {
		t.Fatalf("the manager's shops: %v", mp.Shop.Options)
	}
	mp.Reload()
	a.Wait()
	if len(mp.Recalls) != 1 {
		t.Fatalf("the manager's recalls: %+v", mp.Recalls)
	}
	mp.Select(mp.Recalls[0].ID)
	a.Wait()
	if len(mp.Found) != 2 || mp.Found[0].Outcome != store.NoticeReached {
		t.Fatalf("the manager's matches: %+v err %q shops %v user %+v progress %q", mp.Found, mp.Error.Text, a.shops, a.user.ShopID, mp.Progress.Text)
	}
	for _, role := range []string{"sales", "mechanic", "marketing"} {
		a.SwitchUser()
		a.Wait()
		h.signInAs(role, "")
		if a.Shell.Admin != nil && a.Shell.Admin.Panes[paneRecalls] != nil {
			t.Fatalf("%s has the Recalls pane", role)
		}
	}
}

// TestDashboardPerCurrency: with a USD and a EUR shop the dashboard draws one revenue chart
// per currency and says a chain-wide total needs rates; with the owner's rates it shows the
// converted total and the day of the rates.
func TestDashboardPerCurrency(t *testing.T) {
	h := newDemoApp(t)
	a := h.a
	ctx := context.Background()
	h.signInAs("owner", "")
	berlin, err := a.ss.AddShop(ctx, "Berlin Test", "DE", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ss.RecordSale(ctx, store.SaleInput{ShopID: berlin, PaymentMethod: "card", Lines: []store.Line{{Kind: "part", SKU: "T", Description: "tube", Qty: 1, UnitPrice: 1234}}}); err != nil {
		t.Fatal(err)
	}
	d := a.Shell.Dashboard
	d.Refresh()
	a.Wait()
	if d.Revenue["EUR"] == nil || len(d.Revenue) < 2 || len(d.Stats.Currencies) < 2 {
		t.Fatalf("charts %v currencies %v", d.Revenue, d.Stats.Currencies)
	}
	if !strings.Contains(d.Converted.Text, "exchange rates") || d.Rates == nil || !d.Rates.Visible() {
		t.Fatalf("converted %q", d.Converted.Text)
	}
	if !strings.Contains(d.ThisMonth.Text, "€") {
		t.Fatalf("this month %q", d.ThisMonth.Text)
	}
	test.Tap(d.Rates)
	a.Wait()
	f := d.RatesForm
	home := "USD"
	for _, c := range d.Stats.Currencies {
		if c != "EUR" {
			home = c
			break
		}
	}
	f.Base.SetText(home)
	f.On.SetText("2026-11-30")
	f.Pairs.SetText("EUR=abc")
	test.Tap(f.Save)
	a.Wait()
	if f.Error.Text == "" {
		t.Fatal("a bad rate saved")
	}
	var pairs []string
	for _, c := range d.Stats.Currencies {
		if c != home {
			pairs = append(pairs, c+"=1.10")
		}
	}
	f.Pairs.SetText(strings.Join(pairs, " "))
	test.Tap(f.Save)
	a.Wait()
	if !strings.Contains(d.Converted.Text, "converted to") || !strings.Contains(d.Converted.Text, "2026-11-30") {
		t.Fatalf("converted %q", d.Converted.Text)
	}
}
