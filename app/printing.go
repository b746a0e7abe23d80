package app

import (
	"context"
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2/dialog"

	"spoke/compliance/docfile"
	"spoke/paper"
	"spoke/printout"
	"spoke/store"
)

// Printed is what the last print of a screen left: the prompt that asked where, the file
// written, and the dialog that offers to open it (tests tap it).
type Printed struct {
	Prompt *SavePrompt
	Path   string
	Offer  dialog.Dialog
	Open   func() // opens the file written with the system's PDF viewer
}

// paperLang is the GUI's language for the paper.
func (a *App) paperLang() paper.Lang {
	if a.lang == langZH {
		return paper.ZH
	}
	return paper.EN
}

// printPDF asks where to save a document (proposing name, made of ids only), renders it off
// the UI goroutine through render (the store checks the grant and audits the print), writes it
// without replacing anything, and offers to open it. done, if set, runs on the UI goroutine
// with the result.
func (a *App) printPDF(title, name string, render func(ctx context.Context, ss *store.Session) ([]byte, error), done func(*Printed, error)) *Printed {
	pr := &Printed{}
	pr.Prompt = a.askSavePath(title, name, func(path string, finish func(error)) {
		do(a, func(ctx context.Context, ss *store.Session) error {
			b, err := render(ctx, ss)
			if err != nil {
				return err
			}
			return docfile.WriteNew(path, b, 0o644)
		}, func(err error) {
			finish(err)
			if err == nil {
				pr.Path = path
				pr.Open = func() { a.openDocument(path) }
				pr.Offer = dialog.NewConfirm(a.T("Saved"), a.T("Saved to %s. Open it now?", filepath.Base(path)), func(yes bool) {
					if yes {
						pr.Open()
					}
				}, a.W)
				pr.Offer.Show()
			}
			if done != nil {
				done(pr, err)
			}
		})
	})
	return pr
}

// openDocument hands a saved file to the system's viewer.
func (a *App) openDocument(path string) {
	if a.FyneApp == nil {
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	a.FyneApp.OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)})
}

// printWorkOrder prints a work order's ticket or tag, in the GUI's language.
func (a *App) printWorkOrder(woID string, kind printout.Kind) *Printed {
	l := a.paperLang()
	title := a.T("Save the work order ticket")
	if kind == printout.Tag {
		title = a.T("Save the bike tag")
	}
	return a.printPDF(title, printout.FileName(kind, woID), func(ctx context.Context, ss *store.Session) ([]byte, error) {
		return printout.WorkOrder(ctx, ss, woID, kind, l)
	}, nil)
}

// printReceipt prints a sale's receipt, in the GUI's language.
func (a *App) printReceipt(saleID string) *Printed {
	l := a.paperLang()
	return a.printPDF(a.T("Save the sale receipt"), printout.FileName(printout.Receipt, saleID), func(ctx context.Context, ss *store.Session) ([]byte, error) {
		return printout.Sale(ctx, ss, saleID, l)
	}, nil)
}
