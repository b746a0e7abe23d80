package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Columns lays cells out side by side, each as wide as its share of Weights (a table row whose
// columns need different room); a cell beyond the weights gets a share of 1.
type Columns struct{ Weights []float32 }

// MinSize is as wide as the cells together and as high as the highest.
func (c *Columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

// Layout gives each cell its share of the width, and the whole height.
func (c *Columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var total float32
	for i := range objs {
		total += c.weight(i)
	}
	x := float32(0)
	for i, o := range objs {
		w := size.Width * c.weight(i) / total
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func (c *Columns) weight(i int) float32 {
	if i < len(c.Weights) {
		return c.Weights[i]
	}
	return 1
}

// Centered puts content in the middle of the window at a readable width.
func Centered(content fyne.CanvasObject, width float32) fyne.CanvasObject {
	return container.NewCenter(FixedWidth(width, content))
}

// FixedWidth holds content at a fixed width (and its own height).
func FixedWidth(width float32, content ...fyne.CanvasObject) *fyne.Container {
	return container.New(&fixedWidth{w: width}, content...)
}

// fixedWidth lays its objects out at a fixed width (and their own height).
type fixedWidth struct{ w float32 }

// MinSize is the fixed width and the highest object's height.
func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.w, h)
}

// Layout gives every object the whole size.
func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}
