package app

import "testing"

func TestFieldLabel(t *testing.T) {
	for _, c := range []struct{ field, want string }{
		{"name", "Name"},
		{"serial", "Frame serial"},
		{"payment_method", "Payment"},
		{"lines", "Lines"},
		{"lines[3]", "Line"},
		{"lines[3].qty", "Line"},
		{"no_such_field", "no_such_field"},
	} {
		t.Run(c.field, func(t *testing.T) {
			if got := fieldLabel(c.field); got != c.want {
				t.Errorf("fieldLabel(%q) = %q, want %q", c.field, got, c.want)
			}
		})
	}
}
