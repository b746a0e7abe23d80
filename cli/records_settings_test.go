package cli

import (
	"strings"
	"testing"
)

// TestCLIRecordsStateTheSettings: the record of processing names the declared hub country and
// the retention policy's numbers once they are set, and says "as configured" before.
func TestCLIRecordsStateTheSettings(t *testing.T) {
	c := setupShop(t)
	owner := c.as("olga", "owner-password-1")
	if out := owner.ok("records", "--as", "olga"); !strings.Contains(out, "The hub's location as configured") {
		t.Fatalf("before the declaration: %s", out)
	}
	owner.ok("consent", "transfer-setting", "--as", "olga", "--hub-country", "DE")
	owner.ok("retention", "set", "--as", "olga", "--inactive-years", "7", "--reason-months", "9")
	out := owner.ok("records", "--as", "olga")
	if !strings.Contains(out, "The hub: DE") || strings.Contains(out, "The hub's location as configured") {
		t.Fatalf("the record does not state the declared hub: %s", out)
	}
	if !strings.Contains(out, "7 years") {
		t.Fatalf("the record does not state the retention policy: %s", out)
	}
}
