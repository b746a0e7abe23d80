package paper

import (
	"strings"
	"testing"
	"time"
)

// hostile are values a field may hold after an import or a sync from a broken device.
var hostile = map[string]string{
	"long":      strings.Repeat("Supercalifragilistic ", 2000),
	"one word":  strings.Repeat("W", 50000),
	"cjk long":  strings.Repeat("龘靐齉", 3000),
	"controls":  "a\x00b\x07c\x1b[31mred\x1b[0m\r\n\t\x7f\u0085\u2028\u2029d",
	"bidi":      "\u202eevil.pdf\u202c \u2067שלום\u2069 مرحبا \u200f\u200e",
	"emoji":     "🚲🔧👨‍👩‍👧‍👦🏳️‍🌈 ok",
	"invalid":   "\xff\xfe\xc3\x28 bad utf-8",
	"newlines":  strings.Repeat("\n", 5000) + "end",
	"combining": "e\u0301\u0301\u0301\u0301\u0301\u0301 Z̴̡̢̛̖͇̭͇͕̜̠̼̟̘̮̩̗͖̟̦̈́̉̈́́̉̀͂͋̄̏̕͝a",
	"empty":     "",
	"spaces":    strings.Repeat(" ", 10000),
}

// checkSheet asserts nothing was drawn outside the page, and that a one-page document stayed
// on one page.
func checkSheet(t *testing.T, s *sheet, err error, maxPages int) {
	t.Helper()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if s.err != nil {
		t.Fatalf("render: %v", s.err)
	}
	if maxPages > 0 && s.page > maxPages {
		t.Fatalf("%d pages, want at most %d", s.page, maxPages)
	}
	const eps = 0.01
	for _, b := range s.boxes {
		if b.x < s.margin-eps || b.y < s.margin-eps || b.x+b.w > s.size.W-s.margin+eps || b.y+b.h > s.size.H-s.margin+eps {
			t.Fatalf("text off the frame on page %d: x=%.1f y=%.1f w=%.1f h=%.1f (page %.0f×%.0f, margin %.1f)", b.page, b.x, b.y, b.w, b.h, s.size.W, s.size.H, s.margin)
		}
	}
	if _, err := s.finish(); err != nil {
		t.Fatalf("finish: %v", err)
	}
}

func TestHostileValues(t *testing.T) {
	for name, v := range hostile {
		t.Run(name, func(t *testing.T) {
			tk := sampleTicket(EN, v)
			tk.Shop.Name, tk.Shop.Address, tk.Shop.Phone, tk.JobNumber, tk.Work, tk.Terms = v, v, v, v, v, v
			tk.Bike = Bike{v, v, v, v}
			tk.Phone = v
			tk.Lines = append(tk.Lines, Line{Kind: "part", Description: v, Qty: 9999, UnitPrice: 100_000_000})
			s, err := tk.set()
			checkSheet(t, s, err, 40)

			tg := Tag{Lang: ZH, Shop: v, JobNumber: v, Name: v, Bike: Bike{v, v, v, v}, Promised: time.Now()}
			s, err = tg.set()
			checkSheet(t, s, err, 1)

			r := Receipt{Lang: EN, Shop: Shop{Name: v, Address: v, Region: v, Currency: v}, Sale: v, SoldAt: time.Now(), Payment: v, Seller: v,
				Lines: []Line{{Description: v, Qty: 1, UnitPrice: -5}}, Total: -9_223_372_036_854_775_807}
			s, err = r.set()
			checkSheet(t, s, err, 40)

			n := Notice{Lang: ZH, Title: v, Subtitle: v, Sections: []Section{{Heading: v, Paragraphs: []string{v, v}, Items: []Item{{v, v}, {"", v}}}}}
			s, err = n.set()
			checkSheet(t, s, err, 40)
		})
	}
}

// TestCleanDropsSpoofing: bidirectional overrides and other format characters never reach the
// page, where they could reorder what a customer reads.
func TestCleanDropsSpoofing(t *testing.T) {
	for in, want := range map[string]string{
		"\u202eabc\u202c": "abc",
		"a\u200db":        "ab",
		"x\x00y\x1bz":     "xyz",
		"l1\nl2":          "l1 l2",
		"\ufeffhi\ufe0f":  "hi",
		"\xffok":          "?ok",
		"tab\there":       "tab here",
		"王\u2066小\u2069明": "王小明",
	} {
		if got := clean(in, false); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := clean("a\nb", true); got != "a\nb" {
		t.Errorf("multiline clean lost the newline: %q", got)
	}
}

func FuzzTag(f *testing.F) {
	for _, v := range hostile {
		if len(v) < 200 {
			f.Add(v, v)
		}
	}
	f.Fuzz(func(t *testing.T, job, name string) {
		tg := Tag{Lang: EN, Shop: name, JobNumber: job, Name: name, Bike: Bike{Make: job, Model: name}}
		s, err := tg.set()
		checkSheet(t, s, err, 1)
	})
}

func FuzzReceipt(f *testing.F) {
	for _, v := range hostile {
		if len(v) < 200 {
			f.Add(v, "DE", int64(100))
		}
	}
	f.Fuzz(func(t *testing.T, text, region string, amount int64) {
		r := Receipt{Lang: ZH, Shop: Shop{Name: text, Address: text, Region: region, Currency: text}, Sale: text, Payment: text, Seller: text,
			Lines: []Line{{Description: text, Qty: 1, UnitPrice: amount}}, Total: amount}
		s, err := r.set()
		checkSheet(t, s, err, 40)
	})
}
