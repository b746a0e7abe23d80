package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Confirm shows a question whose confirm button says confirm in the given colour; onOK runs
// only when it is tapped. The dialog is returned so a test can confirm it.
func Confirm(w fyne.Window, title, message, confirm string, imp widget.Importance, onOK func()) *dialog.ConfirmDialog {
	d := dialog.NewConfirm(title, message, func(ok bool) {
		if ok {
			onOK()
		}
	}, w)
	d.SetConfirmText(confirm)
	d.SetConfirmImportance(imp)
	d.Show()
	return d
}

// ChooseFolder shows Fyne's folder picker and hands back the chosen path.
func ChooseFolder(w fyne.Window, done func(string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			done(u.Path())
		}
	}, w)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}
