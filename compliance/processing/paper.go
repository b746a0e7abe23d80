package processing

import (
	"strings"

	"spoke/paper"
)

// PaperNotice is the privacy notice of the record's one shop as a printed document, section by
// section the same text as the HTML notice (WriteNotice).
func (r Record) PaperNotice(l Lang, contact string) (paper.Notice, error) {
	v, err := r.notice(l, contact)
	if err != nil {
		return paper.Notice{}, err
	}
	pl := paper.EN
	if l == ZH {
		pl = paper.ZH
	}
	n := paper.Notice{Lang: pl, Title: v.L["notice.title"] + " · " + v.Shop.Name,
		Subtitle: v.L["version"] + " " + v.Version + " · " + v.GeneratedAt.Format("2006-01-02")}
	var laws []string
	for _, law := range v.Shop.Laws {
		laws = append(laws, law.Name.In(l))
	}
	n.Sections = append(n.Sections, paper.Section{Heading: v.L["who"], Paragraphs: []string{v.Who, strings.Join(laws, "; ")}})

	collect := paper.Section{Heading: v.L["collect"]}
	for _, c := range v.Categories {
		if c.Subject == "customer" {
			collect.Items = append(collect.Items, paper.Item{Text: c.Name.In(l)})
		}
	}
	var sources []string
	for _, s := range v.Sources {
		sources = append(sources, s.Name.In(l))
	}
	collect.Paragraphs = []string{v.SourcesIntro.In(l) + " " + strings.Join(sources, "; ") + "."}
	n.Sections = append(n.Sections, collect)

	why := paper.Section{Heading: v.L["why"], Paragraphs: []string{v.Decisions.In(l)}}
	for _, p := range v.Purposes {
		why.Items = append(why.Items, paper.Item{Name: p.Name.In(l), Text: p.Description.In(l) + "\n" + v.L["basis"] + ": " + p.Basis.In(l)})
	}
	n.Sections = append(n.Sections, why)

	access := paper.Section{Heading: v.L["access"]}
	for _, x := range v.Recipients {
		access.Items = append(access.Items, paper.Item{Name: x.Name.In(l), Text: x.Sees.In(l)})
	}
	stored := paper.Section{Heading: v.L["stored"]}
	for _, x := range v.Transfers {
		stored.Items = append(stored.Items, paper.Item{Name: x.Where.In(l), Text: x.Safeguards.In(l)})
	}
	keep := paper.Section{Heading: v.L["keep"]}
	for _, x := range v.Retention {
		keep.Items = append(keep.Items, paper.Item{Name: x.What.In(l), Text: x.Period.In(l)})
	}
	rights := paper.Section{Heading: v.L["rights"]}
	for _, x := range v.Rights {
		rights.Items = append(rights.Items, paper.Item{Name: x.Name.In(l), Text: x.Text.In(l)})
	}
	how := v.HowIntro.In(l)
	if v.Contact != "" {
		how += " " + v.Contact
	}
	ask := paper.Section{Heading: v.L["how"], Paragraphs: []string{how, v.Verify.In(l)}}
	clocks := paper.Section{Heading: v.L["clocks"]}
	for _, x := range v.Clocks {
		clocks.Items = append(clocks.Items, paper.Item{Name: x.Name.In(l), Text: x.Text.In(l)})
	}
	n.Sections = append(n.Sections, access, stored, keep, rights, ask, clocks)
	return n, nil
}
