package contact

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "anna@example.com", "anna@example.com", true},
		{"case and spaces", "  Anna.Berg@Example.COM\t", "anna.berg@example.com", true},
		{"plus tag", "a.b+bike@x.co.uk", "a.b+bike@x.co.uk", true},
		{"unicode local and domain", "王芳@例子.中国", "王芳@例子.中国", true},
		{"german idn", "Jörg@Müller-Räder.de", "jörg@müller-räder.de", true},
		{"max length", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), true},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62), "", false},
		{"local too long", strings.Repeat("a", 65) + "@x.de", "", false},
		{"empty", "", "", false},
		{"blank", "   ", "", false},
		{"no at", "anna.example.com", "", false},
		{"two ats", "anna@b@example.com", "", false},
		{"empty local", "@example.com", "", false},
		{"no dot in domain", "anna@localhost", "", false},
		{"space inside", "anna berg@example.com", "", false},
		{"display name", "Anna <anna@example.com>", "", false},
		{"display name no space", "Anna<anna@example.com>", "", false},
		{"angle brackets", "<anna@example.com>", "", false},
		{"quoted local", `"anna"@example.com`, "", false},
		{"comment", "anna(shop)@example.com", "", false},
		{"double dot local", "an..na@example.com", "", false},
		{"leading dot local", ".anna@example.com", "", false},
		{"double dot domain", "anna@example..com", "", false},
		{"trailing dot domain", "anna@example.com.", "", false},
		{"hyphen label", "anna@-example.com", "", false},
		{"ip literal", "anna@[192.0.2.1]", "", false},
		{"control char", "anna\x00@example.com", "", false},
		{"invalid utf8", "anna\xff@example.com", "", false},
		{"two addresses", "a@x.de, b@y.de", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidEmail) || got != "" {
					t.Fatalf("got (%q, %v), want ErrInvalidEmail", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got (%q, %v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, region, want string
		ok                     bool
	}{
		{"cn mobile international", "+86 138 0013 8000", "US", "+8613800138000", true},
		{"cn mobile national", "138-0013-8000", "CN", "+8613800138000", true},
		{"cn mobile 00 prefix", "0086 139 1234 5678", "DE", "+8613912345678", true},
		{"cn mobile full width", "１３８ ００１３ ８０００", "CN", "+8613800138000", true},
		{"cn beijing landline", "010 6552 9988", "CN", "+861065529988", true},
		{"de mobile national", "0151 12345678", "DE", "+4915112345678", true},
		{"de mobile slash", "0151/123 456 78", "DE", "+4915112345678", true},
		{"de with (0)", "+49 (0) 151 12345678", "US", "+4915112345678", true},
		{"de 00 prefix", "0049 151 12345678", "GB", "+4915112345678", true},
		{"de landline", "030 1234567", "DE", "+49301234567", true},
		{"uk mobile", "07700 900123", "GB", "+447700900123", true},
		{"uk london lower-case region", "020 7946 0958", "gb", "+442079460958", true},
		{"uk international", "+44 7700 900123", "", "+447700900123", true},
		{"us parentheses", "(650) 253-0000", "US", "+16502530000", true},
		{"us dots", "650.253.0000", "US", "+16502530000", true},
		{"us exit code", "011 44 20 7946 0958", "US", "+442079460958", true},
		{"us from de region", "+1 650 253 0000", "DE", "+16502530000", true},
		{"too short", "12", "US", "", false},
		{"cn local only", "+86 12345", "", "", false},
		{"too long", "+86 138 0013 80001234", "", "", false},
		{"unknown country code", "+999 1234567", "", "", false},
		{"national without region", "650 253 0000", "", "", false},
		{"national with unknown region", "650 253 0000", "XX", "", false},
		{"extension", "+1 650 253 0000 ext 5", "US", "", false},
		{"vanity", "1-800-FLOWERS", "US", "", false},
		{"letters", "call me", "US", "", false},
		{"plus in middle", "49+151 12345678", "DE", "", false},
		{"formula", "=1+1", "US", "", false},
		{"only plus", "+", "US", "", false},
		{"only 00", "00", "DE", "", false},
		{"zeros", "0000000", "DE", "", false},
		{"empty", "", "US", "", false},
		{"overlong input", "+44 " + strings.Repeat(" ", 70) + "7700 900123", "GB", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePhone(tt.in, tt.region)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidPhone) || got != "" {
					t.Fatalf("got (%q, %v), want ErrInvalidPhone", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got (%q, %v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestNormalizeSerial(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"already canonical", "WTU1234567", "WTU1234567", true},
		{"spaces dashes lower", "wtu 123-4567", "WTU1234567", true},
		{"dots", "wtu.123.4567", "WTU1234567", true},
		{"slash kept", "ab/12-34", "AB/1234", true},
		{"surrounding space", "  x9  ", "X9", true},
		{"full width", "ＷＴＵ１２３", "WTU123", true},
		{"max length", strings.Repeat("A", 64), strings.Repeat("A", 64), true},
		{"too long", strings.Repeat("A", 65), "", false},
		{"empty", "", "", false},
		{"only separators", " - . ", "", false},
		{"underscore", "WTU_123", "", false},
		{"long s folds to S elsewhere", "ſ123", "", false},
		{"umlaut", "Ä123", "", false},
		{"tab", "WTU\t123", "", false},
		{"formula", "=A1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeSerial(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidSerial) || got != "" {
					t.Fatalf("got (%q, %v), want ErrInvalidSerial", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got (%q, %v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	for r, want := range map[string]bool{
		"US": true, "DE": true, "CN": true, "GB": true, "de": true,
		"": false, "ZZ": false, "001": false, "XX": false, "USA": false, "UK": false,
	} {
		if got := ValidRegion(r); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", r, got, want)
		}
	}
}

// TestErrorsCarryNoValue guards the package's central promise: whatever was
// refused, the error text is the fixed sentinel text.
func TestErrorsCarryNoValue(t *testing.T) {
	const plant = "Zebulon Quixote"
	if _, err := NormalizeEmail(plant + "@x"); err == nil || err.Error() != ErrInvalidEmail.Error() {
		t.Errorf("email error %v", err)
	}
	if _, err := NormalizePhone(plant, "US"); err == nil || err.Error() != ErrInvalidPhone.Error() {
		t.Errorf("phone error %v", err)
	}
	if _, err := NormalizeSerial(plant + "!"); err == nil || err.Error() != ErrInvalidSerial.Error() {
		t.Errorf("serial error %v", err)
	}
}
