package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/compliance/docfile"
)

// SavePrompt asks where a document goes: a folder (typed, or chosen with the folder dialog)
// and a file name. Fyne's own save dialog is not used because it creates (or, after asking,
// truncates) the file before handing it over; a document of personal data must instead never
// replace a file and never appear half-written (compliance/docfile), so the prompt only
// chooses the path. Tests set Folder and Name and tap Save.
type SavePrompt struct {
	Folder *widget.Entry
	Browse *widget.Button
	Name   *widget.Entry
	Save   *widget.Button
	Cancel *widget.Button
	Error  *ui.Message
	busy   *widget.ProgressBarInfinite
	d      dialog.Dialog
}

// askSavePath shows a SavePrompt proposing name in the user's documents folder. save runs on
// the UI goroutine with the chosen path, starts its work off it, and calls done(err) on the UI
// goroutine when it is finished: nil closes the prompt, an error is shown in it.
func (a *App) askSavePath(title, name string, save func(path string, done func(error))) *SavePrompt {
	p := &SavePrompt{Folder: widget.NewEntry(), Name: widget.NewEntry(), Error: a.errorLabel(), busy: widget.NewProgressBarInfinite()}
	p.Folder.SetText(defaultSaveFolder())
	p.Name.SetText(name)
	ui.SetBusy(p.busy, false)
	p.Browse = a.button(a.T("Choose…"), theme.FolderOpenIcon(), func() {
		ui.ChooseFolder(a.W, func(dir string) { p.Folder.SetText(dir) })
	})
	p.Cancel = a.button(a.T("Cancel"), theme.CancelIcon(), func() { p.d.Hide() })
	p.Save = a.button(a.T("Save"), theme.DocumentSaveIcon(), func() {
		path, err := p.path()
		if err != nil {
			p.Error.SetText(a.docErrText(err))
			return
		}
		p.Error.SetText("")
		p.Save.Disable()
		ui.SetBusy(p.busy, true)
		save(path, func(err error) {
			p.Save.Enable()
			ui.SetBusy(p.busy, false)
			if err != nil {
				p.Error.SetText(a.docErrText(err))
				return
			}
			p.d.Hide()
		})
	})
	p.Save.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(a.T("Folder"), container.NewBorder(nil, nil, nil, p.Browse, p.Folder)),
		widget.NewFormItem(a.T("File name"), p.Name))
	box := container.NewVBox(form, p.Error, p.busy, container.NewHBox(layoutSpacer(), p.Cancel, p.Save))
	p.d = dialog.NewCustomWithoutButtons(title, container.NewGridWrap(fyne.NewSize(620, box.MinSize().Height), box), a.W)
	p.d.Show()
	return p
}

var (
	errNoFileName = errors.New("no file name")
	errBadName    = errors.New("a file name, not a path")
	errNoFolder   = errors.New("no such folder")
)

// path checks the typed folder and name: a plain name in an existing folder, no file there.
func (p *SavePrompt) path() (string, error) {
	name, dir := strings.TrimSpace(p.Name.Text), strings.TrimSpace(p.Folder.Text)
	switch {
	case name == "":
		return "", errNoFileName
	case filepath.Base(name) != name || name == "." || name == "..":
		return "", errBadName
	}
	if fi, err := os.Stat(dir); dir == "" || err != nil || !fi.IsDir() {
		return "", errNoFolder
	}
	path := filepath.Join(dir, name)
	if _, err := os.Lstat(path); err == nil {
		return "", docfile.ErrExists
	}
	return path, nil
}

// defaultSaveFolder is the user's Documents folder, else their home folder.
func defaultSaveFolder() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(home, "Documents")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Documents")
	}
	return home
}

// docErrText says what went wrong with saving a document, in the user's language.
func (a *App) docErrText(err error) string {
	switch {
	case errors.Is(err, docfile.ErrExists):
		return a.T("A file of that name already exists. Choose another name: nothing was overwritten.")
	case errors.Is(err, errNoFileName):
		return a.T("Give the file a name.")
	case errors.Is(err, errBadName):
		return a.T("Type a file name only; choose the folder above.")
	case errors.Is(err, errNoFolder):
		return a.T("That folder does not exist. Choose another.")
	case errors.Is(err, docfile.ErrWrite):
		return a.T("The file could not be written there. Choose another folder.")
	}
	return a.errText(err)
}
