package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"spoke/compliance/deadline"
	"spoke/store"
)

func init() {
	register(command{name: "requests", summary: "data-subject requests and their legal deadlines (owner, manager): list, new, confirm, verify, extend, close, holidays", run: runRequests})
}

const requestsUsage = `usage: spoke requests --as USER [--json] [--open] [--overdue] [--shop NAME]
       spoke requests new --as USER --type TYPE --channel CHANNEL [--subject CUSTOMER_ID] [--received YYYY-MM-DD] [--shop NAME]
       spoke requests confirm --as USER ID
       spoke requests verify --as USER ID --method METHOD
       spoke requests extend --as USER ID --notice-sent YYYY-MM-DD
       spoke requests close --as USER ID --outcome OUTCOME [--reason REASON]
       spoke requests holidays --as USER [--json] [--shop NAME]
       spoke requests holidays add --as USER --day YYYY-MM-DD --label NAME [--shop NAME]
       spoke requests holidays remove --as USER --day YYYY-MM-DD [--shop NAME]`

// requestSubcommands are the words after "requests" that name a step; anything else is the list.
var requestSubcommands = []string{"new", "confirm", "verify", "extend", "close", "holidays"}

func runRequests(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if !slices.Contains(requestSubcommands, args[0]) {
			return errUsage{fmt.Sprintf("unknown step %q\n%s", args[0], requestsUsage)}
		}
		sub, args = args[0], args[1:]
	}
	if sub == "holidays" {
		return runHolidays(ctx, env, args)
	}
	var c common
	fs := newFlags(strings.TrimSpace("requests "+sub), env, &c, true)
	var (
		asJSON   = fs.Bool("json", false, "one JSON object per line")
		open     = fs.Bool("open", false, "open requests only")
		overdue  = fs.Bool("overdue", false, "overdue requests only")
		shop     = fs.String("shop", "", "the shop (default: yours, or the only one)")
		typ      = fs.String("type", "", "request type: "+strings.Join(store.RequestTypes, ", "))
		channel  = fs.String("channel", "", "how it came: "+strings.Join(store.RequestChannels, ", "))
		subject  = fs.String("subject", "", "the customer's id (leave out for a person not found)")
		received = fs.String("received", "", "the day it came, YYYY-MM-DD (default: today)")
		method   = fs.String("method", "", "how the identity was checked: "+strings.Join(store.VerifyMethods, ", "))
		notice   = fs.String("notice-sent", "", "the day the person was told of the extension, YYYY-MM-DD")
		outcome  = fs.String("outcome", "", "the answer: "+strings.Join(store.RequestOutcomes, ", "))
		reason   = fs.String("reason", "", "why a request was refused or partly answered: "+strings.Join(store.RefusalReasons, ", "))
	)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	// Each step takes its own flags: another step's is a mistake, said before signing in.
	allowed := map[string][]string{
		"":        {"json", "open", "overdue", "shop"},
		"new":     {"type", "channel", "subject", "received", "shop"},
		"confirm": {},
		"verify":  {"method"},
		"extend":  {"notice-sent"},
		"close":   {"outcome", "reason"},
	}[sub]
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains([]string{"data", "passphrase-file", "as", "password-file"}, f.Name) && !slices.Contains(allowed, f.Name) {
			stray = append(stray, "--"+f.Name)
		}
	})
	if len(stray) > 0 {
		return errUsage{fmt.Sprintf("%s does not apply here\n%s", strings.Join(stray, ", "), requestsUsage)}
	}
	wantIDs := 1
	if sub == "" || sub == "new" {
		wantIDs = 0
	}
	if len(pos) != wantIDs {
		return errUsage{requestsUsage}
	}
	// Codes and dates are checked here, so a mistyped one is a usage error (exit 2).
	oneOf := func(flagName, v string, list []string, required bool) error {
		if v == "" && !required || slices.Contains(list, v) {
			return nil
		}
		return errUsage{fmt.Sprintf("--%s must be one of %s", flagName, strings.Join(list, ", "))}
	}
	day := func(flagName, v string, required bool) (deadline.Date, error) {
		if v == "" && !required {
			return deadline.Date{}, nil
		}
		d, err := deadline.ParseDate(v)
		if err != nil {
			return d, errUsage{fmt.Sprintf("--%s: %v", flagName, err)}
		}
		return d, nil
	}
	var recvDay, noticeDay deadline.Date
	switch sub {
	case "new":
		if err := oneOf("type", *typ, store.RequestTypes, true); err != nil {
			return err
		}
		if err := oneOf("channel", *channel, store.RequestChannels, true); err != nil {
			return err
		}
		if recvDay, err = day("received", *received, false); err != nil {
			return err
		}
	case "verify":
		if err := oneOf("method", *method, store.VerifyMethods, true); err != nil {
			return err
		}
	case "extend":
		if noticeDay, err = day("notice-sent", *notice, true); err != nil {
			return err
		}
	case "close":
		if err := oneOf("outcome", *outcome, store.RequestOutcomes, true); err != nil {
			return err
		}
		if err := oneOf("reason", *reason, store.RefusalReasons, false); err != nil {
			return err
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shopID := ""
	if *shop != "" {
		s, err := ss.ShopByName(ctx, *shop)
		if err != nil {
			return err
		}
		shopID = s.ID
	}
	switch sub {
	case "":
		return listRequests(ctx, env, ss, store.RequestFilter{ShopID: shopID, OpenOnly: *open, OverdueOnly: *overdue}, *asJSON)
	case "new":
		id, err := ss.NewRequest(ctx, store.RequestInput{ShopID: shopID, SubjectID: *subject, Type: *typ, Channel: *channel, Received: recvDay})
		if err != nil {
			return err
		}
		return said(ctx, env, ss, id, "Recorded request %s")
	case "confirm":
		if err := ss.ConfirmReceipt(ctx, pos[0]); err != nil {
			return err
		}
		return said(ctx, env, ss, pos[0], "Receipt of %s confirmed")
	case "verify":
		if err := ss.VerifyIdentity(ctx, pos[0], *method); err != nil {
			return err
		}
		return said(ctx, env, ss, pos[0], "Identity for %s verified ("+*method+")")
	case "extend":
		if err := ss.ExtendRequest(ctx, pos[0], noticeDay); err != nil {
			return err
		}
		return said(ctx, env, ss, pos[0], "Request %s extended")
	case "close":
		if err := ss.CloseRequest(ctx, pos[0], *outcome, *reason); err != nil {
			return err
		}
		return said(ctx, env, ss, pos[0], "Request %s closed: "+*outcome)
	}
	return nil
}

// said prints what a step did and the request's deadlines as they stand.
func said(ctx context.Context, env Env, ss *store.Session, id, what string) error {
	fmt.Fprintf(env.Stdout, what+"\n", id)
	rs, err := ss.Requests(ctx, store.RequestFilter{})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.ID == id {
			if r.ConfirmDue != "" && r.ConfirmedAt == nil && r.Open {
				fmt.Fprintf(env.Stdout, "Confirm receipt by %s\n", r.ConfirmDue)
			}
			if r.Open {
				fmt.Fprintf(env.Stdout, "Answer due by %s (%s, %s)\n", r.Due, r.Jurisdiction, requestState(r))
			}
		}
	}
	return nil
}

// requestState is a request's standing in a word or three: OVERDUE, due in N days, or how it
// closed.
func requestState(r store.PrivacyRequest) string {
	switch {
	case !r.Open:
		return r.Outcome
	case r.Overdue:
		return "OVERDUE"
	case r.DaysLeft == 0:
		return "due today"
	case r.DaysLeft == 1:
		return "due tomorrow"
	}
	return fmt.Sprintf("due in %d days", r.DaysLeft)
}

func listRequests(ctx context.Context, env Env, ss *store.Session, f store.RequestFilter, asJSON bool) error {
	rs, err := ss.Requests(ctx, f)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if shops, err := ss.Shops(ctx); err == nil {
		for _, s := range shops {
			names[s.ID] = s.Name
		}
	}
	return emit(env.Stdout, asJSON, rs, []string{"ID", "SHOP", "TYPE", "SUBJECT", "RECEIVED", "CONFIRM BY", "DUE", "STATUS", "STATE"}, func(r store.PrivacyRequest) []any {
		subject, confirm := "-", "-"
		if n := len(r.SubjectID); n > 8 {
			subject = r.SubjectID[n-8:] // a UUIDv7's random tail (its head is the day it was made)
		}
		if r.ConfirmDue != "" {
			confirm = r.ConfirmDue
			if r.ConfirmedAt != nil {
				confirm += " (done)"
			}
		}
		return []any{r.ID, names[r.ShopID], r.Type, subject, r.Received, confirm, r.Due, r.Status, requestState(r)}
	})
}

func runHolidays(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		if sub != "add" && sub != "remove" {
			return errUsage{fmt.Sprintf("unknown step %q\n%s", sub, requestsUsage)}
		}
	}
	var c common
	fs := newFlags(strings.TrimSpace("requests holidays "+sub), env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	shop := fs.String("shop", "", "the shop (default: yours, or the only one)")
	dayFlag := fs.String("day", "", "the holiday, YYYY-MM-DD")
	label := fs.String("label", "", "its name, e.g. \"Christmas Day\"")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errUsage{requestsUsage}
	}
	var d deadline.Date
	if sub != "" {
		if d, err = deadline.ParseDate(*dayFlag); err != nil {
			return errUsage{"--day: " + err.Error()}
		}
		if sub == "add" && strings.TrimSpace(*label) == "" {
			return errUsage{"--label NAME is required"}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shopID := ""
	if *shop != "" {
		s, err := ss.ShopByName(ctx, *shop)
		if err != nil {
			return err
		}
		shopID = s.ID
	}
	switch sub {
	case "add":
		if _, err := ss.AddHoliday(ctx, shopID, d, *label); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Added %s; requests received from now on skip it\n", d)
		return nil
	case "remove":
		if err := ss.RemoveHoliday(ctx, shopID, d); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Removed %s\n", d)
		return nil
	}
	hs, err := ss.Holidays(ctx, shopID)
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, hs, []string{"DAY", "NAME"}, func(h store.Holiday) []any { return []any{h.Day, h.Label} })
}
