package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"spoke/store"
)

func init() {
	register(command{name: "assessments", summary: "PIPL personal-information impact assessments, kept 3 years (owner, manager: their shop); 'assessments add', 'assessments delete ID'", run: runAssessments})
}

func runAssessments(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "add" || args[0] == "delete" || args[0] == "list") {
		sub, args = args[0], args[1:]
	}
	var c common
	fs := newFlags("assessments "+sub, env, &c, true)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	topic := fs.String("topic", "", "with add: "+strings.Join(store.AssessmentTopics, ", "))
	shop := fs.String("shop", "", "with add: the shop it covers (default: every shop, owner only)")
	outcome := fs.String("outcome", "", "with add: "+strings.Join(store.AssessmentOutcomes, ", "))
	measures := fs.String("measures", "", "with add: comma-separated: "+strings.Join(store.AssessmentMeasures, ", "))
	assessed := fs.String("assessed", "", "with add: when it was assessed, 'YYYY-MM-DD' (default: now)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "add" && (len(pos) != 0 || *topic == "" || *outcome == ""):
		return errUsage{"usage: spoke assessments add --as USER --topic T --outcome O [--measures M,M] [--shop NAME] [--assessed YYYY-MM-DD]"}
	case sub == "delete" && len(pos) != 1:
		return errUsage{"usage: spoke assessments delete --as USER ID"}
	case sub != "add" && sub != "delete" && len(pos) != 0:
		return errUsage{"usage: spoke assessments --as USER [--json]"}
	}
	var at time.Time
	if *assessed != "" {
		if at, err = parseLocalTime(*assessed); err != nil {
			return errUsage{"--assessed: " + err.Error()}
		}
	}
	st, ss, err := c.signIn(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	names, err := shopNames(ctx, ss)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		in := store.AssessmentInput{Topic: *topic, Outcome: *outcome, AssessedAt: at}
		if *measures != "" {
			in.Measures = strings.Split(*measures, ",")
		}
		if *shop != "" {
			s, err := ss.ShopByName(ctx, *shop)
			if err != nil {
				return err
			}
			in.ShopID = s.ID
		}
		id, err := ss.AddAssessment(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Recorded assessment %s; kept at least until %s, review due then\n", id, at0(at, clockNow(env)).AddDate(store.AssessmentKeep, 0, 0).Local().Format("2006-01-02"))
		return nil
	case "delete":
		if err := ss.DeleteAssessment(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Deleted assessment %s\n", pos[0])
		return nil
	}
	list, err := ss.Assessments(ctx)
	if err != nil {
		return err
	}
	return emit(env.Stdout, *asJSON, list, []string{"ID", "TOPIC", "SHOP", "ASSESSED", "OUTCOME", "MEASURES", "REVIEW DUE"}, func(a store.Assessment) []any {
		shop := "all shops"
		if a.ShopID != "" {
			shop = names[a.ShopID]
		}
		m := strings.Join(a.Measures, ",")
		if m == "" {
			m = "-"
		}
		return []any{a.ID, a.Topic, shop, a.AssessedAt.Local().Format("2006-01-02"), a.Outcome, m, a.ReviewDue.Local().Format("2006-01-02")}
	})
}

func at0(at, now time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	return at
}

// shopNames maps shop ids to names (business data).
func shopNames(ctx context.Context, ss *store.Session) (map[string]string, error) {
	shops, err := ss.Shops(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range shops {
		out[s.ID] = s.Name
	}
	return out, nil
}
