package checkup

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Lang is a language the report is written in.
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

// ParseLang reads en or zh (en-US, zh-Hans, zh-CN, zh_CN, any case).
func ParseLang(s string) (Lang, error) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	switch {
	case s == "en" || strings.HasPrefix(s, "en-"):
		return EN, nil
	case s == "zh" || s == "zh-hans" || s == "zh-cn" || s == "zh-sg" || s == "zh-hans-cn":
		return ZH, nil
	}
	return "", ErrLang
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

// T makes a Text.
func T(en, zh string) Text { return Text{En: en, Zh: zh} }

// kindText is what a kind of finding says: a title and a detail whose {name}s the finding's
// arguments fill.
type kindText struct{ title, detail Text }

var (
	kindsMu sync.RWMutex
	kinds   = map[string]kindText{}
)

// Describe registers what a kind of finding says, in both languages: a source added to the
// check-up elsewhere (the permission review, training) describes its kinds with it. The detail
// names arguments as {name}.
func Describe(kind string, title, detail Text) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	kinds[kind] = kindText{title, detail}
}

// Described reports whether a kind has texts.
func Described(kind string) bool {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	_, ok := kinds[kind]
	return ok
}

// Kinds lists the described kinds, sorted.
func Kinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	return slices.Sorted(maps.Keys(kinds))
}

// valueTexts translate the coded argument values that appear in texts ("rule=short").
var valueTexts = map[string]Text{
	"rule=short":           T("shorter than 12 characters", "少于 12 个字符"),
	"rule=common":          T("a common password", "常见密码"),
	"rule=username":        T("the same as the username", "与用户名相同"),
	"role=owner":           T("owner device", "店主设备"),
	"role=shop":            T("shop device", "门店设备"),
	"kind=device_lost":     T("device lost", "设备丢失"),
	"kind=device_stolen":   T("device stolen", "设备被盗"),
	"kind=other":           T("other", "其他"),
	"last=never":           T("never", "从未"),
	"old=-":                T("(not set)", "（未设置）"),
	"new=-":                T("(not set)", "（未设置）"),
	"old=(a folder)":       T("a folder", "一个文件夹"),
	"new=(a folder)":       T("a folder", "一个文件夹"),
	"new=(another folder)": T("another folder", "另一个文件夹"),
}

// Title is what the finding is, in l.
func (f Finding) Title(l Lang) string {
	kindsMu.RLock()
	k, ok := kinds[f.Kind]
	kindsMu.RUnlock()
	if !ok {
		return strings.ReplaceAll(f.Kind, "_", " ")
	}
	return fill(k.title.In(l), f.Args, l)
}

// Detail says what was found, with its numbers and ids, in l.
func (f Finding) Detail(l Lang) string {
	kindsMu.RLock()
	k, ok := kinds[f.Kind]
	kindsMu.RUnlock()
	if !ok {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(f.Args)) {
			parts = append(parts, name+"="+f.Args[name])
		}
		return strings.Join(parts, ", ")
	}
	return fill(k.detail.In(l), f.Args, l)
}

// fill replaces every {name} in s with the argument's value (translated where the value is a
// code with a text), and a name without an argument with "?".
func fill(s string, args map[string]string, l Lang) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name := s[i+1 : i+j]
		v, ok := args[name]
		switch t, coded := valueTexts[name+"="+v]; {
		case !ok:
			b.WriteString("?")
		case coded:
			b.WriteString(t.In(l))
		default:
			b.WriteString(v)
		}
		s = s[i+j+1:]
	}
}
