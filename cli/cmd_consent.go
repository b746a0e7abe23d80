package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"spoke/store"
)

func init() {
	register(command{name: "consent", summary: "a customer's consents; 'consent grant|withdraw' records one, 'consent audience' lists consented ids, 'consent transfer-setting' where data goes abroad", run: runConsent})
}

// keptLocalLine is what a card says of a customer whose data stays on the shop's devices.
const keptLocalLine = "Kept on this shop's devices only: no consent to transfer abroad (PIPL Art. 39)"

func runConsent(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "grant", "withdraw", "audience", "transfer-setting":
			sub, args = args[0], args[1:]
		}
	}
	switch sub {
	case "grant", "withdraw":
		return runConsentRecord(ctx, env, sub == "grant", args)
	case "audience":
		return runConsentAudience(ctx, env, args)
	case "transfer-setting":
		return runTransferSetting(ctx, env, args)
	}
	var c common
	fs := newFlags("consent", env, &c, true)
	asJSON := fs.Bool("json", false, "print JSON: the current states, the history and whether the data stays local")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage{"usage: spoke consent --as USER [--json] ID | spoke consent grant|withdraw ... | spoke consent audience ... | spoke consent transfer-setting ..."}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cur, err := ss.CurrentConsents(ctx, pos[0])
	if err != nil {
		return err
	}
	hist, err := ss.ConsentHistory(ctx, pos[0])
	if err != nil {
		return err
	}
	kept, err := ss.TransferKeptLocal(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			Current   []store.ConsentState `json:"current"`
			History   []store.ConsentEvent `json:"history"`
			KeptLocal bool                 `json:"kept_local"`
		}{cur, hist, kept})
	}
	printConsents(env.Stdout, cur, hist, kept)
	return nil
}

func printConsents(w io.Writer, cur []store.ConsentState, hist []store.ConsentEvent, kept bool) {
	if kept {
		fmt.Fprintln(w, keptLocalLine)
	}
	fmt.Fprintln(w, "Current")
	if len(cur) == 0 {
		fmt.Fprintln(w, "  none recorded: no reminder or campaign is sent")
	}
	for _, s := range cur {
		fmt.Fprintf(w, "  %-22s %-6s %-9s since %s\n", s.Purpose, s.Channel, grantedWord(s.Granted), s.Since.Local().Format("2006-01-02 15:04"))
	}
	fmt.Fprintln(w, "History (newest first)")
	_ = emit(w, false, hist, []string{"  AT", "PURPOSE", "CHANNEL", "STATE", "BASIS", "SOURCE", "NOTICE", "BY", "FLAGS", "ID"}, func(e store.ConsentEvent) []any {
		var flags []string
		if e.Parental {
			flags = append(flags, "parental")
		}
		if e.SubjectUnderAge {
			flags = append(flags, "under-age")
		}
		return []any{"  " + e.At.Local().Format("2006-01-02 15:04"), e.Purpose, e.Channel, grantedWord(e.Granted), e.Basis, e.Source, e.Notice, e.Recorder, strings.Join(flags, ","), e.ID}
	})
}

func grantedWord(g bool) string {
	if g {
		return "granted"
	}
	return "withdrawn"
}

func runConsentRecord(ctx context.Context, env Env, granted bool, args []string) error {
	name := "consent withdraw"
	if granted {
		name = "consent grant"
	}
	var c common
	fs := newFlags(name, env, &c, true)
	purpose := fs.String("purpose", "", "service_reminders, email_marketing, sms_marketing, brand_sharing, cross_border_transfer or sensitive_data (required)")
	channel := fs.String("channel", "", "email, sms, post, phone or any (default: the purpose's own: email for e-mail marketing, sms for SMS, any otherwise)")
	basis := fs.String("basis", "consent", "consent, contract, legitimate_interest, legal_obligation or parental_consent")
	source := fs.String("source", "counter", "counter, web_form, paper, import or phone")
	notice := fs.String("notice", "", "the version of the privacy notice the customer was shown, like 2026-11 (required)")
	parental := fs.Bool("parental", false, "given by a parent or guardian (needed under the age of digital consent)")
	at := fs.String("at", "", "when it was given, YYYY-MM-DD or YYYY-MM-DD HH:MM local time (default: now)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *purpose == "" || *notice == "" {
		return errUsage{"usage: spoke " + name + " --as USER ID --purpose P --notice V [--channel C] [--basis B] [--source S] [--parental] [--at TIME]"}
	}
	ev := store.ConsentEvent{Purpose: store.Purpose(*purpose), Channel: store.Channel(*channel), Granted: granted, Basis: store.LawfulBasis(*basis),
		Source: store.ConsentSource(*source), Notice: *notice, Parental: *parental}
	if *at != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04", *at, time.Local)
		if err != nil {
			if t, err = time.ParseInLocation(time.DateOnly, *at, time.Local); err != nil {
				return errUsage{"--at is a date like 2026-11-03 or 2026-11-03 14:30"}
			}
		}
		ev.At = t
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := ss.RecordConsent(ctx, pos[0], ev)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Recorded %s %s (event %s)\n", grantedWord(granted), *purpose, id)
	return nil
}

func runConsentAudience(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("consent audience", env, &c, true)
	shop := fs.String("shop", "", "the shop (default: yours, or the only shop)")
	purpose := fs.String("purpose", "", "the campaign's purpose (required)")
	channel := fs.String("channel", "", "the one channel it is sent by: email, sms, post or phone (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *purpose == "" || *channel == "" {
		return errUsage{"usage: spoke consent audience --as USER --purpose P --channel C [--shop NAME]"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shopID, err := shopIDFor(ctx, ss, *shop)
	if err != nil {
		return err
	}
	ids, err := ss.ConsentedAudience(ctx, shopID, store.Purpose(*purpose), store.Channel(*channel))
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(env.Stdout, id)
	}
	return nil
}

// shopIDFor resolves --shop: a name, else the user's shop, else the only shop.
func shopIDFor(ctx context.Context, ss *store.Session, name string) (string, error) {
	if name != "" {
		s, err := ss.ShopByName(ctx, name)
		return s.ID, err
	}
	if id := ss.User().ShopID; id != "" {
		return id, nil
	}
	shops, err := ss.Shops(ctx)
	if err != nil {
		return "", err
	}
	if len(shops) != 1 {
		return "", errUsage{"there are several shops: name one with --shop"}
	}
	return shops[0].ID, nil
}

func runTransferSetting(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags("consent transfer-setting", env, &c, true)
	hub := fs.String("hub-country", "", "the country the hub runs in, a two-letter code like DE or CN")
	owners := fs.String("owner-countries", "", "the countries the owner's laptops are in, comma-separated (e.g. DE,US)")
	clearIt := fs.Bool("clear", false, "remove the declaration")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || (*clearIt && (*hub != "" || *owners != "")) {
		return errUsage{"usage: spoke consent transfer-setting --as USER [--hub-country XX] [--owner-countries XX,YY] [--clear]"}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *hub != "" || *owners != "" || *clearIt {
		cur, err := ss.TransferSetting(ctx)
		if err != nil {
			return err
		}
		in := store.TransferSetting{HubCountry: cur.HubCountry, OwnerCountries: cur.OwnerCountries}
		if *hub != "" {
			in.HubCountry = *hub
		}
		if *owners != "" {
			in.OwnerCountries = strings.Split(*owners, ",")
		}
		if *clearIt {
			in = store.TransferSetting{}
		}
		if err := ss.SetTransferSetting(ctx, in); err != nil {
			return err
		}
	}
	ts, err := ss.TransferSetting(ctx)
	if err != nil {
		return err
	}
	or := func(s string) string {
		if s == "" {
			return "not declared"
		}
		return s
	}
	fmt.Fprintf(env.Stdout, "Hub:            %s\n", or(ts.HubCountry))
	fmt.Fprintf(env.Stdout, "Owner laptops:  %s\n", or(strings.Join(ts.OwnerCountries, ", ")))
	if ts.SetBy != "" {
		fmt.Fprintf(env.Stdout, "Declared by %s on %s\n", ts.SetBy, ts.SetAt.Local().Format("2006-01-02 15:04"))
	}
	if len(ts.KeptLocal) == 0 {
		fmt.Fprintln(env.Stdout, "No shop's customer data is kept back: every customer's data syncs.")
		return nil
	}
	shops, err := ss.Shops(ctx)
	if err != nil {
		return err
	}
	for _, s := range shops {
		for _, id := range ts.KeptLocal {
			if s.ID == id {
				fmt.Fprintf(env.Stdout, "%s (%s): a customer's data leaves its devices only with their consent to the transfer (PIPL Art. 39)\n", s.Name, s.Region)
			}
		}
	}
	return nil
}
