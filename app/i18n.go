package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"spoke/assets"
)

// Languages the GUI speaks.
const (
	langEN = "en"
	langZH = "zh-Hans"
)

// languageNames are shown in the language picker, each in its own language.
var languageNames = map[string]string{langEN: "English", langZH: "简体中文"}

// catalogs holds the embedded translation files, one key→text map per language. Keys are the
// English texts (gettext style); en.json maps each key to itself so the files list every
// string. Fyne's lang package gets the same files (for its own widgets and the system
// locale); Spoke looks strings up itself because lang has no runtime language switch.
var catalogs = map[string]map[string]string{}

var loadOnce sync.Once

// loadTranslations reads the catalogs once, when the GUI starts (not at program start: the
// CLI in the same binary must not pay for it or trigger Fyne's locale detection).
func loadTranslations() { loadOnce.Do(readTranslations) }

func readTranslations() {
	for _, l := range []string{langEN, langZH} {
		b, err := assets.Translations.ReadFile("translations/" + l + ".json")
		if err != nil {
			panic("missing translation file " + l)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("bad translation file " + l + ": " + err.Error())
		}
		catalogs[l] = m
	}
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		fyne.LogError("load translations", err)
	}
}

// T translates an English text into the current language and formats it with args
// (fmt verbs). Untranslated keys fall back to English.
func (a *App) T(key string, args ...any) string {
	loadTranslations()
	s, ok := catalogs[a.lang][key]
	if !ok || s == "" {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// systemLanguage picks Chinese for a Chinese system locale, English otherwise.
func systemLanguage() string {
	if strings.HasPrefix(strings.ToLower(string(lang.SystemLocale())), "zh") {
		return langZH
	}
	return langEN
}
