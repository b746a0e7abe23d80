package checkup

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"time"
)

//go:embed templates/report.html
var templateFS embed.FS

// css is the report's style: UTF-8 text in a font stack with CJK fonts on every desktop, and
// print rules for A4/Letter (as the other compliance documents).
const css = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  line-height: 1.5; color: #111; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; }
:lang(zh) { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; border-bottom: 1px solid #bbb; margin-top: 1.8rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; font-size: .9em; }
.muted { color: #555; }
.sev { font-weight: bold; text-transform: uppercase; font-size: .85em; }
.critical { color: #8b0000; } .high { color: #b03000; } .medium { color: #8a6d00; } .low { color: #245; } .info { color: #555; }
.note { border-left: 4px solid #888; padding: .25rem .75rem; background: #f7f7f7; white-space: pre-wrap; }
@page { margin: 15mm; }
@media print { body { margin: 0; max-width: none; font-size: 10.5pt; } h2 { break-after: avoid; } tr, .keep { break-inside: avoid; } }
`

var reportTemplate = template.Must(template.New("").Funcs(template.FuncMap{"css": func() template.CSS { return template.CSS(css) }}).
	ParseFS(templateFS, "templates/report.html"))

// labels are the report's fixed words.
var labels = map[string]Text{
	"title":      T("Security check-up", "安全检查"),
	"run":        T("Run", "检查编号"),
	"at":         T("Run at", "检查时间"),
	"by":         T("Run by", "执行人"),
	"device":     T("On device", "设备"),
	"version":    T("Spoke version", "Spoke 版本"),
	"since":      T("Changes since", "变更起始"),
	"first":      T("the first check-up", "首次检查"),
	"summary":    T("Summary", "概要"),
	"severity":   T("Severity", "严重程度"),
	"open":       T("Open", "待处理"),
	"accepted":   T("Accepted", "已接受"),
	"fixed":      T("Marked fixed", "已标记修复"),
	"finding":    T("Finding", "发现"),
	"status":     T("Status", "状态"),
	"key":        T("Key", "标识"),
	"none":       T("Nothing was found. Keep it that way: the next check-up is due as scheduled.", "未发现问题。请保持：下次检查将按计划进行。"),
	"reopened":   T("marked fixed before, still found", "曾标记为已修复，但仍被发现"),
	"noteby":     T("Decided by", "决定人"),
	"noteexp":    T("The note has expired under the retention policy.", "根据保存政策，备注已过期。"),
	"critical":   T("Critical", "严重"),
	"high":       T("High", "高"),
	"medium":     T("Medium", "中"),
	"low":        T("Low", "低"),
	"info":       T("Information", "信息"),
	"scheduled":  T("scheduled", "计划执行"),
	"manual":     T("on demand", "按需执行"),
	"footer":     T("Findings hold ids, codes, dates and counts only; the owner's notes are shown as written.", "发现中只包含编号、代码、日期和数量；店主的备注按原样显示。"),
	"generated":  T("Written", "生成时间"),
	"statusopen": T("open", "待处理"),
}

type findingView struct {
	Finding
	Title, Detail, Status string
}

type sectionView struct {
	Severity Severity
	Label    string
	Findings []findingView
}

type reportView struct {
	Report
	Lang     string
	L        map[string]string
	Trigger  string
	Counts   []countView
	Sections []sectionView
	Written  string
	Empty    bool
}

type countView struct {
	Label                    string
	Severity                 Severity
	Open, Accepted, Resolved int
}

// HTML renders the report in l as a standalone HTML document, written at the given time.
// Every value is escaped (a note may hold anything a person typed).
func (r *Report) HTML(l Lang, written time.Time) ([]byte, error) {
	v := reportView{Report: *r, Lang: l.HTMLLang(), L: map[string]string{}, Written: written.Format("2006-01-02 15:04 MST"), Empty: len(r.Findings) == 0}
	for k, t := range labels {
		v.L[k] = t.In(l)
	}
	v.Trigger = v.L[r.Trigger]
	if v.Trigger == "" {
		v.Trigger = r.Trigger
	}
	for _, c := range r.Counts() {
		v.Counts = append(v.Counts, countView{Label: v.L[string(c.Severity)], Severity: c.Severity, Open: c.Open, Accepted: c.Accepted, Resolved: c.Resolved})
	}
	fs := append([]Finding(nil), r.Findings...)
	Sort(fs)
	for _, sev := range Severities {
		sec := sectionView{Severity: sev, Label: v.L[string(sev)]}
		for _, f := range fs {
			if f.Severity != sev {
				continue
			}
			st := v.L["statusopen"]
			switch f.Status {
			case Accepted:
				st = v.L["accepted"]
			case Fixed:
				st = v.L["fixed"]
			}
			sec.Findings = append(sec.Findings, findingView{Finding: f, Title: f.Title(l), Detail: f.Detail(l), Status: st})
		}
		if len(sec.Findings) > 0 {
			v.Sections = append(v.Sections, sec)
		}
	}
	var b bytes.Buffer
	if err := reportTemplate.ExecuteTemplate(&b, "report.html", v); err != nil {
		return nil, fmt.Errorf("render the check-up report: %w", err)
	}
	return b.Bytes(), nil
}
