package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Message is a wrapping label that takes no room while it has nothing to say: an error, a
// result or a notice under a form.
type Message struct {
	widget.Label
	// OnResize runs after the message appeared, changed or went (its height changed), so
	// the window can lay itself out again; nil: nothing runs.
	OnResize func()
}

// NewMessage is a hidden message in the given colour.
func NewMessage(imp widget.Importance, onResize func()) *Message {
	l := &Message{OnResize: onResize}
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	l.ExtendBaseWidget(l)
	l.Hide()
	return l
}

// SetText sets the message and shows the label only while the message is not empty.
func (l *Message) SetText(s string) {
	if s == l.Text && l.Visible() == (s != "") {
		return
	}
	l.Label.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
	if l.OnResize != nil {
		l.OnResize()
	}
}

// Set shows a message in the given colour.
func (l *Message) Set(text string, imp widget.Importance) {
	l.Importance = imp
	l.SetText(text)
	l.Refresh()
}

// SetResult shows a result in success (ok) or danger colours.
func (l *Message) SetResult(text string, ok bool) {
	imp := widget.SuccessImportance
	if !ok {
		imp = widget.DangerImportance
	}
	l.Set(text, imp)
}
