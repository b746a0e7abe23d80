package contact

import (
	"errors"
	"testing"
)

// The fuzz targets check two properties the blind indexes depend on: a
// normaliser never panics, and its output is a fixed point (normalising an
// accepted value again yields the same value), so a stored index and a
// search for the stored value always agree. Failures must be the sentinel
// error and nothing more.

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"anna@example.com", " Anna@Example.COM ", "Anna <a@b.c>", "a@b", "王芳@例子.中国",
		`"q"@x.de`, "a..b@x.de", "a@[1.2.3.4]", "İSTANBUL@X.COM", "\xff@x.de",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			if err != ErrInvalidEmail || got != "" {
				t.Fatalf("failure must be exactly ErrInvalidEmail, got (%q, %v)", got, err)
			}
			return
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> (%q, %v)", s, got, again, err)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+86 138 0013 8000", "138 0013 8000", "0151 12345678", "+49 (0) 151 12345678",
		"07700 900123", "(650) 253-0000", "011 44 20 7946 0958", "１３８", "+", "00", "=1+1",
	} {
		for region := range uint8(5) {
			f.Add(s, region)
		}
	}
	regions := []string{"", "US", "DE", "CN", "GB", "IT", "RU", "BR", "XX"}
	f.Fuzz(func(t *testing.T, s string, ri uint8) {
		region := regions[int(ri)%len(regions)]
		got, err := NormalizePhone(s, region)
		if err != nil {
			if !errors.Is(err, ErrInvalidPhone) || err.Error() != ErrInvalidPhone.Error() || got != "" {
				t.Fatalf("failure must be exactly ErrInvalidPhone, got (%q, %v)", got, err)
			}
			return
		}
		if !isE164(got) {
			t.Fatalf("%q (%s) -> %q is not E.164", s, region, got)
		}
		// E.164 is region-independent, so both must be fixed points.
		for _, r := range []string{region, ""} {
			again, err := NormalizePhone(got, r)
			if err != nil || again != got {
				t.Fatalf("not idempotent: %q (%s) -> %q -> (%q, %v) with region %q", s, region, got, again, err, r)
			}
		}
	})
}

func FuzzNormalizeSerial(f *testing.F) {
	for _, s := range []string{"wtu 123-4567", "WTU1234567", "ab/12.34", "ＷＴＵ１２３", "ſ1", "", "=A1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeSerial(s)
		if err != nil {
			if err != ErrInvalidSerial || got != "" {
				t.Fatalf("failure must be exactly ErrInvalidSerial, got (%q, %v)", got, err)
			}
			return
		}
		again, err := NormalizeSerial(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> (%q, %v)", s, got, again, err)
		}
	})
}
