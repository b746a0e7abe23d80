package processing

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

// CSS is the style every document shares: UTF-8 text in a font stack that has CJK fonts on
// every desktop (Noto/Source Han on Linux, PingFang on macOS, Microsoft YaHei on Windows), and
// print rules for A4/Letter.
const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  line-height: 1.5; color: #111; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; }
:lang(zh) { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #bbb; margin-top: 1.8rem; }
h3 { font-size: 1rem; margin-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; font-size: .9em; }
.muted { color: #555; }
.note { border-left: 4px solid #888; padding: .25rem .75rem; background: #f7f7f7; }
ul { padding-left: 1.25rem; }
@page { margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  tr, li, .keep { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .noprint { display: none; }
}
`

// Format is how a record is written.
type Format string

// The formats.
const (
	FormatText Format = "text"
	FormatJSON Format = "json"
	FormatHTML Format = "html"
)

// ErrFormat says which formats there are.
var ErrFormat = errors.New("format must be text, json or html")

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatText, FormatJSON, FormatHTML:
		return f, nil
	}
	return "", ErrFormat
}

// Funcs are the template functions the documents use; tr picks the document's language.
func Funcs(l Lang) template.FuncMap {
	return template.FuncMap{
		"tr":   func(t Text) string { return t.In(l) },
		"zh":   func() bool { return l == ZH },
		"join": strings.Join,
		"css":  func() template.CSS { return template.CSS(CSS) },
	}
}

var templates = template.Must(template.New("").Funcs(Funcs(EN)).ParseFS(templateFS, "templates/*.html"))

func render(name string, l Lang, data any) ([]byte, error) {
	t, err := templates.Clone()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Funcs(Funcs(l)).ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// recordView is what the record's template reads.
type recordView struct {
	Record
	Lang     Lang
	L        map[string]string
	Purposes []purposeView
}

type purposeView struct {
	Purpose
	Categories []string
}

func (r Record) view(l Lang) recordView {
	v := recordView{Record: r, Lang: l, L: labels(l)}
	for _, p := range r.Purposes {
		v.Purposes = append(v.Purposes, purposeView{Purpose: p, Categories: r.CategoryNames(p, l)})
	}
	return v
}

// Write writes the record in format f and language l (JSON holds both languages).
func (r Record) Write(w io.Writer, f Format, l Lang) error {
	var b []byte
	var err error
	switch f {
	case FormatJSON:
		b, err = json.MarshalIndent(r, "", "  ")
		b = append(b, '\n')
	case FormatHTML:
		b, err = render("record.html", l, r.view(l))
	case FormatText:
		b = r.text(l)
	default:
		err = ErrFormat
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// text is the record as plain text, for a terminal or a mail.
func (r Record) text(l Lang) []byte {
	L := labels(l)
	var b bytes.Buffer
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	head := func(s string) {
		line("\n%s\n%s", s, strings.Repeat("=", len([]rune(s))*map[bool]int{true: 2, false: 1}[l == ZH]))
	}
	line("%s", L["record.title"])
	line("%s: %s", L["generated"], r.GeneratedAt.Format("2006-01-02"))
	line("%s: %s", L["controller"], r.Controller.In(l))
	head(L["shops"])
	for _, s := range r.Shops {
		var laws []string
		for _, law := range s.Laws {
			laws = append(laws, law.Name.In(l))
		}
		line("- %s (%s, %s): %s", s.Name, s.Region, s.Currency, strings.Join(laws, "; "))
	}
	head(L["subjects"])
	for _, s := range r.Subjects {
		line("- %s: %s", s.Name.In(l), s.Text.In(l))
	}
	head(L["purposes"])
	for _, p := range r.Purposes {
		line("- %s: %s", p.Name.In(l), p.Description.In(l))
		line("  %s: %s", L["basis"], p.Basis.In(l))
		line("  %s: %s", L["categories"], strings.Join(r.CategoryNames(p, l), "; "))
	}
	head(L["categories"])
	for _, c := range r.Categories {
		sealed := ""
		if c.Sealed {
			sealed = " [" + L["sealed"] + "]"
		}
		line("- %s (%s)%s", c.Name.In(l), c.Key, sealed)
	}
	head(L["recipients"])
	for _, x := range r.Recipients {
		line("- %s: %s", x.Name.In(l), x.Sees.In(l))
	}
	head(L["transfers"])
	for _, t := range r.Transfers {
		line("- %s: %s", t.Where.In(l), t.What.In(l))
		line("  %s: %s", L["safeguards"], t.Safeguards.In(l))
	}
	head(L["retention"])
	for _, x := range r.Retention {
		line("- %s: %s (%s)", x.What.In(l), x.Period.In(l), x.Basis.In(l))
	}
	for _, sec := range []struct {
		title string
		items []Item
	}{{L["sources"], r.Sources}, {L["erasure"], r.ErasureLimits}, {L["security"], r.Security}} {
		head(sec.title)
		for _, it := range sec.items {
			line("- %s: %s", it.Name.In(l), it.Text.In(l))
		}
	}
	head(L["decisions"])
	line("%s", r.Decisions.In(l))
	return b.Bytes()
}

// labels are the documents' headings.
func labels(l Lang) map[string]string {
	out := map[string]string{}
	for k, t := range headings {
		out[k] = t.In(l)
	}
	return out
}

var headings = map[string]Text{
	"record.title": tx("Record of processing activities (GDPR Art. 30)", "个人信息处理活动记录（GDPR 第 30 条）"),
	"notice.title": tx("Privacy notice", "隐私声明"),
	"generated":    tx("Generated", "生成日期"),
	"controller":   tx("Controller", "控制者"),
	"shops":        tx("Shops and the laws they answer to", "门店及适用法律"),
	"shop":         tx("Shop", "门店"),
	"region":       tx("Region", "地区"),
	"currency":     tx("Currency", "币种"),
	"laws":         tx("Laws", "法律"),
	"subjects":     tx("Categories of data subjects", "数据主体类别"),
	"purposes":     tx("Purposes and lawful basis", "处理目的与合法依据"),
	"purpose":      tx("Purpose", "目的"),
	"basis":        tx("Lawful basis", "合法依据"),
	"categories":   tx("Categories of personal data", "个人信息类别"),
	"category":     tx("Category", "类别"),
	"field":        tx("Field", "字段"),
	"sealed":       tx("encrypted at rest, in sync and in backups", "存储、同步和备份中均加密"),
	"linked":       tx("business data linked to the person", "与本人关联的业务数据"),
	"whose":        tx("Whose", "所属"),
	"customer":     tx("customers", "客户"),
	"staff":        tx("staff", "员工"),
	"recipients":   tx("Recipients", "接收方"),
	"recipient":    tx("Recipient", "接收方"),
	"sees":         tx("What they receive or can reach", "可获得或可接触的内容"),
	"transfers":    tx("Transfers and safeguards", "数据传输与保障措施"),
	"where":        tx("Where", "去向"),
	"what":         tx("What", "内容"),
	"safeguards":   tx("Safeguards", "保障措施"),
	"retention":    tx("Retention", "保存期限"),
	"period":       tx("Kept for", "保存期限"),
	"ground":       tx("Ground", "依据"),
	"sources":      tx("Where the data comes from", "数据来源"),
	"erasure":      tx("What an erasure leaves", "删除后保留的内容"),
	"security":     tx("Security measures (GDPR Art. 32)", "安全措施（GDPR 第 32 条）"),
	"rights":       tx("Your rights", "您的权利"),
	"clocks":       tx("How quickly we answer", "答复时限"),
	"decisions":    tx("Automated decisions", "自动化决策"),
	"how":          tx("How to ask", "如何提出请求"),
	"who":          tx("Who is responsible", "责任方"),
	"collect":      tx("What we record", "我们记录哪些信息"),
	"why":          tx("Why we use it", "我们为何使用这些信息"),
	"access":       tx("Who can see it", "谁可以查看"),
	"keep":         tx("How long we keep it", "保存多长时间"),
	"stored":       tx("Where it is kept", "存放在哪里"),
	"version":      tx("Notice version", "声明版本"),
}

// BodyHTML is the record's sections, from the categories of data subjects to automated
// decisions, as HTML (escaped) for another document to include: the subject export's "about
// this processing".
func (r Record) BodyHTML(l Lang) (template.HTML, error) {
	b, err := render("record-body", l, r.view(l))
	return template.HTML(b), err // #nosec: html/template escaped every value above
}
