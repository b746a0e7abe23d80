// Package processing is the one statement of what Spoke processes and why: the purposes, the
// categories of personal data (every Personal column of the store's registry, named for
// people), the recipients, transfers and safeguards, retention, sources, what an erasure
// leaves and the security measures, in English and Simplified Chinese. The GDPR Art. 30 record
// of processing activities, the privacy notice for the counter and the "about this processing"
// part of a data-subject export are all rendered from it, so they cannot disagree.
//
// It reads the shops' settings (name, region, currency) and the registry, never customer
// data, and it decides nothing about access: the caller got the shops from
// store.Session.PrivacyShops, which checks the grant and audits.
package processing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"spoke/store"
)

// Lang is a language the documents are written in.
type Lang string

// The languages.
const (
	EN Lang = "en"
	ZH Lang = "zh" // Simplified Chinese
)

// HTMLLang is the lang attribute of a document in l.
func (l Lang) HTMLLang() string {
	if l == ZH {
		return "zh-Hans"
	}
	return "en"
}

// ErrLang says which languages there are.
var ErrLang = errors.New("language must be en or zh")

// ParseLang reads a language as a person or a locale names it: en, en-US, zh, zh-Hans, zh-CN,
// zh_CN (any case).
func ParseLang(s string) (Lang, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	base, rest, sub := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	switch {
	case base == "en" && (!sub || isRegion(rest)):
		return EN, nil
	case base == "zh" && (!sub || rest == "hans" || rest == "cn" || rest == "sg" || rest == "hans-cn"):
		return ZH, nil
	}
	return "", ErrLang
}

func isRegion(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// Text is one text in both languages.
type Text struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// In returns the text in l (English where no Chinese is given).
func (t Text) In(l Lang) string {
	if l == ZH && t.Zh != "" {
		return t.Zh
	}
	return t.En
}

func tx(en, zh string) Text { return Text{En: en, Zh: zh} }

// Law is a data-protection law a shop answers to, from its region.
type Law struct {
	Key  string `json:"key"` // gdpr, uk-gdpr, ccpa, pipl, local
	Name Text   `json:"name"`
}

// ShopInfo is one shop as the record names it.
type ShopInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	Laws     []Law  `json:"laws"`
}

// Purpose is one purpose of processing with its lawful basis.
type Purpose struct {
	Key         string   `json:"key"`
	Name        Text     `json:"name"`
	Description Text     `json:"description"`
	Basis       Text     `json:"basis"`
	Categories  []string `json:"categories"` // Category keys; "*" = every category
}

// Category is a category of personal data. Registry categories are one sealed column each
// (Key "table.column"); the others are business columns that, linked to a person, are
// personal data too (purchase history, the access log).
type Category struct {
	Key     string `json:"key"`
	Subject string `json:"subject"` // "customer" or "staff"
	Name    Text   `json:"name"`
	Sealed  bool   `json:"sealed"` // encrypted under the customer's own key (or the org key, staff)
}

// Recipient is who receives or can reach the data.
type Recipient struct {
	Key  string `json:"key"`
	Name Text   `json:"name"`
	Sees Text   `json:"sees"`
}

// Transfer is where data goes beyond the shop's devices, and how it is safeguarded.
type Transfer struct {
	Key        string `json:"key"`
	Where      Text   `json:"where"`
	What       Text   `json:"what"`
	Safeguards Text   `json:"safeguards"`
}

// Retention is how long a category of records is kept and on what ground.
type Retention struct {
	Key    string `json:"key"`
	What   Text   `json:"what"`
	Period Text   `json:"period"`
	Basis  Text   `json:"basis"`
}

// Item is a named entry of a list (sources, rights, clocks, measures).
type Item struct {
	Key  string `json:"key"`
	Name Text   `json:"name"`
	Text Text   `json:"text"`
}

// Record is the record of processing activities for a set of shops (GDPR Art. 30(1)).
type Record struct {
	Format        string      `json:"format"` // "spoke.records/v1"
	GeneratedAt   time.Time   `json:"generated_at"`
	Controller    Text        `json:"controller"`
	Shops         []ShopInfo  `json:"shops"`
	Subjects      []Item      `json:"subjects"`
	Purposes      []Purpose   `json:"purposes"`
	Categories    []Category  `json:"categories"`
	Recipients    []Recipient `json:"recipients"`
	Transfers     []Transfer  `json:"transfers"`
	Retention     []Retention `json:"retention"`
	Sources       []Item      `json:"sources"`
	ErasureLimits []Item      `json:"erasure_limits"`
	Security      []Item      `json:"security"`
	Rights        []Item      `json:"rights"`
	Clocks        []Item      `json:"clocks"`
	Decisions     Text        `json:"automated_decisions"`
}

// RecordFormat names the version of the record's JSON.
const RecordFormat = "spoke.records/v1"

// Options are the settings the record reads beyond the shops. A zero value reads "as
// configured", which is what the document then says.
type Options struct {
	Now time.Time
	// HubLocation is where the hub runs (a country or a provider's region), when the
	// settings declare it; "" = "the hub's location as configured".
	HubLocation string
	// The retention rules' numbers; 0 = "as set in the retention rules".
	InactiveYears, AuditYears, ReasonMonths int
}

// Build is the record for shops, from the registry's personal columns (store.PersonalFields).
func Build(shops []store.Shop, fields []store.PersonalField, o Options) Record {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := Record{Format: RecordFormat, GeneratedAt: o.Now.UTC().Truncate(time.Second)}
	var names []string
	for _, s := range shops {
		r.Shops = append(r.Shops, ShopInfo{ID: s.ID, Name: s.Name, Region: s.Region, Currency: s.Currency, Laws: LawsOf(s.Region)})
		names = append(names, s.Name)
	}
	r.Controller = tx("The business that runs "+strings.Join(names, ", ")+", which decides why and how this data is processed.",
		"经营"+strings.Join(names, "、")+"的企业，决定处理这些数据的目的和方式。")
	for _, f := range fields {
		r.Categories = append(r.Categories, Category{Key: f.Key(), Subject: f.Subject, Name: FieldName(f.Key()), Sealed: true})
	}
	r.Categories = append(r.Categories, linkedCategories...)
	r.Subjects = subjects
	r.Purposes = purposes
	r.Recipients = recipients
	r.Transfers = transfers(o.HubLocation)
	r.Retention = retention(o)
	r.Sources = sources
	r.ErasureLimits = erasureLimits
	r.Security = security
	r.Rights = rights
	r.Clocks = clocks
	r.Decisions = decisions
	return r
}

// CategoryNames resolves a purpose's category keys to names ("*" = every category).
func (r Record) CategoryNames(p Purpose, l Lang) []string {
	var out []string
	for _, c := range r.Categories {
		if slices.Contains(p.Categories, "*") || slices.Contains(p.Categories, c.Key) {
			out = append(out, c.Name.In(l))
		}
	}
	return out
}

// LawsInForce lists the laws of every shop of the record, once each, in a fixed order.
func (r Record) LawsInForce() []Law {
	var out []Law
	for _, k := range []string{"gdpr", "uk-gdpr", "ccpa", "pipl", "local"} {
		for _, s := range r.Shops {
			if slices.ContainsFunc(s.Laws, func(l Law) bool { return l.Key == k }) && !slices.ContainsFunc(out, func(l Law) bool { return l.Key == k }) {
				out = append(out, laws[k])
			}
		}
	}
	return out
}

// eea are the member states of the EU and the EEA, where the GDPR applies.
var eea = map[string]bool{"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true,
	"PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true, "IS": true, "LI": true, "NO": true}

var laws = map[string]Law{
	"gdpr":    {"gdpr", tx("EU General Data Protection Regulation (GDPR)", "欧盟《通用数据保护条例》（GDPR）")},
	"uk-gdpr": {"uk-gdpr", tx("UK GDPR and Data Protection Act 2018", "英国 GDPR 及《2018 年数据保护法》")},
	"ccpa":    {"ccpa", tx("California Consumer Privacy Act as amended by the CPRA (CCPA), and other US state privacy laws", "美国《加州消费者隐私法》（经 CPRA 修订，CCPA）及其他州隐私法")},
	"pipl":    {"pipl", tx("Personal Information Protection Law of the PRC (PIPL)", "《中华人民共和国个人信息保护法》（PIPL）")},
	"local":   {"local", tx("the data-protection law of the shop's country", "门店所在国家或地区的数据保护法律")},
}

// LawsOf names the laws a shop in region (an ISO 3166 country code, as the shop settings hold
// it) answers to.
func LawsOf(region string) []Law {
	switch r := strings.ToUpper(strings.TrimSpace(region)); {
	case eea[r]:
		return []Law{laws["gdpr"]}
	case r == "GB" || r == "UK":
		return []Law{laws["uk-gdpr"]}
	case r == "US":
		return []Law{laws["ccpa"]}
	case r == "CN":
		return []Law{laws["pipl"]}
	}
	return []Law{laws["local"]}
}

// FieldName names a registry column for people. A column this package does not know yet is
// named by its key, so the record still lists it (and a test fails until it has a name).
func FieldName(key string) Text {
	if t, ok := fieldNames[key]; ok {
		return t
	}
	return tx(key+" (personal field)", key+"（个人信息字段）")
}

// KnowsField reports whether key has a name of its own (tests).
func KnowsField(key string) bool { _, ok := fieldNames[key]; return ok }

func orConfigured(n int, unit Text) Text {
	if n <= 0 {
		return tx("as set in the retention rules", "按保留规则中的设置")
	}
	return tx(fmt.Sprintf("%d %s", n, unit.En), fmt.Sprintf("%d %s", n, unit.Zh))
}
