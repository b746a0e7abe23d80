package store

import (
	"context"
	"testing"
	"time"

	"spoke/mail"
)

// useReminderTables writes a row of every table issue 14's reminders add (a rule, the mail
// server, a dismissed reminder, an unsubscribe token) in the first shop, for the fixtures that
// must use every table.
func useReminderTables(t *testing.T, st *Store, owner *Session) {
	t.Helper()
	ctx := context.Background()
	shop := must[[]Shop](t)(owner.Shops(ctx))[0].ID
	if err := owner.SetReminderRule(ctx, shop, ReminderRule{Kind: KindAfterJob, Every: 10, Unit: "months", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := owner.SetMailSettings(ctx, shop, MailSettings{Settings: mail.Settings{Host: "smtp.example.test", Username: "u", Password: "p", From: "shop@example.test", FromName: "Shop"}}); err != nil {
		t.Fatal(err)
	}
	c := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Reminded Person", ShopID: shop}))
	must[string](t)(owner.AddBike(ctx, c, Bike{Make: "Giant", SoldAt: time.Now().AddDate(0, 0, -40)}))
	due := must[[]DueReminder](t)(owner.DueReminders(ctx, DueOptions{ShopID: shop}))
	for _, d := range due {
		if d.CustomerID == c {
			if err := owner.MarkReminder(ctx, shop, d.ID, OutcomeDismissed); err != nil {
				t.Fatal(err)
			}
		}
	}
	tok := must[string](t)(st.unsubscribeToken(ctx, shop, c, PurposeServiceReminders))
	if err := owner.write(ctx, "unsubscribe.tokens", func(w *wtx) error {
		_, err := w.putUnsubscribeToken(shop, c, PurposeServiceReminders, tok)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
