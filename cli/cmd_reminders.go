package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"spoke/mail"
	"spoke/store"
)

func init() {
	register(command{name: "reminders", summary: "service reminders due at the counter; --send e-mails them to consented customers; rules, mark, unsubscribe", run: runReminders})
}

const remindersUsage = `usage: spoke reminders --as USER [--shop SHOP] [--within DAYS] [--json]     the due list
       spoke reminders --send --as USER [--shop SHOP] [--id ID,...]          e-mail them (consented only)
       spoke reminders mark --as USER ID called|dismissed                    handled by hand
       spoke reminders rules --as USER [--shop SHOP]                         the shop's rules
       spoke reminders rule --as USER KIND --every N --unit weeks|months [--type TYPE] [--off]
       spoke reminders unsubscribe --as USER TOKEN                           an "unsubscribe" reply`

func runReminders(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("reminders", env, &c, true)
	shop := fs.String("shop", "", "shop name or id (default: yours)")
	within := fs.Int("within", 14, "days ahead the due list looks")
	send := fs.Bool("send", false, "e-mail the due reminders through the shop's mail server")
	ids := fs.String("id", "", "with --send: only these reminder ids (comma-separated)")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	every := fs.Int("every", 0, "rule: how many weeks or months")
	unit := fs.String("unit", "", "rule: weeks or months")
	bikeType := fs.String("type", "", "rule: only bikes of this type (e.g. e-bike)")
	off := fs.Bool("off", false, "rule: turn it off")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "", "mark", "rules", "rule", "unsubscribe":
	default:
		return errUsage{"unknown reminders command " + fmt.Sprintf("%q", sub) + "\n" + remindersUsage}
	}
	if *within < 1 || *within > 366 {
		return errUsage{"--within is 1 to 366 days"}
	}
	st, ss, shopID, err := c.signInAtShop(ctx, *shop)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "mark":
		if len(pos) != 2 || (pos[1] != "called" && pos[1] != "dismissed") {
			return errUsage{"usage: spoke reminders mark --as USER ID called|dismissed"}
		}
		if err := ss.MarkReminder(ctx, shopID, pos[0], store.ReminderOutcome(pos[1])); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "Marked", pos[1]+"; it leaves the list on every device with the next sync")
		return nil
	case "rules":
		rules, err := ss.ReminderRules(ctx, shopID)
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, rules, []string{"KIND", "EVERY", "BIKE TYPE", "ON", "SET"}, func(r store.ReminderRule) []any {
			set := "default"
			if !r.SetAt.IsZero() {
				set = r.SetAt.Local().Format("2006-01-02")
			}
			return []any{r.Kind, fmt.Sprintf("%d %s", r.Every, r.Unit), orDash(r.BikeType), yesno(r.Enabled), set}
		})
	case "rule":
		if len(pos) != 1 || *every == 0 || *unit == "" {
			return errUsage{"usage: spoke reminders rule --as USER KIND --every N --unit weeks|months [--type TYPE] [--off]"}
		}
		r := store.ReminderRule{Kind: store.ReminderKind(pos[0]), Every: *every, Unit: *unit, BikeType: *bikeType, Enabled: !*off}
		if err := ss.SetReminderRule(ctx, shopID, r); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Rule %s: every %d %s%s\n", r.Kind, r.Every, r.Unit, map[bool]string{true: " (off)", false: ""}[*off])
		return nil
	case "unsubscribe":
		if len(pos) != 1 {
			return errUsage{"usage: spoke reminders unsubscribe --as USER TOKEN (the token in the reply's subject)"}
		}
		added, err := ss.UnsubscribeByToken(ctx, shopID, strings.TrimSpace(strings.TrimPrefix(pos[0], "unsubscribe ")))
		if err != nil {
			return err
		}
		if added {
			fmt.Fprintln(env.Stdout, "Withdrawal recorded: no more messages of that kind go to this customer")
		} else {
			fmt.Fprintln(env.Stdout, "Already withdrawn: nothing changed")
		}
		return nil
	}
	if len(pos) != 0 {
		return errUsage{remindersUsage}
	}
	if *send {
		var only []string
		if *ids != "" {
			only = strings.Split(*ids, ",")
		}
		rep, err := ss.SendReminders(ctx, shopID, only, mail.SMTP{})
		if err != nil {
			return err
		}
		if *asJSON {
			return emit(env.Stdout, true, []store.SendReport{*rep}, nil, nil)
		}
		fmt.Fprintf(env.Stdout, "Sent %d; not sent: %d without consent, %d without an e-mail address, %d failed\n", rep.Sent, rep.NoConsent, rep.NoAddress, rep.Failed)
		for _, e := range rep.Errors {
			fmt.Fprintln(env.Stdout, "  "+e)
		}
		if rep.NoConsent+rep.NoAddress+rep.Failed > 0 {
			fmt.Fprintln(env.Stdout, "Those stay on the list: call them, or mark them (spoke reminders mark)")
		}
		return nil
	}
	due, err := ss.DueReminders(ctx, store.DueOptions{ShopID: shopID, Within: time.Duration(*within) * 24 * time.Hour})
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, due, []string{"DUE", "KIND", "CUSTOMER", "PHONE", "BIKE", "E-MAIL", "CONSENT", "ID"}, func(d store.DueReminder) []any {
		return []any{d.Due.Local().Format("2006-01-02"), d.Kind, d.Name, orDash(d.Phone), orDash(d.Bike), yesno(d.HasEmail), d.Consent, d.ID}
	})
}

// signInAtShop signs in as --as and resolves --shop (a name or an id; "" stays "": the
// user's own shop, or the chain's only one).
func (c *common) signInAtShop(ctx context.Context, shop string) (*store.Store, *store.Session, string, error) {
	st, ss, err := c.signIn(ctx)
	if err != nil || shop == "" {
		return st, ss, "", err
	}
	id, err := shopID(ctx, ss, shop)
	if err != nil {
		st.Close()
		return nil, nil, "", err
	}
	return st, ss, id, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
