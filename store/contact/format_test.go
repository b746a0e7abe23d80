package contact

import "testing"

func TestFormatPhone(t *testing.T) {
	for _, tc := range []struct{ e164, region, want string }{
		{"+12065556622", "US", "(206) 555-6622"},
		{"+12065556622", "DE", "+1 206-555-6622"},
		{"+4915103555075", "DE", "01510 3555075"},
		{"+4915103555075", "US", "+49 1510 3555075"},
		{"+8613812345678", "CN", "138 1234 5678"},
		{"", "US", ""},
		{"not a number", "US", "not a number"},
	} {
		if got := FormatPhone(tc.e164, tc.region); got != tc.want {
			t.Errorf("FormatPhone(%q, %s) = %q, want %q", tc.e164, tc.region, got, tc.want)
		}
		// What is shown parses back to the same number.
		if tc.e164 != "" && tc.e164[0] == '+' {
			if back, err := NormalizePhone(FormatPhone(tc.e164, tc.region), tc.region); err != nil || back != tc.e164 {
				t.Errorf("%q shown for %s does not read back: %q %v", FormatPhone(tc.e164, tc.region), tc.region, back, err)
			}
		}
	}
}
