package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// centered puts content in the middle of the window at a readable width.
func centered(content fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.NewCenter(container.New(&fixedWidth{w: width}, content))
}

// fixedWidth lays its objects out at a fixed width (and their own height).
type fixedWidth struct{ w float32 }

func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.w, h)
}

func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// heading is a bold, larger label.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// msgLabel is a wrapping label that takes no room while it has nothing to say.
type msgLabel struct {
	widget.Label
	a *App
}

// SetText sets the message and shows the label only while the message is not empty; the
// window is laid out again, since the label's height changed.
func (l *msgLabel) SetText(s string) {
	if s == l.Text && l.Visible() == (s != "") {
		return
	}
	l.Label.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
	if l.a != nil {
		l.a.relayout()
	}
}

func (a *App) newMsgLabel(imp widget.Importance) *msgLabel {
	l := &msgLabel{a: a}
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	l.ExtendBaseWidget(l)
	l.Hide()
	return l
}

// errorLabel is a label for error messages (red, wrapping, hidden until used).
func (a *App) errorLabel() *msgLabel { return a.newMsgLabel(widget.DangerImportance) }

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

func newBusy() *widget.ProgressBarInfinite {
	b := widget.NewProgressBarInfinite()
	b.Stop()
	b.Hide()
	return b
}

func busy(b *widget.ProgressBarInfinite, on bool) {
	if on {
		b.Show()
		b.Start()
	} else {
		b.Stop()
		b.Hide()
	}
}

// note is a wrapping explanation (a card's subtitle would not wrap, and would widen the window).
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func wrapLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	return l
}

// setResult shows a result line in success or danger colours.
func setResult(l *msgLabel, text string, ok bool) {
	imp := widget.SuccessImportance
	if !ok {
		imp = widget.DangerImportance
	}
	setMessage(l, text, imp)
}

// setMessage shows a message in the given colour.
func setMessage(l *msgLabel, text string, imp widget.Importance) {
	l.Importance = imp
	l.SetText(text)
	l.Refresh()
}

// chooseFolder shows Fyne's folder picker and hands back the chosen path.
func chooseFolder(a *App, done func(string)) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err == nil && u != nil {
			done(u.Path())
		}
	}, a.W)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}
