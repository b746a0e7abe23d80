package app

import (
	"context"
	"fmt"
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

// ImportScreen imports customers, or bikes, from a CSV file or another point-of-sale system's
// export. Check shows the preview: which column goes to which field and which are ignored,
// how many rows are new, updates (by the system's customer id), candidates (same e-mail or
// phone as a stored customer) and invalid (line, column, reason; never a value). Import asks
// for confirmation, then imports in one transaction with a progress bar.
type ImportScreen struct {
	a    *App
	root fyne.CanvasObject

	Path     *widget.Entry
	Browse   *widget.Button
	Kind     *widget.RadioGroup // customers or bikes
	System   *widget.Select     // the system the file's customer ids come from
	Shop     *widget.Select     // org-wide users with several shops: where the rows go
	AssignTo *widget.Select
	Skip     *widget.Check
	AsNew    *widget.Check // candidates are imported as new customers
	Check    *widget.Button
	Import   *widget.Button
	Progress *widget.ProgressBar
	Status   *widget.Label
	// Mapping shows the column mapping: the file's header texts are shown to the user who
	// chose the file, and never logged.
	Mapping *widget.Label
	Errors  *widget.List
	// ConfirmImport is the question asked before an import starts (tests confirm it).
	ConfirmImport *dialog.ConfirmDialog

	lineErrors []csvimport.LineError
	rows       []csvimport.Row
	bikeRows   []csvimport.BikeRow
	preview    *csvimport.Preview
	bikes      *csvimport.BikePreview
	owners     map[string]store.Staff
	systems    map[string]string
	shopIDs    map[string]string
}

func newImportScreen(a *App) *ImportScreen {
	s := &ImportScreen{a: a, Path: widget.NewEntry(), Progress: widget.NewProgressBar(), Status: widget.NewLabel(""), Mapping: widget.NewLabel(""),
		owners: map[string]store.Staff{}, systems: map[string]string{}, shopIDs: map[string]string{}}
	s.Status.Wrapping = fyne.TextWrapWord
	s.Path.SetPlaceHolder(a.T("Path of a .csv file"))
	s.Path.OnChanged = func(string) { s.reset() }
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
	customers, bikes := a.T("Customers"), a.T("Bikes")
	s.Kind = widget.NewRadioGroup([]string{customers, bikes}, func(string) { s.reset() })
	s.Kind.Horizontal = true
	s.Kind.Selected = customers
	detect := a.T("Recognise from the file")
	s.systems[detect] = ""
	opts := []string{detect}
	for _, sys := range []struct{ id, label string }{
		{csvimport.SystemLightspeedX, "Lightspeed Retail X-Series"}, {csvimport.SystemLightspeedR, "Lightspeed Retail R-Series"},
		{csvimport.SystemShopify, "Shopify"}, {csvimport.SystemSquare, "Square"}, {csvimport.SystemWooCommerce, "WooCommerce"},
		{csvimport.SystemCSV, a.T("Another system (generic CSV)")},
	} {
		s.systems[sys.label] = sys.id
		opts = append(opts, sys.label)
	}
	s.System = widget.NewSelect(opts, func(string) { s.reset() })
	s.System.Selected = detect
	if a.user.ShopID == "" && len(a.shops) > 1 {
		var names []string
		for _, sh := range a.shops {
			names = append(names, sh.Name)
			s.shopIDs[sh.Name] = sh.ID
		}
		s.Shop = widget.NewSelect(names, func(string) { s.reset() })
		s.Shop.Selected = names[0]
	}
	me := a.T("Me (%s)", a.user.Username)
	owners := []string{me}
	s.owners[me] = store.Staff{}
	if a.has(store.RoleOwner) || a.has(store.RoleManager) {
		for _, st := range a.staff {
			if slices.Contains(st.Roles, store.RoleSales) && (a.user.ShopID == "" || st.ShopID == a.user.ShopID) {
				owners = append(owners, st.Username)
				s.owners[st.Username] = st
			}
		}
	}
	s.AssignTo = widget.NewSelect(owners, func(string) { s.reset() })
	s.AssignTo.Selected = me
	s.Skip = widget.NewCheck(a.T("Import the good lines and skip the bad ones"), nil)
	s.AsNew = widget.NewCheck(a.T("Import candidates as new customers (they are never merged)"), nil)
	s.Check = a.button(a.T("Check the file"), theme.SearchIcon(), s.check)
	s.Import = a.button(a.T("Import"), theme.UploadIcon(), s.confirm)
	s.Import.Importance = widget.HighImportance
	s.Import.Disable()
	s.Errors = widget.NewList(func() int { return len(s.lineErrors) }, func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			e := s.lineErrors[i]
			if e.Column == "" {
				o.(*widget.Label).SetText(a.T("Line %d: %s", e.Line, a.T(e.Reason)))
				return
			}
			col := e.Column
			if col == "*" {
				col = a.T("whole line")
			}
			o.(*widget.Label).SetText(a.T("Line %d, column %s: %s", e.Line, col, a.T(e.Reason)))
		})
	help := widget.NewLabel(a.T("Columns: name (or first and last name), email, phone and mobile, address (or street, house number, postcode, city, country), notes, bike_make, bike_model, bike_serial, and the customer id of the system the file comes from. Exports of Lightspeed, Shopify, Square and WooCommerce are recognised. Comma, semicolon or tab separated; UTF-8 or GBK. With any bad line nothing is imported unless you choose to skip them."))
	help.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(a.T("File"), container.NewBorder(nil, nil, nil, s.Browse, s.Path)),
		widget.NewFormItem(a.T("The file holds"), s.Kind),
		widget.NewFormItem(a.T("Exported from"), s.System))
	if s.Shop != nil {
		form.Append(a.T("Shop"), s.Shop)
	}
	form.Append(a.T("Customers of"), s.AssignTo)
	form.Append("", s.Skip)
	form.Append("", s.AsNew)
	top := container.NewVBox(ui.Heading(a.T("Import customers")), help, form, container.NewHBox(s.Check, s.Import), s.Progress, s.Status)
	split := container.NewHSplit(
		container.NewBorder(ui.Bold(a.T("Column mapping")), nil, nil, nil, container.NewVScroll(s.Mapping)),
		container.NewBorder(ui.Bold(a.T("Problems by line")), nil, nil, nil, s.Errors))
	split.Offset = 0.45
	s.root = container.NewBorder(top, nil, nil, nil, split)
	return s
}

func (s *ImportScreen) bikesKind() bool { return s.Kind.Selected == s.a.T("Bikes") }

// reset forgets a checked file: a change of file or option needs a new check.
func (s *ImportScreen) reset() {
	s.rows, s.bikeRows, s.preview, s.bikes = nil, nil, nil, nil
	if s.Import != nil {
		s.Import.Disable()
	}
}

func (s *ImportScreen) target() csvimport.Target {
	st := s.owners[s.AssignTo.Selected]
	t := csvimport.Target{OwnerID: st.ID, ShopID: st.ShopID}
	if t.ShopID == "" && s.Shop != nil {
		t.ShopID = s.shopIDs[s.Shop.Selected] // a salesperson's own shop wins
	}
	return t
}

// checked is what check found, off the UI goroutine.
type checked struct {
	converted string
	rows      []csvimport.Row
	preview   *csvimport.Preview
	bikeRows  []csvimport.BikeRow
	bikes     *csvimport.BikePreview
}

// check parses the file and previews the import off the UI goroutine.
func (s *ImportScreen) check() {
	a := s.a
	path := strings.TrimSpace(s.Path.Text)
	t := s.target()
	bikes := s.bikesKind()
	s.reset()
	s.Progress.SetValue(0)
	s.Status.SetText(a.T("Reading the file…"))
	s.Mapping.SetText("")
	s.lineErrors = nil
	s.Errors.Refresh()
	skip := s.Skip.Checked
	system := s.systems[s.System.Selected]
	load(a, func(ctx context.Context, ss *store.Session) (*checked, error) {
		region, err := csvimport.Region(ctx, ss, t)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		// Parse with the valid rows kept, so the preview can count them; the import itself
		// stays all or nothing unless the box is ticked.
		opts := csvimport.Options{Region: region, SkipInvalid: true, System: system}
		c := &checked{}
		if bikes {
			res, err := csvimport.ParseBikes(io.LimitReader(f, maxImportBytes), opts)
			if err != nil {
				return nil, err
			}
			c.converted, c.bikeRows = res.Converted, res.Rows
			c.bikes, err = csvimport.PreviewBikes(ctx, ss, t.ShopID, res)
			return c, err
		}
		res, err := csvimport.Parse(io.LimitReader(f, maxImportBytes), opts)
		if err != nil {
			return nil, err
		}
		c.converted, c.rows = res.Converted, res.Rows
		c.preview, err = csvimport.PreviewImport(ctx, ss, t, res)
		return c, err
	}, func(c *checked, err error) {
		if err != nil {
			if os.IsNotExist(err) {
				s.Status.SetText(a.T("No such file."))
			} else {
				s.Status.SetText(a.errText(err))
			}
			return
		}
		var msg string
		var invalid []csvimport.LineError
		ready := 0
		if c.bikes != nil {
			p := c.bikes
			s.bikes, s.bikeRows = p, c.bikeRows
			s.Mapping.SetText(s.mappingText(p.System, p.Columns))
			invalid = p.Invalid
			s.lineErrors = append(slices.Clone(p.Invalid),
				s.listed(p.NoCustomer, "names no customer of this shop: skipped")...)
			s.lineErrors = append(s.lineErrors, s.listed(p.OtherCustomer, "this serial is another customer's bike: skipped, never moved")...)
			s.lineErrors = append(s.lineErrors, s.listed(p.NotYours, "the customer is another salesperson's: skipped")...)
			ready = len(p.New) + len(p.Updates)
			msg = a.T("%d new bike(s), %d update(s) by serial, %d without a customer, %d invalid line(s).", len(p.New), len(p.Updates), len(p.NoCustomer)+len(p.OtherCustomer)+len(p.NotYours), len(p.Invalid))
		} else {
			p := c.preview
			s.preview, s.rows = p, c.rows
			s.Mapping.SetText(s.mappingText(p.System, p.Columns))
			invalid = p.Invalid
			s.lineErrors = append(slices.Clone(p.Invalid),
				s.listed(p.Candidates, "matches a customer only by e-mail or phone (a candidate): skipped unless you tick the box")...)
			s.lineErrors = append(s.lineErrors, s.listed(p.NotYours, "the customer with this id is another salesperson's: skipped")...)
			s.lineErrors = append(s.lineErrors, s.listed(p.Erased, "a customer with this id was erased from the shop: skipped")...)
			ready = len(p.New) + len(p.Updates) + len(p.Candidates)
			msg = a.T("%d new customer(s), %d update(s) by customer id, %d candidate(s), %d invalid line(s).", len(p.New), len(p.Updates), len(p.Candidates), len(p.Invalid))
		}
		slices.SortStableFunc(s.lineErrors, func(x, y csvimport.LineError) int { return x.Line - y.Line })
		s.Errors.Refresh()
		if c.converted != "" {
			msg += " " + a.T("The file was %s-encoded and was converted.", c.converted)
		}
		if len(invalid) > 0 && !skip {
			msg += " " + a.T("Fix the lines below, or tick the box to skip them; nothing is imported meanwhile.")
		}
		s.Status.SetText(msg)
		if ready > 0 && (len(invalid) == 0 || skip) {
			s.Import.Enable()
		}
	})
}

// listed turns preview line numbers into list entries with one translated reason.
func (s *ImportScreen) listed(lines []int, reason string) []csvimport.LineError {
	out := make([]csvimport.LineError, len(lines))
	for i, l := range lines {
		out[i] = csvimport.LineError{Line: l, Reason: reason}
	}
	return out
}

// mappingText describes the mapping: "Mobile Phone → phone (mobile first)", one a line, then
// the ignored columns.
func (s *ImportScreen) mappingText(system string, cols []csvimport.Column) string {
	a := s.a
	var b strings.Builder
	if system != "" {
		b.WriteString(a.T("Customer ids are read as %s ids.", system) + "\n")
	}
	var ignored []string
	for _, c := range cols {
		if c.Field == "" {
			ignored = append(ignored, c.Header)
			continue
		}
		fmt.Fprintf(&b, "%d  %s → %s\n", c.Position, c.Header, a.T(c.Field))
	}
	if len(ignored) > 0 {
		b.WriteString(a.T("Ignored: %s", strings.Join(ignored, ", ")))
	}
	return strings.TrimSpace(b.String())
}

// confirm asks before the import starts, with what it will do.
func (s *ImportScreen) confirm() {
	a := s.a
	var msg string
	switch {
	case s.bikes != nil:
		msg = a.T("Add %d bike(s) and update %d (by serial)? Rows without a customer are skipped.", len(s.bikes.New), len(s.bikes.Updates))
	case s.preview != nil:
		cand := a.T("%d candidate(s) are skipped.", len(s.preview.Candidates))
		if s.AsNew.Checked {
			cand = a.T("%d candidate(s) are imported as new customers.", len(s.preview.Candidates))
		}
		msg = a.T("Add %d new customer(s) and update %d (by customer id)?", len(s.preview.New), len(s.preview.Updates)) + " " + cand
	default:
		return
	}
	s.ConfirmImport = ui.Confirm(a.W, a.T("Import?"), msg, a.T("Import"), widget.HighImportance, s.doImport)
}

// doImport writes the checked rows in one transaction, with a progress bar.
func (s *ImportScreen) doImport() {
	a := s.a
	rows, bikeRows, t := s.rows, s.bikeRows, s.target()
	bikes := s.bikes != nil
	if len(rows) == 0 && len(bikeRows) == 0 {
		return
	}
	policy := csvimport.SkipCandidates
	if s.AsNew.Checked {
		policy = csvimport.CandidatesAsNew
	}
	s.Import.Disable()
	s.Check.Disable()
	s.Status.SetText(a.T("Importing…"))
	load(a, func(ctx context.Context, ss *store.Session) (string, error) {
		if bikes {
			r, err := csvimport.ImportBikes(ctx, ss, t.ShopID, bikeRows)
			if err != nil {
				return "", err
			}
			return a.T("Imported %d bike(s); updated %d.", r.Added, r.Updated), nil
		}
		r, err := csvimport.ImportRows(ctx, ss, t, rows, policy, func(done, total int) {
			f := float64(done) / float64(total)
			a.handBack(ss, func() { s.Progress.SetValue(f) })
		})
		if err != nil {
			return "", err
		}
		return a.T("Imported %d customer(s); updated %d; skipped %d candidate(s).", r.Added, r.Updated+r.Unchanged, r.CandidatesSkipped), nil
	}, func(msg string, err error) {
		s.Check.Enable()
		s.reset()
		if err != nil {
			s.Status.SetText(a.T("Nothing was imported: %s", a.errText(err)))
			return
		}
		a.wrote()
		s.Progress.SetValue(1)
		s.Status.SetText(msg)
		a.customersChanged()
	})
}
