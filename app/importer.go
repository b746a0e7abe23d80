package app

import (
	"context"
	"io"
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/csvimport"
	"spoke/store"
)

// maxImportBytes bounds what an import reads into memory.
const maxImportBytes = 256 << 20

// ImportScreen imports customers from a CSV file: check first (a per-line error report that
// names line, column and reason, never a value), then import with a progress bar.
type ImportScreen struct {
	a    *App
	root fyne.CanvasObject

	Path     *widget.Entry
	Browse   *widget.Button
	AssignTo *widget.Select
	Skip     *widget.Check
	Check    *widget.Button
	Import   *widget.Button
	Progress *widget.ProgressBar
	Status   *widget.Label
	Errors   *widget.List

	lineErrors []csvimport.LineError
	rows       []csvimport.Row
	owners     map[string]store.Staff
}

func newImportScreen(a *App) *ImportScreen {
	s := &ImportScreen{a: a, Path: widget.NewEntry(), Progress: widget.NewProgressBar(), Status: widget.NewLabel(""), owners: map[string]store.Staff{}}
	s.Status.Wrapping = fyne.TextWrapWord
	s.Path.SetPlaceHolder(a.T("Path of a .csv file"))
	s.Path.OnChanged = func(string) { s.rows = nil; s.Import.Disable() }
	s.Browse = a.button(a.T("Choose file…"), theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			r.Close()
			s.Path.SetText(r.URI().Path())
		}, a.W)
		d.Show()
	})
	me := a.T("Me (%s)", a.user.Username)
	opts := []string{me}
	s.owners[me] = store.Staff{}
	if a.has(store.RoleOwner) || a.has(store.RoleManager) {
		for _, st := range a.staff {
			if slices.Contains(st.Roles, store.RoleSales) && (a.user.ShopID == "" || st.ShopID == a.user.ShopID) {
				opts = append(opts, st.Username)
				s.owners[st.Username] = st
			}
		}
	}
	s.AssignTo = widget.NewSelect(opts, func(string) { s.rows = nil; s.Import.Disable() })
	s.AssignTo.Selected = me
	s.Skip = widget.NewCheck(a.T("Import the good lines and skip the bad ones"), nil)
	s.Check = a.button(a.T("Check the file"), theme.SearchIcon(), s.check)
	s.Import = a.button(a.T("Import"), theme.UploadIcon(), s.doImport)
	s.Import.Importance = widget.HighImportance
	s.Import.Disable()
	s.Errors = widget.NewList(func() int { return len(s.lineErrors) }, func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			e := s.lineErrors[i]
			col := e.Column
			if col == "*" {
				col = a.T("whole line")
			}
			o.(*widget.Label).SetText(a.T("Line %d, column %s: %s", e.Line, col, a.T(e.Reason)))
		})
	help := widget.NewLabel(a.T("Columns: name (or first and last name), email, phone, address, notes, bike_make, bike_model, bike_serial. Comma, semicolon or tab separated; UTF-8 or GBK. With any bad line nothing is imported unless you choose to skip them."))
	help.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(a.T("File"), container.NewBorder(nil, nil, nil, s.Browse, s.Path)),
		widget.NewFormItem(a.T("Customers of"), s.AssignTo),
		widget.NewFormItem("", s.Skip))
	top := container.NewVBox(ui.Heading(a.T("Import customers")), help, form, container.NewHBox(s.Check, s.Import), s.Progress, s.Status,
		ui.Bold(a.T("Problems by line")))
	s.root = container.NewBorder(top, nil, nil, nil, s.Errors)
	return s
}

func (s *ImportScreen) target() csvimport.Target {
	st := s.owners[s.AssignTo.Selected]
	return csvimport.Target{OwnerID: st.ID, ShopID: st.ShopID}
}

// check parses and validates the file off the UI goroutine.
func (s *ImportScreen) check() {
	a := s.a
	path := strings.TrimSpace(s.Path.Text)
	t := s.target()
	s.Import.Disable()
	s.Progress.SetValue(0)
	s.Status.SetText(a.T("Reading the file…"))
	s.lineErrors, s.rows = nil, nil
	s.Errors.Refresh()
	skip := s.Skip.Checked
	load(a, func(ctx context.Context, ss *store.Session) (*csvimport.Result, error) {
		region, err := csvimport.Region(ctx, ss, t)
		var res *csvimport.Result
		if err == nil {
			var f *os.File
			if f, err = os.Open(path); err == nil {
				res, err = csvimport.Parse(io.LimitReader(f, maxImportBytes), csvimport.Options{Region: region, SkipInvalid: skip})
				f.Close()
			}
		}
		return res, err
	}, func(res *csvimport.Result, err error) {
		if err != nil {
			if os.IsNotExist(err) {
				s.Status.SetText(a.T("No such file."))
			} else {
				s.Status.SetText(a.errText(err))
			}
			return
		}
		s.lineErrors = res.Errors
		s.rows = res.Rows
		s.Errors.Refresh()
		msg := a.T("%d customer(s) ready to import; %d problem(s).", len(res.Rows), len(res.Errors))
		if res.Converted != "" {
			msg += " " + a.T("The file was %s-encoded and was converted.", res.Converted)
		}
		if len(res.Errors) > 0 && !skip {
			msg += " " + a.T("Fix the lines below, or tick the box to skip them; nothing is imported meanwhile.")
		}
		s.Status.SetText(msg)
		if len(res.Rows) > 0 {
			s.Import.Enable()
		}
	})
}

// doImport writes the checked rows in one transaction, with a progress bar.
func (s *ImportScreen) doImport() {
	a := s.a
	rows, t := s.rows, s.target()
	if len(rows) == 0 {
		return
	}
	s.Import.Disable()
	s.Check.Disable()
	s.Status.SetText(a.T("Importing…"))
	load(a, func(ctx context.Context, ss *store.Session) ([]string, error) {
		return csvimport.Import(ctx, ss, t, rows, func(done, total int) {
			f := float64(done) / float64(total)
			a.handBack(ss, func() { s.Progress.SetValue(f) })
		})
	}, func(ids []string, err error) {
		s.Check.Enable()
		s.rows = nil
		if err != nil {
			s.Status.SetText(a.T("Nothing was imported: %s", a.errText(err)))
			return
		}
		a.wrote()
		s.Progress.SetValue(1)
		s.Status.SetText(a.T("Imported %d customer(s).", len(ids)))
		a.customersChanged()
	})
}
