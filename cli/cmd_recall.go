package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"spoke/mail"
	"spoke/store"
)

// Brand recalls (spoke recall): enter one, list them, show one with its progress, list the
// affected bikes with their owners (owner, manager), record a notice.

func init() {
	register(command{name: "recall", summary: "brand recalls (owner, manager): create, list, show ID, matches ID, recipients ID, notice ID", run: runRecall})
}

const recallUsage = "usage: spoke recall create|list|show ID|matches ID|recipients ID|send ID|notice ID --as USER ..."

func runRecall(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errUsage{recallUsage}
	}
	sub, args := args[0], args[1:]
	var c common
	fs := newFlags("recall "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	var models multiFlag
	var mk, years, serials, ref, title, issued, shop, bike, channel, outcome *string
	switch sub {
	case "create":
		mk = fs.String("make", "", "the brand (make) recalled")
		fs.Var(&models, "model", "a recalled model (repeat for more); none: any model of the make")
		years = fs.String("years", "", "model years, e.g. 2021-2023 or 2022")
		serials = fs.String("serials", "", "a file of frame serials, one a line ('-' reads standard input)")
		ref = fs.String("reference", "", "the brand's recall reference")
		title = fs.String("title", "", "the recall's title")
		issued = fs.String("issued", "", "the brand's date, YYYY-MM-DD")
		shop = fs.String("shop", "", "one shop only (its name or id); the owner's default: every shop")
	case "notice":
		bike = fs.String("bike", "", "the bike's id, as 'spoke recall matches' lists it")
		channel = fs.String("channel", "", "email, phone, post or in-person")
		outcome = fs.String("outcome", "", "reached, unreachable or declined")
	case "list", "show", "matches", "recipients", "send":
	default:
		return errUsage{recallUsage}
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "create" && (len(pos) != 0 || *mk == "" || *ref == "" || *title == "" || *issued == ""):
		return errUsage{"usage: spoke recall create --as USER --make MAKE [--model MODEL]... [--years 2021-2023] [--serials FILE|-] --reference REF --title TITLE --issued YYYY-MM-DD [--shop NAME]"}
	case sub == "list" && len(pos) != 0:
		return errUsage{"usage: spoke recall list --as USER [--json]"}
	case (sub == "show" || sub == "matches" || sub == "recipients" || sub == "send") && len(pos) != 1:
		return errUsage{"usage: spoke recall " + sub + " ID --as USER [--json]"}
	case sub == "notice" && (len(pos) != 1 || *bike == "" || *channel == "" || *outcome == ""):
		return errUsage{"usage: spoke recall notice ID --as USER --bike BIKE --channel email|phone|post|in-person --outcome reached|unreachable|declined"}
	}
	var in store.RecallInput
	if sub == "create" {
		in = store.RecallInput{Make: *mk, Models: models, Reference: *ref, Title: *title, IssuedOn: *issued}
		if *years != "" {
			if in.YearFrom, in.YearTo, err = parseYears(*years); err != nil {
				return err
			}
		}
		if *serials != "" {
			var r io.Reader = env.Stdin
			if *serials != "-" {
				f, err := os.Open(*serials)
				if err != nil {
					var pe *os.PathError
					if errors.As(err, &pe) {
						err = pe.Err
					}
					return fmt.Errorf("--serials: the file cannot be read: %w", err)
				}
				defer f.Close()
				r = f
			}
			if in.Serials, err = store.ParseSerialList(r); err != nil {
				return err
			}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "create":
		if *shop != "" {
			if in.ShopID, err = shopID(ctx, ss, *shop); err != nil {
				return err
			}
		}
		id, err := ss.CreateRecall(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recall %s entered (%d frame serials, kept only as each shop's blind index)\n", id, len(in.Serials))
		fmt.Fprintf(env.Stdout, "Affected bikes: spoke recall matches %s\n", id)
		return nil
	case "list":
		rs, err := ss.Recalls(ctx)
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, rs, []string{"ID", "ISSUED", "REFERENCE", "MAKE", "MODELS", "YEARS", "SERIALS", "SCOPE", "TITLE"}, func(r store.Recall) []any {
			return []any{r.ID, r.IssuedOn, r.Reference, r.Make, dash(strings.Join(r.Models, ", ")), yearsText(r), r.Serials, scopeName(ctx, ss, r.Scope), r.Title}
		})
	case "show":
		r, p, err := ss.RecallProgress(ctx, pos[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return emit(env.Stdout, true, []any{struct {
				*store.Recall
				Progress store.RecallProgress `json:"progress"`
			}{r, p}}, nil, nil)
		}
		fmt.Fprintf(env.Stdout, "Recall %s: %s (%s, issued %s)\n", r.ID, r.Title, r.Reference, r.IssuedOn)
		fmt.Fprintf(env.Stdout, "Make %s; models %s; years %s; %d frame serials; %s\n", r.Make, dash(strings.Join(r.Models, ", ")), yearsText(*r), r.Serials, scopeName(ctx, ss, r.Scope))
		fmt.Fprintf(env.Stdout, "Affected %d, reached %d, declined %d, unreachable %d, outstanding %d\n", p.Affected, p.Reached, p.Declined, p.Unreachable, p.Outstanding)
		return nil
	case "matches":
		ms, err := ss.RecallMatches(ctx, pos[0])
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, ms, []string{"BIKE", "SHOP", "MAKE", "MODEL", "YEAR", "BY", "CUSTOMER", "NAME", "EMAIL", "PHONE", "LAST NOTICE"}, func(m store.RecallMatch) []any {
			last := "-"
			if m.Outcome != "" {
				last = fmt.Sprintf("%s by %s %s", m.Outcome, m.Channel, m.NoticedAt.Local().Format("2006-01-02"))
			}
			year := "-"
			if m.Year != 0 {
				year = strconv.Itoa(m.Year)
			}
			return []any{m.BikeID, scopeName(ctx, ss, m.ShopID), m.Make, dash(m.Model), year, m.By, m.CustomerID, m.Name, dash(m.Email), dash(m.Phone), last}
		})
	case "recipients":
		rs, err := ss.RecallRecipients(ctx, pos[0])
		if err != nil {
			return err
		}
		return emit(env.Stdout, *asJSON, rs, []string{"CUSTOMER", "SHOP", "BIKES"}, func(r store.RecallRecipient) []any {
			return []any{r.CustomerID, scopeName(ctx, ss, r.ShopID), strings.Join(r.BikeIDs, ",")}
		})
	case "send":
		rep, err := ss.SendRecallNotices(ctx, pos[0], mail.SMTP{})
		if err != nil {
			return err
		}
		if *asJSON {
			return emit(env.Stdout, true, []store.SendReport{*rep}, nil, nil)
		}
		fmt.Fprintf(env.Stdout, "Sent %d recall notice(s) by e-mail (lawful basis: legal obligation); not sent: %d without an e-mail address, %d failed\n", rep.Sent, rep.NoAddress, rep.Failed)
		for _, e := range rep.Errors {
			fmt.Fprintln(env.Stdout, "  "+e)
		}
		fmt.Fprintln(env.Stdout, "Call or write to the rest and record it: spoke recall notice ID --bike BIKE --channel phone|post|in-person --outcome ...")
	case "notice":
		id, err := ss.RecordRecallNotice(ctx, store.RecallNoticeInput{RecallID: pos[0], BikeID: *bike, Channel: store.NoticeChannel(*channel), Outcome: store.NoticeOutcome(*outcome)})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Notice %s recorded (%s, %s; lawful basis: legal obligation)\n", id, *channel, *outcome)
	}
	return nil
}

// parseYears reads "2021-2023", "2021-" , "-2023" or "2022".
func parseYears(s string) (int, int, error) {
	bad := errUsage{"--years: write model years as 2021-2023, 2021-, -2023 or 2022"}
	from, to, ranged := strings.Cut(strings.TrimSpace(s), "-")
	num := func(x string) (int, error) {
		if x = strings.TrimSpace(x); x == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(x)
		if err != nil || n < 1900 || n > 2200 {
			return 0, bad
		}
		return n, nil
	}
	a, err := num(from)
	if err != nil {
		return 0, 0, err
	}
	if !ranged {
		return a, a, nil
	}
	b, err := num(to)
	if err != nil || (a == 0 && b == 0) {
		return 0, 0, bad
	}
	return a, b, nil
}

func yearsText(r store.Recall) string {
	switch {
	case r.YearFrom == 0 && r.YearTo == 0:
		return "-"
	case r.YearFrom == r.YearTo:
		return strconv.Itoa(r.YearFrom)
	case r.YearTo == 0:
		return strconv.Itoa(r.YearFrom) + "-"
	case r.YearFrom == 0:
		return "-" + strconv.Itoa(r.YearTo)
	}
	return strconv.Itoa(r.YearFrom) + "-" + strconv.Itoa(r.YearTo)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// scopeName names a recall's scope or a shop: the shop's name, or "every shop".
func scopeName(ctx context.Context, ss *store.Session, scope string) string {
	if scope == store.OrgScope {
		return "every shop"
	}
	shops, err := ss.Shops(ctx)
	if err == nil {
		for _, s := range shops {
			if s.ID == scope {
				return s.Name
			}
		}
	}
	return scope
}
