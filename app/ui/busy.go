package ui

import "fyne.io/fyne/v2/widget"

// NewBusy is a busy indicator, hidden and still until SetBusy turns it on.
func NewBusy() *widget.ProgressBarInfinite {
	b := widget.NewProgressBarInfinite()
	b.Stop()
	b.Hide()
	return b
}

// SetBusy shows and runs the indicator (on), or stops and hides it.
func SetBusy(b *widget.ProgressBarInfinite, on bool) {
	if on {
		b.Show()
		b.Start()
	} else {
		b.Stop()
		b.Hide()
	}
}
