package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"spoke/protocol"
	"spoke/store"
)

// TestScreenshots renders every main screen of the demo shop in English and in Chinese with
// Fyne's software driver into $SPOKE_SCREENSHOTS (`make screenshots`: ./screenshots).
func TestScreenshots(t *testing.T) {
	out := os.Getenv("SPOKE_SCREENSHOTS")
	if out == "" {
		t.Skip("set SPOKE_SCREENSHOTS=DIR to render the screenshots (make screenshots)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{langEN, langZH} {
		t.Run(lang, func(t *testing.T) {
			h := newDemoApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			shot := func(name string) {
				t.Helper()
				a.Wait()
				capture(t, a, filepath.Join(out, name+"-"+lang+".png"))
			}
			shot("01-sign-in")
			owner := h.staff("owner", "")
			h.signIn(owner.Username, owner.Password)
			if a.Shell == nil {
				t.Fatal("owner sign-in failed")
			}
			cs := a.Shell.Customers
			test.Type(cs.Search, "li")
			shot("02-customer-search")
			if len(cs.results) == 0 {
				t.Fatal("no search results")
			}
			// A Shanghai customer with bikes and history makes the richest card.
			pick := cs.results[0].ID
			for _, r := range cs.results {
				if sh, ok := a.shopByID(r.ShopID); ok && sh.Region == "CN" {
					pick = r.ID
					break
				}
			}
			cs.Open(pick, "")
			shot("03-customer-card")
			cs.NewCustomer()
			if cs.Form.Shop != nil {
				cs.Form.Shop.SetSelectedIndex(0)
			}
			test.Type(cs.Form.Name, "李小龙")
			test.Type(cs.Form.Email, "not-an-email")
			test.Type(cs.Form.Phone, "12")
			test.Tap(cs.Form.Save)
			shot("04-customer-form")
			a.Shell.Show(tabBoard)
			shot("05-work-order-board")
			for id, c := range a.Shell.Board.Cards {
				if c.Status == store.StatusInProgress {
					a.Shell.Board.OpenJob(c.Item.CustomerID, id)
					break
				}
			}
			shot("06-work-order")
			a.Shell.Show(tabSales)
			s := a.Shell.Sales
			test.Type(s.Lines[0].Desc, "Inner tube 700x28")
			test.Type(s.Lines[0].Price, "8.50")
			l := s.addLine()
			test.Type(l.Desc, "Tyre lever set")
			test.Type(l.Price, "4.99")
			shot("07-sale")
			a.Shell.Show(tabDashboard)
			shot("08-dashboard")
			a.Shell.Show(tabUsers)
			shot("09-users")
			a.Shell.Show(tabAudit)
			test.Tap(a.Shell.Audit.Verify)
			shot("10-audit")
			a.Shell.Show(tabImport)
			shot("11-import")
			// The mapping preview of a POS export (invented people), before anything is written.
			if b, err := os.ReadFile(filepath.Join("..", "csvimport", "testdata", "pos_lightspeed_r.csv")); err == nil {
				p := filepath.Join(t.TempDir(), "lightspeed-customers.csv")
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				a.Shell.Import.Path.SetText(p)
				test.Tap(a.Shell.Import.Check)
				a.Wait()
				shot("11-import-preview")
			}
			a.Shell.Show(tabSettings)
			shot("12-settings")
			a.Shell.Show(tabReminders)
			shot("25-reminders")
			showAdmin[*MailPane](t, a, paneMail)
			shot("26-mail-and-reminders")
			a.SetDark(true)
			a.Shell.Show(tabBoard)
			shot("13-board-dark")
			a.SetDark(false)
			// The security training: a lesson, and its quiz half answered.
			a.Shell.ShowAdminPane(paneTraining)
			a.Wait()
			tp := a.Shell.Admin.Panes[paneTraining].Content.(*TrainingPane)
			tp.OpenLesson("counter")
			shot("40-training-lesson")
			test.Tap(tp.TakeQuiz)
			a.Wait()
			tp.Choose(0, 1)
			tp.Choose(1, 0)
			shot("41-training-quiz")
			test.Tap(tp.BackQuiz)
			test.Tap(tp.BackLesson)
			shot("42-training-status")
			a.Shell.Show(tabBackups)
			b := a.Shell.Backups
			a.Wait()
			shot("16-backups-none")
			b.Folder.SetText(filepath.Join(t.TempDir(), "usb-backup"))
			test.Tap(b.BackUpNow)
			a.Wait()
			b.Kind.SetSelected(b.Kind.Options[2]) // incremental
			test.Tap(b.BackUpNow)
			a.Wait()
			test.Tap(b.Check)
			shot("17-backups")
			b.RestoreDir.SetText(filepath.Join(t.TempDir(), "restored"))
			test.Tap(b.Restore)
			b.ConfirmRestore.Confirm()
			a.Wait()
			b.scroll.ScrollToBottom()
			shot("18-backups-restore")
		})
	}
	t.Run("people", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoAppOneClock(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.clock.Add(91 * 24 * time.Hour)
			sales := h.staff("sales", "")
			h.signInAs("owner", "")
			p := showAdmin[*ReviewPane](t, a, paneReview)
			test.Tap(p.Start)
			a.Wait()
			if len(p.review.Accounts) > 0 {
				p.List.Select(0)
			}
			a.Wait()
			capture(t, a, filepath.Join(out, "21-permission-review-"+lang+".png"))
			l := showAdmin[*LeaversPane](t, a, paneLeavers)
			l.Person.SetSelected(sales.Username)
			l.Date.SetText(a.opts.Now().Add(14 * 24 * time.Hour).Format("2006-01-02"))
			test.Tap(l.SetDate)
			a.Wait()
			test.Tap(l.Report)
			a.Wait()
			capture(t, a, filepath.Join(out, "22-leaver-report-"+lang+".png"))
		}
	})
	t.Run("alerts", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.signInAs("manager", "")
			raiseBulkDelete(t, a)
			a.SwitchUser()
			a.Wait()
			h.signInAs("owner", "")
			p := showAdmin[*AlertsPane](t, a, paneAlerts)
			p.Reload()
			a.Wait()
			if len(p.alerts) > 0 {
				p.List.Select(0)
			}
			a.Wait()
			capture(t, a, filepath.Join(out, "23-alerts-"+lang+".png"))
		}
	})
	t.Run("holds", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoAppOneClock(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.signInAs("manager", "")
			res, err := a.Session().ExportCustomers(t.Context(), store.ExportFilter{}, "age")
			if err != nil || res.Held == nil {
				t.Fatalf("held export: %v", err)
			}
			a.SwitchUser()
			a.Wait()
			h.signInAs("owner", "")
			a.checkNotices()
			p := showAdmin[*HoldsPane](t, a, paneHolds)
			p.Select(res.Held.ID)
			a.Wait()
			capture(t, a, filepath.Join(out, "24-held-requests-"+lang+".png"))
		}
	})
	t.Run("campaigns", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.signInAs("marketing", "")
			a.Shell.Show(tabCampaigns)
			a.Wait()
			s := a.Shell.Campaigns
			s.Types.SetSelected([]string{"road", "e-bike"})
			s.BoughtFrom.SetText("2025-01-01")
			test.Tap(s.CountBtn)
			a.Wait()
			capture(t, a, filepath.Join(out, "25-campaigns-"+lang+".png"))
		}
	})
	t.Run("recalls", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.signInAs("owner", "")
			ctx := t.Context()
			id, err := a.Session().CreateRecall(ctx, store.RecallInput{Make: "Giant", Models: []string{"Talon 2", "Revolt 2"}, YearFrom: 2020, YearTo: 2026,
				Reference: "GNT-2026-014", Title: "Fork crown inspection", IssuedOn: "2026-11-30"})
			if err != nil {
				t.Fatal(err)
			}
			p := showAdmin[*RecallsPane](t, a, paneRecalls)
			p.Reload()
			a.Wait()
			p.Select(id)
			a.Wait()
			capture(t, a, filepath.Join(out, "25-recalls-"+lang+".png"))
			if err := a.Session().SetRates(ctx, "USD", "2026-11-30", map[string]string{"EUR": "1.08", "CNY": "0.14"}); err != nil {
				t.Fatal(err)
			}
			a.Shell.Show(tabDashboard)
			a.Shell.Dashboard.Refresh()
			a.Wait()
			capture(t, a, filepath.Join(out, "26-dashboard-currencies-"+lang+".png"))
		}
	})
	t.Run("sync", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			code := startHub(t)
			h := newSmallApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			h.signInOwner()
			a.Shell.Show(tabSync)
			a.Wait()
			capture(t, a, filepath.Join(out, "19-sync-not-connected-"+lang+".png"))
			s := a.Shell.Sync
			s.Code.SetText(code.Encode())
			test.Tap(s.Connect)
			a.Wait()
			test.Tap(s.AddDevice)
			a.Wait()
			second, err := protocol.DecodeEnrollCode(s.NewCode.Text)
			if err != nil {
				t.Fatal(err)
			}
			st2, eng2 := enrolSecond(t, second)
			editOnBoth(t, a, st2, eng2)
			test.Tap(s.SyncNow)
			a.Wait()
			test.Tap(s.AddDevice)
			a.Wait()
			test.Tap(s.Verify)
			a.Wait()
			capture(t, a, filepath.Join(out, "20-sync-"+lang+".png"))
			a.Close()
		}
	})
	t.Run("checkup", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			h := newDemoApp(t)
			a := h.a
			a.SetLanguage(lang)
			a.Wait()
			owner := h.staff("owner", "")
			h.signIn(owner.Username, owner.Password)
			if a.Shell == nil {
				t.Fatal("owner sign-in failed")
			}
			ctx := context.Background()
			// An incident whose 72 hours ran out, and a changed schedule, for the report.
			if _, err := a.ss.OpenIncident(ctx, store.IncidentInput{Kind: store.IncidentOther, DiscoveredAt: time.Now().Add(-80 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := a.ss.SetCheckupSettings(ctx, store.CheckupSettings{EveryDays: 91, SilentDays: 10}); err != nil {
				t.Fatal(err)
			}
			p := showCheckup(t, a)
			test.Tap(p.RunNow)
			a.Wait()
			a.checkNotices()
			a.Wait()
			if i := p.findingIndex("not_connected"); i >= 0 {
				p.List.Select(i)
				a.Wait()
				test.Type(p.Note, "one shop, no hub yet")
				test.Tap(p.Accept)
				a.Wait()
			}
			p.List.Select(0)
			a.Wait()
			capture(t, a, filepath.Join(out, "30-checkup-"+lang+".png"))
			a.Close()
		}
	})
	t.Run("setup", func(t *testing.T) {
		for _, lang := range []string{langEN, langZH} {
			fa := test.NewTempApp(t)
			a := New(fa, Options{DataDir: t.TempDir(), Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true,
				KeychainProbe: func(context.Context) bool { return false }})
			a.Wait()
			a.SetLanguage(lang)
			a.W.Resize(fyne.NewSize(1280, 800))
			a.Wait()
			s := a.Setup
			test.Type(s.ShopName, "Spoke & Chain Portland")
			test.Tap(s.Next)
			test.Type(s.OwnerUsername, "olga")
			test.Type(s.OwnerName, "Olga Owner")
			test.Type(s.Password, "owner-password-1")
			test.Type(s.Confirm, "owner-password-1")
			test.Type(s.Passphrase, "a long shop passphrase")
			test.Type(s.Passphrase2, "a long shop passphrase")
			a.Wait()
			capture(t, a, filepath.Join(out, "14-setup-owner-"+lang+".png"))
			test.Tap(s.Next)
			a.Wait()
			capture(t, a, filepath.Join(out, "15-setup-emergency-kit-"+lang+".png"))
			a.Close()
		}
	})
}
