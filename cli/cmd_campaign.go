package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"spoke/mail"
	"spoke/store"
)

func init() {
	register(command{name: "campaign", summary: "campaigns to consented audiences: count, create, list, show (marketing, owner, manager); recipients, sent (the shop's owner or manager)", run: runCampaign})
}

const campaignUsage = `usage: spoke campaign count|create|list|show|recipients|send|sent|cancel --as USER ...
  count       [spec flags]                     audience counts per shop (under 5: "<5")
  create      --name N [spec flags] --subject-en S --body-en S|--body-en-file F [--subject-zh S --body-zh S|--body-zh-file F]
  list                                         campaigns with per-shop counts
  show ID                                      one campaign: its spec and per-shop counts, sent, skipped
  recipients ID [--shop S]                     (the shop's owner or manager, on the shop's device) count and customer ids
  send ID [--shop S]                           (the shop's owner or manager, on the shop's device) e-mail it to the consented members
  sent ID --sent N --skipped N [--shop S]      record a send made outside Spoke (counts only)
  cancel ID                                    stop it where it is not sent yet
spec flags: --shop S (repeat) --type T (repeat) --make M (repeat) --bought-from D --bought-to D
  --serviced-before D --serviced-after D --spend-min A --spend-max A --currency CUR --purpose P --channel C`

// specFlags are the audience spec's flags.
type specFlags struct {
	shops, types, makes                                 multiFlag
	boughtFrom, boughtTo, servicedBefore, servicedAfter *string
	spendMin, spendMax, currency, purpose, channel      *string
}

func addSpecFlags(fs *flag.FlagSet) *specFlags {
	f := &specFlags{}
	fs.Var(&f.shops, "shop", "a shop's name or id (repeat; none: every shop you may)")
	fs.Var(&f.types, "type", "bike type: "+strings.Join(store.BikeTypes, ", ")+" (repeat)")
	fs.Var(&f.makes, "make", "bike make (repeat)")
	f.boughtFrom = fs.String("bought-from", "", "a purchase on or after this day (YYYY-MM-DD)")
	f.boughtTo = fs.String("bought-to", "", "a purchase on or before this day (YYYY-MM-DD)")
	f.servicedBefore = fs.String("serviced-before", "", "last collected service before this day")
	f.servicedAfter = fs.String("serviced-after", "", "last collected service on or after this day")
	f.spendMin = fs.String("spend-min", "", "total spend at the shop at least this amount (e.g. 500 or 499.50)")
	f.spendMax = fs.String("spend-max", "", "total spend at most this amount")
	f.currency = fs.String("currency", "", "the spend band's currency (ISO code): only shops keeping it are selected")
	f.purpose = fs.String("purpose", string(store.PurposeEmailMarketing), "consent purpose: "+strings.Join(purposeNames(), ", "))
	f.channel = fs.String("channel", "", "consent channel (default: the purpose's own)")
	return f
}

func purposeNames() []string {
	var out []string
	for _, p := range store.CampaignPurposes {
		out = append(out, string(p))
	}
	return out
}

// amount reads "500", "499.5" or "499.50" as minor units.
func amount(flagName, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, errUsage{"--" + flagName + ": at most two decimals"}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 {
		return 0, errUsage{"--" + flagName + ": an amount like 500 or 499.50"}
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt((frac + "0")[:2], 10, 64); err != nil || f < 0 {
			return 0, errUsage{"--" + flagName + ": an amount like 500 or 499.50"}
		}
	}
	return w*100 + f, nil
}

func (f *specFlags) spec(ctx context.Context, ss *store.Session) (store.AudienceSpec, error) {
	sp := store.AudienceSpec{BikeTypes: f.types, Makes: f.makes, BoughtFrom: *f.boughtFrom, BoughtTo: *f.boughtTo,
		ServicedBefore: *f.servicedBefore, ServicedAfter: *f.servicedAfter, SpendCurrency: *f.currency,
		Purpose: store.Purpose(*f.purpose), Channel: store.Channel(*f.channel)}
	var err error
	if sp.SpendMin, err = amount("spend-min", *f.spendMin); err != nil {
		return sp, err
	}
	if sp.SpendMax, err = amount("spend-max", *f.spendMax); err != nil {
		return sp, err
	}
	for _, s := range f.shops {
		id, err := shopID(ctx, ss, s)
		if err != nil {
			return sp, err
		}
		sp.Shops = append(sp.Shops, id)
	}
	return sp, nil
}

func shownCount(n int64) string {
	if n < 0 {
		return fmt.Sprintf("<%d", store.MinCell)
	}
	return strconv.FormatInt(n, 10)
}

func runCampaign(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errUsage{campaignUsage}
	}
	sub, args := args[0], args[1:]
	var c common
	fs := newFlags("campaign "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "JSON output")
	var spec *specFlags
	var name, subjectEN, bodyEN, bodyENFile, subjectZH, bodyZH, bodyZHFile, shop *string
	var sent, skipped *int
	switch sub {
	case "count":
		spec = addSpecFlags(fs)
	case "create":
		spec = addSpecFlags(fs)
		name = fs.String("name", "", "the campaign's name (required)")
		subjectEN, bodyEN, bodyENFile = fs.String("subject-en", "", "English subject"), fs.String("body-en", "", "English body"), fs.String("body-en-file", "", "file holding the English body")
		subjectZH, bodyZH, bodyZHFile = fs.String("subject-zh", "", "Chinese subject"), fs.String("body-zh", "", "Chinese body"), fs.String("body-zh-file", "", "file holding the Chinese body")
	case "recipients", "send":
		shop = fs.String("shop", "", "the shop (default: yours)")
	case "sent":
		shop = fs.String("shop", "", "the shop (default: yours)")
		sent, skipped = fs.Int("sent", -1, "messages sent (required)"), fs.Int("skipped", -1, "recipients skipped (required)")
	case "list", "show", "cancel":
	default:
		return errUsage{campaignUsage}
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	needID := sub == "show" || sub == "recipients" || sub == "send" || sub == "sent" || sub == "cancel"
	if needID != (len(pos) == 1) || !needID && len(pos) != 0 {
		return errUsage{campaignUsage}
	}
	if sub == "sent" && (*sent < 0 || *skipped < 0) {
		return errUsage{"usage: spoke campaign sent --as USER ID --sent N --skipped N"}
	}
	var in store.CampaignInput
	if sub == "create" {
		in = store.CampaignInput{Name: *name, SubjectEN: *subjectEN, BodyEN: *bodyEN, SubjectZH: *subjectZH, BodyZH: *bodyZH}
		for _, f := range []struct {
			file string
			dst  *string
		}{{*bodyENFile, &in.BodyEN}, {*bodyZHFile, &in.BodyZH}} {
			if f.file == "" {
				continue
			}
			if *f.dst != "" {
				return errUsage{"give a body or a body file, not both"}
			}
			b, err := os.ReadFile(f.file)
			if err != nil {
				return errUsage{"cannot read the body file: " + errors.Unwrap(err).Error()}
			}
			*f.dst = string(b)
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	shopArg := func() (string, error) {
		if shop == nil || *shop == "" {
			return "", nil
		}
		return shopID(ctx, ss, *shop)
	}
	w := env.Stdout
	switch sub {
	case "count":
		sp, err := spec.spec(ctx, ss)
		if err != nil {
			return err
		}
		got, err := ss.AudienceCount(ctx, sp)
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(w, got)
		}
		printCounts(w, got)
		return nil
	case "create":
		sp, err := spec.spec(ctx, ss)
		if err != nil {
			return err
		}
		in.Spec = sp
		id, err := ss.CreateCampaign(ctx, in)
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(w, map[string]string{"id": id})
		}
		fmt.Fprintf(w, "Campaign %s created; it reaches each shop's devices with the next sync, and each shop sends to its own consented customers\n", id)
		return nil
	case "list":
		cs, err := ss.Campaigns(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return emit(w, true, cs, nil, nil)
		}
		return emit(w, false, cs, []string{"ID", "CREATED", "NAME", "PURPOSE", "CHANNEL", "SHOPS", "AUDIENCE", "SENT", "SKIPPED"}, func(x store.Campaign) []any {
			var aud, snt, skp []string
			for _, s := range x.Shops {
				aud, snt, skp = append(aud, s.Shop+":"+shownCount(s.Audience)), append(snt, sentCount(s)), append(skp, skipCount(s))
			}
			return []any{x.ID, x.CreatedAt.Local().Format("2006-01-02"), x.Name, x.Purpose, x.Channel, len(x.Shops),
				strings.Join(aud, " "), strings.Join(snt, " "), strings.Join(skp, " ")}
		})
	case "show":
		x, err := ss.CampaignByID(ctx, pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(w, x)
		}
		fmt.Fprintf(w, "Campaign %s: %s\nPurpose %s by %s, created %s by %s\nAudience: %s\n", x.ID, x.Name, x.Purpose, x.Channel,
			x.CreatedAt.Local().Format("2006-01-02 15:04"), x.Creator, describeSpec(x.Spec))
		return emit(w, false, x.Shops, []string{"SHOP", "STATUS", "AUDIENCE", "SENT", "SKIPPED", "SENT BY", "SENT AT"}, func(s store.CampaignShop) []any {
			at := ""
			if !s.SentAt.IsZero() {
				at = s.SentAt.Local().Format("2006-01-02 15:04")
			}
			return []any{s.Shop, s.Status, shownCount(s.Audience), sentCount(s), skipCount(s), s.SentBy, at}
		})
	case "recipients":
		sh, err := shopArg()
		if err != nil {
			return err
		}
		ids, err := ss.CampaignRecipientsFor(ctx, pos[0], sh)
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(w, map[string]any{"count": len(ids), "customer_ids": ids})
		}
		fmt.Fprintf(w, "%d recipients\n", len(ids))
		for _, id := range ids {
			fmt.Fprintln(w, id)
		}
		return nil
	case "send":
		sh, err := shopArg()
		if err != nil {
			return err
		}
		rep, err := ss.SendCampaign(ctx, pos[0], sh, mail.SMTP{})
		if err != nil {
			return err
		}
		if *asJSON {
			return emitOne(w, rep)
		}
		fmt.Fprintf(w, "Sent %d; not sent: %d without consent now, %d without an e-mail address, %d failed\n", rep.Sent, rep.NoConsent, rep.NoAddress, rep.Failed)
		for _, e := range rep.Errors {
			fmt.Fprintln(w, "  "+e)
		}
		return nil
	case "sent":
		sh, err := shopArg()
		if err != nil {
			return err
		}
		if err := ss.RecordCampaignSend(ctx, pos[0], sh, *sent, *skipped); err != nil {
			return err
		}
		fmt.Fprintf(w, "Recorded: %d sent, %d skipped\n", *sent, *skipped)
		return nil
	case "cancel":
		if err := ss.CancelCampaign(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintln(w, "Cancelled where not sent yet; the shops learn it with the next sync")
		return nil
	}
	return errUsage{campaignUsage}
}

func sentCount(s store.CampaignShop) string {
	if s.SentAt.IsZero() {
		return "-"
	}
	return shownCount(s.Sent)
}

func skipCount(s store.CampaignShop) string {
	if s.SentAt.IsZero() {
		return "-"
	}
	return shownCount(s.Skipped)
}

func printCounts(w io.Writer, c *store.AudienceCounts) {
	fmt.Fprintf(w, "Audience: %s\n", describeSpec(c.Spec))
	for _, s := range c.Shops {
		fmt.Fprintf(w, "%s\t%s\n", s.Shop, shownCount(s.Count))
	}
	fmt.Fprintf(w, "Total\t%s\n", shownCount(c.Total))
	if c.Approximate {
		fmt.Fprintf(w, "Fewer than %d customers apart from an audience you built on %s: these are its counts\n", store.MinCell, c.Since.Local().Format("2006-01-02 15:04"))
	}
}

// describeSpec says in one line what an audience selects (business attributes only).
func describeSpec(sp store.AudienceSpec) string {
	parts := []string{fmt.Sprintf("consent %s by %s", sp.Purpose, sp.Channel)}
	if len(sp.Shops) > 0 {
		parts = append(parts, fmt.Sprintf("%d shops", len(sp.Shops)))
	}
	if len(sp.BikeTypes) > 0 {
		parts = append(parts, "type "+strings.Join(sp.BikeTypes, "/"))
	}
	if len(sp.Makes) > 0 {
		parts = append(parts, "make "+strings.Join(sp.Makes, "/"))
	}
	if sp.BoughtFrom != "" || sp.BoughtTo != "" {
		parts = append(parts, "bought "+sp.BoughtFrom+".."+sp.BoughtTo)
	}
	if sp.ServicedAfter != "" {
		parts = append(parts, "serviced since "+sp.ServicedAfter)
	}
	if sp.ServicedBefore != "" {
		parts = append(parts, "last serviced before "+sp.ServicedBefore)
	}
	if sp.SpendMin > 0 || sp.SpendMax > 0 {
		hi := "up"
		if sp.SpendMax > 0 {
			hi = money(sp.SpendMax)
		}
		parts = append(parts, fmt.Sprintf("spend %s..%s %s", money(sp.SpendMin), hi, sp.SpendCurrency))
	}
	return strings.Join(parts, ", ")
}
