package cli

import (
	"strings"
	"testing"
)

// TestCLISubjectErase: erasing needs --yes and the grant; it says what went and what stays,
// and the customer is gone for every later command.
func TestCLISubjectErase(t *testing.T) {
	c := setupShop(t)
	owner, sam := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email,phone\nAda Lovelace,ada@example.com,(415) 555-0101\nGrace Hopper,grace@example.com,+1 415 555 0102\n")))
	hit := customersJSON(t, owner.ok("customers", "--as", "olga", "--json", "lovel"))
	if len(hit) != 1 {
		t.Fatalf("search: %v", hit)
	}
	id := hit[0]["id"].(string)
	for _, tc := range []struct {
		cli  *cliT
		args []string
		code int
		want string
	}{
		{owner, []string{"subject"}, 2, "usage"},
		{owner, []string{"subject", "erse", id}, 2, "usage"},
		{owner, []string{"subject", "erase", "--as", "olga"}, 2, "usage"},
		{owner, []string{"subject", "erase", "--as", "olga", id}, 2, "--yes"},
		{sam, []string{"subject", "erase", "--as", "sam", "--yes", id}, 1, "not allowed"},
	} {
		code, out, errs := tc.cli.run(tc.args...)
		if code != tc.code || !strings.Contains(strings.ToLower(out+errs), strings.ToLower(tc.want)) {
			t.Fatalf("spoke %v: exit %d, want %d with %q\n%s%s", tc.args, code, tc.code, tc.want, out, errs)
		}
	}
	out := owner.ok("subject", "erase", "--as", "olga", "--yes", id)
	if !strings.Contains(out, "Erased customer "+id) || strings.Contains(out, "Ada") || strings.Contains(out, "ada@") {
		t.Fatalf("erase output: %s", out)
	}
	if got := customersJSON(t, owner.ok("customers", "--as", "olga", "--json")); len(got) != 1 || got[0]["name"] != "Grace Hopper" {
		t.Fatalf("after the erasure: %v", got)
	}
	if code, _, errs := owner.run("customer", "--as", "olga", id); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("the erased customer: exit %d %s", code, errs)
	}
	if code, _, errs := owner.run("subject", "erase", "--as", "olga", "--yes", id); code != 1 || !strings.Contains(errs, "erased") {
		t.Fatalf("erasing again: exit %d %s", code, errs)
	}
}
