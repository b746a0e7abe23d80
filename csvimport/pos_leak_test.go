package csvimport_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"spoke/crypto/keys"
	"spoke/csvimport"
	"spoke/store"
)

// personalValues are the personal values of the parsed rows of a sample: whole fields and
// their words of six characters or more (names, streets, towns), as written and normalised.
func personalValues(rows []csvimport.Row) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 6 {
			out = append(out, s)
		}
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == ':' }) {
			if len(w) >= 6 {
				out = append(out, w)
			}
		}
	}
	for _, r := range rows {
		for _, s := range []string{r.Name, r.Email, r.Phone, r.PhoneAlt, r.Address, r.Notes, r.BikeSerial} {
			add(s)
		}
		if _, id, ok := strings.Cut(r.Source, ":"); ok {
			add(id)
		}
	}
	return out
}

// TestImportLeaksNoValue imports every POS sample (preview, import, re-import, a refused
// import, the bikes) and checks that no personal value of the samples appears in an error, an
// audit entry, or any file the store wrote.
func TestImportLeaksNoValue(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "db")
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "North", Region: "US", Currency: "USD",
		OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, store.Options{Passphrase: "correct horse battery staple", KDF: keys.KDFParams{Time: 1, Memory: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	owner, err := st.SignIn(ctx, "olga", "owner-password-1")
	if err != nil {
		t.Fatal(err)
	}
	shops := map[string]string{}
	all, _ := owner.Shops(ctx)
	shops["US"] = all[0].ID
	for _, r := range []string{"AU", "GB", "DE"} {
		if shops[r], err = owner.AddShop(ctx, "Shop "+r, r, "EUR"); err != nil {
			t.Fatal(err)
		}
	}
	var values, texts []string
	note := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
		}
	}
	for _, f := range []struct{ file, region string }{{"pos_lightspeed_x.csv", "AU"}, {"pos_lightspeed_r.csv", "US"}, {"pos_shopify.csv", "US"},
		{"pos_square.csv", "GB"}, {"pos_woocommerce.csv", "DE"}, {"generic_split.csv", "DE"}} {
		system := ""
		if f.file == "generic_split.csv" {
			system = csvimport.SystemCSV
		}
		data := sample(t, f.file)
		tgt := csvimport.Target{ShopID: shops[f.region]}
		res := parse(t, data, csvimport.Options{Region: f.region, System: system})
		values = append(values, personalValues(res.Rows)...)
		p, err := csvimport.PreviewImport(ctx, owner, tgt, res)
		note(err)
		texts = append(texts, fmt.Sprintf("%+v", p.Invalid))
		_, err = csvimport.ImportRows(ctx, owner, tgt, res.Rows, csvimport.CandidatesAsNew, nil)
		note(err)
		_, err = csvimport.ImportRows(ctx, owner, tgt, res.Rows, csvimport.SkipCandidates, nil)
		note(err)
		// A refused row, and a file with bad cells.
		bad := append([]csvimport.Row(nil), res.Rows...)
		bad[0].Email, bad[0].Source = bad[0].Name, ""
		_, err = csvimport.ImportRows(ctx, owner, tgt, bad, csvimport.CandidatesAsNew, nil)
		if err == nil {
			t.Fatalf("%s: a row with a bad e-mail was imported", f.file)
		}
		note(err)
		broken := bytes.Replace(data, []byte("@"), []byte("@@"), -1)
		if r, err := csvimport.Parse(bytes.NewReader(broken), csvimport.Options{Region: f.region}); err == nil {
			for _, e := range r.Errors {
				texts = append(texts, e.Error())
			}
		} else {
			note(err)
		}
	}
	br, err := csvimport.ParseBikes(bytes.NewReader(sample(t, "bikes_export.csv")), csvimport.Options{System: csvimport.SystemLightspeedR})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range br.Rows {
		values = append(values, r.Serial)
	}
	_, err = csvimport.PreviewBikes(ctx, owner, shops["US"], br)
	note(err)
	for range 2 {
		_, err = csvimport.ImportBikes(ctx, owner, shops["US"], br.Rows)
		note(err)
	}
	t.Logf("%d values, %d texts", len(values), len(texts))
	recs, err := owner.AuditLog(ctx, store.AuditFilter{Limit: 10000})
	if err != nil || len(recs) < 20 {
		t.Fatalf("audit: %d %v", len(recs), err)
	}
	for _, r := range recs {
		texts = append(texts, r.Action, r.Target, strings.Join(r.Fields, ","), r.Detail, r.Reason)
	}
	for _, s := range texts {
		for _, v := range values {
			if strings.Contains(s, v) {
				t.Errorf("%q appears in %q", v, s)
			}
		}
	}
	err = filepath.Walk(filepath.Dir(dir), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%q is in clear in %s", v, filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
