package cli

import (
	"strings"
	"testing"
	"time"
)

// TestCLIRequests runs the request desk's commands, good and mistyped, in order: exit 0 for
// what works, 2 for a mistyped invocation (said before anything is opened), 1 for what the
// store refuses. {A}, {B}, {O} stand for the ids of requests made earlier in the table.
func TestCLIRequests(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	today := time.Now().Format(time.DateOnly)
	ids := map[string]string{}
	newID := func(key string, args ...string) {
		t.Helper()
		out := owner.ok(append([]string{"requests", "new", "--as", "olga"}, args...)...)
		f := strings.Fields(out)
		if len(f) < 3 || f[0] != "Recorded" {
			t.Fatalf("new: %s", out)
		}
		ids[key] = f[2]
		if !strings.Contains(out, "Answer due by ") {
			t.Fatalf("new does not say when it is due: %s", out)
		}
	}
	newID("A", "--type", "access", "--channel", "email")
	newID("B", "--type", "erasure", "--channel", "counter")
	newID("O", "--channel", "web_form", "--type", "ccpa_opt_out_sale", "--received", time.Now().AddDate(0, 0, -1).Format(time.DateOnly))
	cases := []struct {
		who  *cliT
		args string
		code int
		out  string // stdout (exit 0) or stderr contains it
	}{
		// Good.
		{owner, "requests --as olga", 0, "due in"},
		{owner, "requests --as olga --open --json", 0, `"jurisdiction":"ccpa"`},
		{owner, "requests --as olga --overdue", 0, "STATE"},
		{owner, "requests confirm --as olga {A}", 0, "Receipt of {A} confirmed"},
		{owner, "requests verify {A} --as olga --method email_match", 0, "verified (email_match)"},
		{owner, "requests extend --as olga {A} --notice-sent " + today, 0, "extended"},
		{owner, "requests close --as olga {A} --outcome fulfilled", 0, "closed: fulfilled"},
		{owner, "requests close --as olga {B} --outcome refused --reason manifestly_unfounded", 0, "closed: refused"},
		{owner, "requests close --as olga {O} --outcome fulfilled", 0, "closed"},
		{owner, "requests holidays add --as olga --day 2030-12-25 --label Christmas", 0, "Added 2030-12-25"},
		{owner, "requests holidays --as olga", 0, "Christmas"},
		{owner, "requests holidays remove --as olga --day 2030-12-25", 0, "Removed"},
		// Mistyped: exit 2.
		{owner, "requests bogus --as olga", 2, "unknown step"},
		{owner, "requests --as olga --nope", 2, "not defined"},
		{owner, "requests new --as olga --type acess --channel email", 2, "--type must be one of"},
		{owner, "requests new --as olga --type access", 2, "--channel must be one of"},
		{owner, "requests new --as olga --type access --channel email --received 31/01/2026", 2, "YYYY-MM-DD"},
		{owner, "requests new --type access --channel email", 2, "--as USER is required"},
		{owner, "requests --as olga --type access", 2, "--type does not apply"},
		{owner, "requests confirm --as olga", 2, "usage"},
		{owner, "requests confirm --as olga {A} {B}", 2, "usage"},
		{owner, "requests verify --as olga {A}", 2, "--method must be one of"},
		{owner, "requests verify --as olga {A} --method vibes", 2, "--method must be one of"},
		{owner, "requests extend --as olga {A}", 2, "--notice-sent"},
		{owner, "requests close --as olga {A} --outcome done", 2, "--outcome must be one of"},
		{owner, "requests close --as olga {A} --outcome refused --reason because", 2, "--reason must be one of"},
		{owner, "requests close --as olga {A} --outcome refused --method email_match", 2, "--method does not apply"},
		{owner, "requests holidays frob --as olga", 2, "unknown step"},
		{owner, "requests holidays add --as olga --day 2030-12-25", 2, "--label"},
		{owner, "requests holidays remove --as olga --day christmas", 2, "--day"},
		// Refused by the store: exit 1.
		{sam, "requests --as sam", 1, "not allowed"},
		{sam, "requests new --as sam --type access --channel email", 1, "not allowed"},
		{sam, "requests holidays --as sam", 1, "not allowed"},
		{owner, "requests confirm --as olga {A}", 1, "closed"},
		{owner, "requests confirm --as olga 01234567-89ab-7def-8123-456789abcdef", 1, "not found"},
		{owner, "requests new --as olga --type access --channel email --subject someone", 1, "subject"},
		{owner, "requests new --as olga --type access --channel email --received 2999-01-01", 1, "in the future"},
		{owner, "requests holidays remove --as olga --day 2030-12-25", 1, "not a holiday"},
	}
	for _, tc := range cases {
		args := strings.Fields(tc.args)
		for i, a := range args {
			for k, id := range ids {
				args[i] = strings.ReplaceAll(a, "{"+k+"}", id)
				a = args[i]
			}
		}
		want := tc.out
		for k, id := range ids {
			want = strings.ReplaceAll(want, "{"+k+"}", id)
		}
		t.Run(tc.args, func(t *testing.T) {
			code, out, errs := tc.who.run(args...)
			got := out
			if tc.code != 0 {
				got = errs
			}
			if code != tc.code || !strings.Contains(got, want) {
				t.Fatalf("exit %d, want %d (%q)\nstdout: %s\nstderr: %s", code, tc.code, want, out, errs)
			}
		})
	}
	// A refusal without its reason, an answer before the identity was checked, an opt-out
	// extension: the store's rules, exit 1.
	newID("C", "--type", "rectification", "--channel", "phone")
	newID("D", "--type", "ccpa_limit_sensitive", "--channel", "phone")
	for _, tc := range []struct{ args, want string }{
		{"requests close --as olga " + ids["C"] + " --outcome refused", "a refusal needs its reason"},
		{"requests close --as olga " + ids["C"] + " --outcome fulfilled", "verify the person's identity"},
		{"requests extend --as olga " + ids["D"] + " --notice-sent " + today, "no extension"},
	} {
		if code, _, errs := owner.run(strings.Fields(tc.args)...); code != 1 || !strings.Contains(errs, tc.want) {
			t.Fatalf("%s: exit %d: %s", tc.args, code, errs)
		}
	}
	list := owner.ok("requests", "--as", "olga")
	for _, want := range []string{ids["C"], "rectification", "fulfilled", "refused", "(done)"} {
		if !strings.Contains(list, want) {
			t.Fatalf("the list lacks %q:\n%s", want, list)
		}
	}
}
