package processing

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

// TestPaperNoticeSaysWhatTheHTMLSays: the printed notice carries the HTML notice's text, in
// both languages, so the notice version names the printed text too.
func TestPaperNoticeSaysWhatTheHTMLSays(t *testing.T) {
	tags := regexp.MustCompile(`<[^>]*>`)
	for _, l := range []Lang{EN, ZH} {
		rec := testRecord(testShops[0])
		var b bytes.Buffer
		if err := rec.WriteNotice(&b, l, "privacy@shop.example"); err != nil {
			t.Fatal(err)
		}
		page := strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(b.String(), " "))), " ")
		n, err := rec.PaperNotice(l, "privacy@shop.example")
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Sections) != 9 {
			t.Fatalf("%d sections", len(n.Sections))
		}
		check := func(s string) {
			for _, part := range strings.Split(s, "\n") {
				part = strings.Join(strings.Fields(part), " ")
				if part == "" || strings.HasSuffix(part, ":") {
					continue
				}
				if _, after, ok := strings.Cut(part, ": "); ok && strings.Contains(page, after) {
					continue // "Lawful basis: …" is a table column in HTML
				}
				if !strings.Contains(page, part) {
					t.Errorf("%s: the printed notice says %q, the HTML does not", l, part)
				}
			}
		}
		for _, sec := range n.Sections {
			check(sec.Heading)
			for _, p := range sec.Paragraphs {
				check(p)
			}
			for _, it := range sec.Items {
				check(it.Name)
				check(it.Text)
			}
		}
	}
	if _, err := testRecord().PaperNotice(EN, ""); err == nil {
		t.Fatal("a notice for no shop")
	}
}
