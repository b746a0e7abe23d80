package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
)

func (a *App) newMsgLabel(imp widget.Importance) *ui.Message {
	return ui.NewMessage(imp, a.relayout)
}

// errorLabel is a label for error messages (red, wrapping, hidden until used).
func (a *App) errorLabel() *ui.Message { return a.newMsgLabel(widget.DangerImportance) }

// relayout re-runs every layout of the window after content changed size.
func (a *App) relayout() {
	if c := a.W.Content(); c != nil {
		c.Refresh()
	}
}

// button is a widget.Button that also counts as activity for the idle lock.
func (a *App) button(label string, icon fyne.Resource, fn func()) *widget.Button {
	return widget.NewButtonWithIcon(label, icon, func() { a.touch(); fn() })
}
