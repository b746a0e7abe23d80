package cli

import (
	"strings"
	"testing"
)

func TestEmit(t *testing.T) {
	type rec struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	recs := []rec{{7, "Ana"}, {12345, "Bartholomew"}}
	row := func(r rec) []any { return []any{r.ID, r.Name} }
	var b strings.Builder
	if err := emit(&b, false, recs, []string{"ID", "NAME"}, row); err != nil {
		t.Fatal(err)
	}
	if want := "ID     NAME\n7      Ana\n12345  Bartholomew\n"; b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := emit(&b, true, recs, []string{"ID", "NAME"}, row); err != nil {
		t.Fatal(err)
	}
	if want := "{\"id\":7,\"name\":\"Ana\"}\n{\"id\":12345,\"name\":\"Bartholomew\"}\n"; b.String() != want {
		t.Errorf("json:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := emit(&b, false, []rec(nil), []string{"ID", "NAME"}, row); err != nil || b.String() != "ID  NAME\n" {
		t.Errorf("empty table: %q, %v", b.String(), err)
	}
	b.Reset()
	if err := emit(&b, true, []rec(nil), nil, row); err != nil || b.String() != "" {
		t.Errorf("empty json: %q, %v", b.String(), err)
	}
}
