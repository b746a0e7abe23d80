package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// consentJSON is what 'spoke consent --json' prints.
type consentJSON struct {
	Current []struct {
		Purpose, Channel string
		Granted          bool
	} `json:"current"`
	History []struct {
		ID      string `json:"id"`
		Purpose string `json:"purpose"`
		Granted bool   `json:"granted"`
	} `json:"history"`
	KeptLocal bool `json:"kept_local"`
}

func TestCLIConsent(t *testing.T) {
	c := setupShop(t)
	owner, sam, sue := c.as("olga", "owner-password-1"), c.as("sam", "sales-password-1"), c.as("sue", "sales-password-1")
	sam.ok("import", "--as", "sam", writeFile(t, "in.csv", []byte("name,email,phone\nAda Lovelace,ada@example.com,(415) 555-0101\n")))
	id := customersJSON(t, sam.ok("customers", "--as", "sam", "--json"))[0]["id"].(string)

	if out := sam.ok("consent", "--as", "sam", id); !strings.Contains(out, "none recorded") {
		t.Fatalf("no consents: %s", out)
	}
	// Flags after the id as well as before.
	if out := sam.ok("consent", "grant", id, "--as", "sam", "--purpose", "email_marketing", "--notice", "2026-11"); !strings.Contains(out, "Recorded granted email_marketing") {
		t.Fatalf("grant: %s", out)
	}
	var got consentJSON
	if err := json.Unmarshal([]byte(sam.ok("consent", "--as", "sam", "--json", id)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Current) != 1 || !got.Current[0].Granted || got.Current[0].Channel != "email" || got.KeptLocal {
		t.Fatalf("after the grant: %+v", got)
	}
	if out := owner.ok("consent", "audience", "--as", "olga", "--purpose", "email_marketing", "--channel", "email"); strings.TrimSpace(out) != id {
		t.Fatalf("audience: %q", out)
	}
	sam.ok("consent", "withdraw", "--as", "sam", id, "--purpose", "email_marketing", "--notice", "2026-11", "--source", "phone")
	out := sam.ok("consent", "--as", "sam", id)
	if !strings.Contains(out, "email_marketing") || !strings.Contains(out, "withdrawn") || strings.Count(out, "2026-11") != 2 {
		t.Fatalf("after the withdrawal: %s", out)
	}
	if out := owner.ok("consent", "audience", "--as", "olga", "--purpose", "email_marketing", "--channel", "email"); strings.TrimSpace(out) != "" {
		t.Fatalf("audience after the withdrawal: %q", out)
	}

	for _, tc := range []struct {
		name string
		cli  *cliT
		args []string
		code int
		want string
	}{
		{"no notice", sam, []string{"consent", "grant", "--as", "sam", id, "--purpose", "email_marketing"}, 2, "usage"},
		{"no id", sam, []string{"consent", "grant", "--as", "sam", "--purpose", "email_marketing", "--notice", "1"}, 2, "usage"},
		{"bad purpose", sam, []string{"consent", "grant", "--as", "sam", id, "--purpose", "mind_reading", "--notice", "1"}, 1, "purpose: must be one of"},
		{"channel mismatch", sam, []string{"consent", "grant", "--as", "sam", id, "--purpose", "sms_marketing", "--channel", "email", "--notice", "1"}, 1, "channel"},
		{"bad time", sam, []string{"consent", "grant", "--as", "sam", id, "--purpose", "sms_marketing", "--notice", "1", "--at", "yesterday"}, 2, "--at"},
		{"another salesperson", sue, []string{"consent", "grant", "--as", "sue", id, "--purpose", "email_marketing", "--notice", "1"}, 1, "not allowed"},
		{"another salesperson reads", sue, []string{"consent", "--as", "sue", id}, 1, "not found"},
		{"auditor's audience", c.as("aud", "sales-password-1"), []string{"consent", "audience", "--as", "aud", "--purpose", "email_marketing", "--channel", "email"}, 1, "not allowed"},
		{"sales declares", sam, []string{"consent", "transfer-setting", "--as", "sam", "--hub-country", "DE"}, 1, "not allowed"},
		{"bad country", owner, []string{"consent", "transfer-setting", "--as", "olga", "--hub-country", "Germany"}, 1, "hub_country"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := tc.cli.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
			if strings.Contains(errs, "Ada") || strings.Contains(errs, "ada@") {
				t.Fatalf("a personal value in the error: %q", errs)
			}
		})
	}
	// A US shop keeps nothing back, whatever the hub's country.
	if out := owner.ok("consent", "transfer-setting", "--as", "olga", "--hub-country", "DE"); !strings.Contains(out, "Hub:            DE") || !strings.Contains(out, "No shop's customer data is kept back") {
		t.Fatalf("transfer setting: %s", out)
	}
}

func TestCLIConsentTransferCN(t *testing.T) {
	c := newCLI(t)
	c.vars["SPOKE_PASSWORD"] = "owner-password-1"
	c.ok("init", "--shop", "Shanghai", "--owner", "olga", "--region", "CN", "--currency", "CNY")
	c.ok("import", "--as", "olga", writeFile(t, "in.csv", []byte("name,phone\n王芳,138 0013 8000\n")))
	id := customersJSON(t, c.ok("customers", "--as", "olga", "--json"))[0]["id"].(string)
	if out := c.ok("consent", "--as", "olga", id); strings.Contains(out, "Kept on this shop's devices only") {
		t.Fatalf("kept local before any declaration: %s", out)
	}
	out := c.ok("consent", "transfer-setting", "--as", "olga", "--hub-country", "DE", "--owner-countries", "de,cn")
	if !strings.Contains(out, "Owner laptops:  CN, DE") || !strings.Contains(out, "Shanghai (CN): a customer's data leaves its devices only with their consent") {
		t.Fatalf("declaration: %s", out)
	}
	if out := c.ok("consent", "transfer-setting", "--as", "olga"); !strings.Contains(out, "Declared by olga") {
		t.Fatalf("shown: %s", out)
	}
	for _, args := range [][]string{{"consent", "--as", "olga", id}, {"customer", "--as", "olga", id}} {
		if out := c.ok(args...); !strings.Contains(out, "Kept on this shop's devices only: no consent to transfer abroad (PIPL Art. 39)") {
			t.Fatalf("%v: %s", args, out)
		}
	}
	c.ok("consent", "grant", "--as", "olga", id, "--purpose", "cross_border_transfer", "--notice", "2026-11", "--source", "paper")
	var got consentJSON
	if err := json.Unmarshal([]byte(c.ok("consent", "--as", "olga", "--json", id)), &got); err != nil {
		t.Fatal(err)
	}
	if got.KeptLocal || len(got.Current) != 1 || got.Current[0].Purpose != "cross_border_transfer" || got.Current[0].Channel != "any" {
		t.Fatalf("after the transfer consent: %+v", got)
	}
	if out := c.ok("customer", "--as", "olga", id); strings.Contains(out, "Kept on this shop's devices only") {
		t.Fatalf("still kept: %s", out)
	}
	if out := c.ok("consent", "transfer-setting", "--as", "olga", "--clear"); !strings.Contains(out, "Hub:            not declared") {
		t.Fatalf("cleared: %s", out)
	}
}
