package subject

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"spoke/compliance/docfile"
	"spoke/compliance/processing"
	"spoke/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(funcs(processing.EN)).ParseFS(templateFS, "templates/*.html"))

// The archive's files.
const (
	FileJSON       = "subject.json"
	FileProcessing = "processing.json"
	FileHTMLEN     = "subject-en.html"
	FileHTMLZH     = "subject-zh.html"
	FileReadme     = "README.txt"
)

func funcs(l processing.Lang) template.FuncMap {
	m := processing.Funcs(l)
	m["when"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	m["day"] = func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	}
	m["lbl"] = func(x store.Label) string { return processing.Text{En: x.En, Zh: x.Zh}.In(l) }
	m["role"] = func(r string) string {
		var out []string
		for _, one := range strings.Split(r, ",") {
			if t, ok := roleNames[one]; ok {
				out = append(out, t.In(l))
			} else {
				out = append(out, one)
			}
		}
		return strings.Join(out, ", ")
	}
	m["action"] = func(a string) string {
		if t, ok := actionNames[a]; ok {
			return t.In(l)
		}
		return a
	}
	m["linesOf"] = func(v view, lines []store.SubjectLine) linesView {
		return linesView{L: v.L, Money: v.Money, Lines: lines}
	}
	m["word"] = func(w string) string {
		if t, ok := words[w]; ok {
			return t.In(l)
		}
		return w
	}
	m["about"] = func(a string) string {
		if t, ok := aboutNames[a]; ok {
			return t.In(l)
		}
		return a
	}
	m["outcome"] = func(o string) string {
		if t, ok := outcomeNames[o]; ok {
			return t.In(l)
		}
		return o
	}
	m["status"] = func(s store.Status) string {
		if t, ok := statusNames[s]; ok {
			return t.In(l)
		}
		return string(s)
	}
	return m
}

// JSON is subject.json: the store's SubjectData, indented.
func JSON(d *store.SubjectData) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

type view struct {
	*store.SubjectData
	Lang  processing.Lang
	L     map[string]string
	Rec   processing.Record
	About template.HTML
	Money func(int64) string
}

type linesView struct {
	L     map[string]string
	Money func(int64) string
	Lines []store.SubjectLine
}

// HTML is the human-readable document in l: the data, then what the shop does with it.
func HTML(d *store.SubjectData, rec processing.Record, l processing.Lang) ([]byte, error) {
	about, err := rec.BodyHTML(l)
	if err != nil {
		return nil, err
	}
	cur := d.Shop.Currency
	v := view{SubjectData: d, Lang: l, L: labels(l), Rec: rec, About: about, Money: func(minor int64) string { return money(minor, cur) }}
	t, err := templates.Clone()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Funcs(funcs(l)).ExecuteTemplate(&b, "subject.html", v); err != nil {
		return nil, fmt.Errorf("render the export: %w", err)
	}
	return b.Bytes(), nil
}

// money writes minor units with two decimals and the currency code.
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency)
}

// Files are the archive's files for d, whose processing is described by rec.
func Files(d *store.SubjectData, rec processing.Record) ([]File, error) {
	js, err := JSON(d)
	if err != nil {
		return nil, err
	}
	pj, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	en, err := HTML(d, rec, processing.EN)
	if err != nil {
		return nil, err
	}
	zh, err := HTML(d, rec, processing.ZH)
	if err != nil {
		return nil, err
	}
	return []File{{FileReadme, []byte(readme)}, {FileHTMLEN, en}, {FileHTMLZH, zh}, {FileJSON, js}, {FileProcessing, append(pj, '\n')}}, nil
}

const readme = `Your personal data / 您的个人信息
===============================

subject-en.html   Everything the shop holds about you, and what it does with it (English).
subject-zh.html   同上，简体中文版。
subject.json      The same data, machine-readable (format spoke.subject/v1), to keep or give
                  to another business (GDPR Art. 20). / 同样的数据，机器可读格式，可保存或
                  提供给其他企业。
processing.json   The purposes, categories, recipients, retention and sources, machine-readable.
                  / 处理目的、类别、接收方、保存期限和来源，机器可读格式。

This archive came encrypted (age, https://age-encryption.org) under a passphrase the shop gave
you separately. Keep it somewhere safe: it is not encrypted any more.
本压缩包原以 age 加密，密码由门店另行告知。解密后已不再加密，请妥善保管。
`

// DefaultName is the file name a save dialog proposes: the customer's id and the date, never
// a name.
func DefaultName(customerID string, now time.Time) string {
	return "spoke-subject-" + customerID + "-" + now.Format("20060102") + ".age"
}

// Result is what a written export holds, for the staff member (no value).
type Result struct {
	Passphrase string // show once, never store
	Bytes      int
	Files      []string
	Counts     []store.SubjectCount
}

// Write renders, seals and writes the export of d to path (refusing to replace a file there)
// under a fresh passphrase, which it returns.
func Write(path string, d *store.SubjectData, rec processing.Record) (*Result, error) {
	files, err := Files(d, rec)
	if err != nil {
		return nil, err
	}
	pass, err := NewPassphrase()
	if err != nil {
		return nil, err
	}
	sealed, err := Seal(files, pass, d.GeneratedAt)
	if err != nil {
		return nil, err
	}
	if err := docfile.WriteNew(path, sealed, 0o600); err != nil {
		return nil, err
	}
	res := &Result{Passphrase: pass, Bytes: len(sealed), Counts: d.Counts()}
	for _, f := range files {
		res.Files = append(res.Files, f.Name)
	}
	return res, nil
}
