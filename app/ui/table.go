package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// RowSpec is the shape of a table's rows: a number of truncating text cells, then any extra
// widgets (a button per row), in weighted columns.
type RowSpec struct {
	// Weights are the columns' shares of the width (see Columns); nil lays the row out as a
	// grid of equal columns.
	Weights []float32
	// Labels is how many text cells a row starts with.
	Labels int
	// BoldFirst sets the first cell in bold (the row's name).
	BoldFirst bool
	// Extra makes the widgets after the text cells, once per row template (nil: none).
	Extra func() []fyne.CanvasObject
}

// Row is one row of a table made by NewList.
type Row struct{ c *fyne.Container }

// Label is text cell i.
func (r Row) Label(i int) *widget.Label { return r.c.Objects[i].(*widget.Label) }

// SetTexts sets the first len(texts) text cells.
func (r Row) SetTexts(texts ...string) {
	for i, t := range texts {
		r.Label(i).SetText(t)
	}
}

// Cell is the i-th object of the row, counting text cells first, then the extra widgets.
func (r Row) Cell(i int) fyne.CanvasObject { return r.c.Objects[i] }

// NewRow makes one row of spec's shape (NewList makes them itself; headers and tests use it).
func NewRow(spec RowSpec) Row {
	cells := make([]fyne.CanvasObject, spec.Labels, spec.Labels+1)
	for i := range cells {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		cells[i] = l
	}
	if spec.BoldFirst && spec.Labels > 0 {
		cells[0].(*widget.Label).TextStyle.Bold = true
	}
	if spec.Extra != nil {
		cells = append(cells, spec.Extra()...)
	}
	return Row{c: layRow(spec.Weights, cells)}
}

// NewList is a list of length() rows of spec's shape; update fills row i.
func NewList(length func() int, spec RowSpec, update func(i widget.ListItemID, r Row)) *widget.List {
	return widget.NewList(length, func() fyne.CanvasObject { return NewRow(spec).c },
		func(i widget.ListItemID, o fyne.CanvasObject) { update(i, Row{c: o.(*fyne.Container)}) })
}

// Header is a table's bold column titles, laid out as its rows are (an empty title leaves
// the column blank, e.g. above a button).
func Header(weights []float32, titles ...string) *fyne.Container {
	cells := make([]fyne.CanvasObject, len(titles))
	for i, t := range titles {
		if t == "" {
			cells[i] = widget.NewLabel("")
		} else {
			cells[i] = Bold(t)
		}
	}
	return layRow(weights, cells)
}

func layRow(weights []float32, cells []fyne.CanvasObject) *fyne.Container {
	if weights == nil {
		return container.NewGridWithColumns(len(cells), cells...)
	}
	return container.New(&Columns{Weights: weights}, cells...)
}
