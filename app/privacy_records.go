package app

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/compliance/docfile"
	"spoke/compliance/processing"
	"spoke/compliance/subject"
	"spoke/paper"
	"spoke/printout"
	"spoke/store"
)

func init() {
	registerPrivacyPane(privacyPane{order: 20, name: "records", label: "Records",
		may:   func(a *App) bool { return a.can(store.OpDataSubject) },
		build: func(a *App) (fyne.CanvasObject, func()) { p := newRecordsPane(a); return p, p.refresh }})
}

// RecordsPane is the privacy desk's summary of the Art. 30 record of processing, with "Save
// record…" (HTML, JSON or text) and "Save privacy notice…" (for a shop, in English or
// Chinese). The summary reads only the shops' settings; each saved document goes through
// store.Session.PrivacyShops, which checks the grant and audits.
type RecordsPane struct {
	widget.BaseWidget
	a *App

	Summary    *widget.Label
	Details    *widget.Label
	Lang       *widget.Select
	Format     *widget.Select
	Shop       *widget.Select
	Contact    *widget.Entry
	SaveRecord *widget.Button
	SaveNotice *widget.Button
	// PrintNotice saves the notice as PDF for the printer (the same text, fonts embedded).
	PrintNotice *widget.Button
	Printed     *Printed
	Prompt      *SavePrompt
	Info        *ui.Message

	root    fyne.CanvasObject
	shopIDs map[string]string // Shop option -> id
	langs   map[string]processing.Lang
	formats map[string]processing.Format
}

func newRecordsPane(a *App) *RecordsPane {
	p := &RecordsPane{a: a, Summary: widget.NewLabel(""), Details: widget.NewLabel(""), Contact: widget.NewEntry(), Info: a.newMsgLabel(widget.SuccessImportance),
		shopIDs: map[string]string{}, langs: map[string]processing.Lang{languageNames[langEN]: processing.EN, languageNames[langZH]: processing.ZH},
		formats: map[string]processing.Format{"HTML": processing.FormatHTML, "JSON": processing.FormatJSON, a.T("Plain text"): processing.FormatText}}
	p.Summary.Wrapping, p.Details.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord
	p.Summary.TextStyle.Bold = true
	p.Lang = widget.NewSelect([]string{languageNames[langEN], languageNames[langZH]}, func(string) { a.touch() })
	if a.lang == langZH {
		p.Lang.SetSelected(languageNames[langZH])
	} else {
		p.Lang.SetSelected(languageNames[langEN])
	}
	p.Format = widget.NewSelect([]string{"HTML", "JSON", a.T("Plain text")}, func(string) { a.touch() })
	p.Format.SetSelected("HTML")
	p.Shop = widget.NewSelect(nil, func(string) { a.touch() })
	p.Contact.SetPlaceHolder(a.T("Where to send a request, e.g. privacy@yourshop.example (optional)"))
	p.SaveRecord = a.button(a.T("Save record…"), theme.DocumentSaveIcon(), p.saveRecord)
	p.SaveNotice = a.button(a.T("Save privacy notice…"), theme.DocumentSaveIcon(), p.saveNotice)
	p.PrintNotice = a.button(a.T("Print privacy notice (PDF)…"), theme.DocumentPrintIcon(), p.printNotice)
	intro := widget.NewLabel(a.T("The record of processing activities (GDPR Art. 30) and the privacy notice for the counter are generated from the shops' settings and from what Spoke stores. They hold no customer's data."))
	intro.Wrapping = fyne.TextWrapWord
	record := widget.NewCard(a.T("Record of processing"), "", container.NewVBox(
		widget.NewForm(widget.NewFormItem(a.T("Format"), p.Format)), container.NewHBox(p.SaveRecord)))
	notice := widget.NewCard(a.T("Privacy notice"), "", container.NewVBox(
		widget.NewForm(widget.NewFormItem(a.T("Shop"), p.Shop), widget.NewFormItem(a.T("Contact"), p.Contact)), container.NewHBox(p.SaveNotice, p.PrintNotice)))
	lang := widget.NewForm(widget.NewFormItem(a.T("Language"), p.Lang))
	p.root = container.NewVScroll(container.NewVBox(intro, p.Summary, p.Details, lang, record, notice, p.Info))
	p.ExtendBaseWidget(p)
	p.refresh()
	return p
}

// CreateRenderer draws the pane.
func (p *RecordsPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// shops are those the user may speak for: every shop (owner), their own (manager).
func (p *RecordsPane) shops() []store.Shop {
	a := p.a
	if a.user.ShopID == "" {
		return a.shops
	}
	for _, s := range a.shops {
		if s.ID == a.user.ShopID {
			return []store.Shop{s}
		}
	}
	return nil
}

func (p *RecordsPane) lang() processing.Lang {
	if l, ok := p.langs[p.Lang.Selected]; ok {
		return l
	}
	return processing.EN
}

// guiLang is the document language matching the GUI's.
func (p *RecordsPane) guiLang() processing.Lang {
	if p.a.lang == langZH {
		return processing.ZH
	}
	return processing.EN
}

// refresh shows the summary of the record for the shops in reach.
func (p *RecordsPane) refresh() {
	a := p.a
	shops := p.shops()
	rec := processing.Build(shops, store.PersonalFields(), processing.Options{Now: a.opts.Now()})
	l := p.guiLang()
	sealed := 0
	for _, c := range rec.Categories {
		if c.Sealed {
			sealed++
		}
	}
	p.Summary.SetText(a.T("%d shop(s), %d purposes, %d categories of personal data (%d of them encrypted fields), %d recipients, %d retention rules.",
		len(rec.Shops), len(rec.Purposes), len(rec.Categories), sealed, len(rec.Recipients), len(rec.Retention)))
	var lines []string
	for _, s := range rec.Shops {
		var laws []string
		for _, law := range s.Laws {
			laws = append(laws, law.Name.In(l))
		}
		lines = append(lines, fmt.Sprintf("%s (%s): %s", s.Name, s.Region, strings.Join(laws, "; ")))
	}
	var purposes []string
	for _, pu := range rec.Purposes {
		purposes = append(purposes, pu.Name.In(l))
	}
	lines = append(lines, a.T("Purposes: %s", strings.Join(purposes, "; ")))
	p.Details.SetText(strings.Join(lines, "\n"))
	var opts []string
	p.shopIDs = map[string]string{}
	for _, s := range shops {
		opts = append(opts, s.Name)
		p.shopIDs[s.Name] = s.ID
	}
	p.Shop.SetOptions(opts)
	if len(opts) > 0 && p.shopIDs[p.Shop.Selected] == "" {
		p.Shop.SetSelected(opts[0])
	}
}

func (p *RecordsPane) saveRecord() {
	a := p.a
	f, l := p.formats[p.Format.Selected], p.lang()
	if f == "" {
		f = processing.FormatHTML
	}
	ext := map[processing.Format]string{processing.FormatHTML: "html", processing.FormatJSON: "json", processing.FormatText: "txt"}[f]
	name := fmt.Sprintf("spoke-records-%s-%s.%s", l, a.opts.Now().Format("20060102"), ext)
	p.Prompt = a.askSavePath(a.T("Save record of processing"), name, func(path string, done func(error)) {
		p.save(store.DocRecord, "", path, done, func(rec processing.Record, b *bytes.Buffer) error { return rec.Write(b, f, l) })
	})
}

func (p *RecordsPane) saveNotice() {
	a := p.a
	l, shopID, contact := p.lang(), p.shopIDs[p.Shop.Selected], p.Contact.Text
	if shopID == "" {
		p.Info.SetResult(a.T("Choose the shop the notice is for."), false)
		return
	}
	name := fmt.Sprintf("spoke-privacy-notice-%s.html", l)
	p.Prompt = a.askSavePath(a.T("Save privacy notice"), name, func(path string, done func(error)) {
		p.save(store.DocNotice, shopID, path, done, func(rec processing.Record, b *bytes.Buffer) error { return rec.WriteNotice(b, l, contact) })
	})
}

// printNotice saves the shop's notice as PDF (store.Session.PrintNotice checks and audits).
func (p *RecordsPane) printNotice() {
	a := p.a
	l, shopID, contact := p.lang(), p.shopIDs[p.Shop.Selected], p.Contact.Text
	if shopID == "" {
		p.Info.SetResult(a.T("Choose the shop the notice is for."), false)
		return
	}
	pl, now := paper.EN, a.opts.Now()
	if l == processing.ZH {
		pl = paper.ZH
	}
	p.Printed = a.printPDF(a.T("Save privacy notice"), fmt.Sprintf("privacy-notice-%s.pdf", l), func(ctx context.Context, ss *store.Session) ([]byte, error) {
		return printout.PrivacyNotice(ctx, ss, shopID, pl, contact, now)
	}, func(pr *Printed, err error) {
		if err == nil {
			p.Info.SetResult(a.T("Saved to %s.", pr.Path), true)
		}
	})
}

// save builds the document off the UI goroutine for the shops the store lets the user speak
// for, and writes it once.
func (p *RecordsPane) save(doc store.PrivacyDoc, shopID, path string, done func(error), render func(processing.Record, *bytes.Buffer) error) {
	a := p.a
	now := a.opts.Now()
	do(a, func(ctx context.Context, ss *store.Session) error {
		shops, err := ss.PrivacyShops(ctx, doc, shopID)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := render(processing.Build(shops, store.PersonalFields(), subject.Settings(ctx, ss, now)), &b); err != nil {
			return err
		}
		return docfile.WriteNew(path, b.Bytes(), 0o644)
	}, func(err error) {
		done(err)
		if err == nil {
			p.Info.SetResult(a.T("Saved to %s.", path), true)
		}
	})
}
