package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestMessageTakesNoRoomWhileEmpty(t *testing.T) {
	test.NewTempApp(t)
	resized := 0
	m := NewMessage(widget.DangerImportance, func() { resized++ })
	w := test.NewTempWindow(t, container.NewVBox(m))
	if m.Visible() {
		t.Fatal("a new message is shown")
	}
	m.SetText("Name: required")
	if !m.Visible() || m.Text != "Name: required" || resized != 1 {
		t.Fatalf("after SetText: visible %v, text %q, resized %d", m.Visible(), m.Text, resized)
	}
	m.SetText("Name: required") // unchanged: no relayout
	if resized != 1 {
		t.Fatalf("an unchanged message laid the window out again (%d)", resized)
	}
	m.SetResult("Saved.", true)
	if m.Importance != widget.SuccessImportance || m.Text != "Saved." {
		t.Fatalf("SetResult(ok): %v %q", m.Importance, m.Text)
	}
	m.SetResult("Failed.", false)
	if m.Importance != widget.DangerImportance {
		t.Fatalf("SetResult(!ok): %v", m.Importance)
	}
	m.Set("Working…", widget.MediumImportance)
	if m.Importance != widget.MediumImportance || m.Text != "Working…" {
		t.Fatalf("Set: %v %q", m.Importance, m.Text)
	}
	m.SetText("")
	if m.Visible() {
		t.Fatal("an emptied message is still shown")
	}
	_ = w
	NewMessage(widget.MediumImportance, nil).SetText("no callback") // must not panic
}

func TestBusy(t *testing.T) {
	test.NewTempApp(t)
	b := NewBusy()
	if b.Visible() || b.Running() {
		t.Fatal("a new busy indicator shows or runs")
	}
	SetBusy(b, true)
	if !b.Visible() || !b.Running() {
		t.Fatal("SetBusy(true) did not show and start it")
	}
	SetBusy(b, false)
	if b.Visible() || b.Running() {
		t.Fatal("SetBusy(false) did not hide and stop it")
	}
}

func TestListRows(t *testing.T) {
	test.NewTempApp(t)
	data := [][]string{{"Full", "12-01 10:00", "passed"}, {"Incremental", "12-01 11:00", "not run"}}
	var tapped []int
	spec := RowSpec{Weights: []float32{1, 2, 1}, Labels: 3, BoldFirst: true, Extra: func() []fyne.CanvasObject {
		return []fyne.CanvasObject{widget.NewButton("Open", nil)}
	}}
	l := NewList(func() int { return len(data) }, spec, func(i widget.ListItemID, r Row) {
		r.SetTexts(data[i]...)
		r.Cell(3).(*widget.Button).OnTapped = func() { tapped = append(tapped, i) }
	})
	w := test.NewTempWindow(t, l)
	w.Resize(fyne.NewSize(400, 200))

	rows := visibleRows(l)
	if len(rows) != 2 {
		t.Fatalf("%d rows shown, want 2", len(rows))
	}
	for i, r := range rows {
		for j, want := range data[i] {
			if got := r.Label(j).Text; got != want {
				t.Errorf("row %d cell %d = %q, want %q", i, j, got, want)
			}
		}
		if !r.Label(0).TextStyle.Bold || r.Label(1).TextStyle.Bold {
			t.Errorf("row %d: only the first cell should be bold", i)
		}
		if r.Label(1).Truncation != fyne.TextTruncateEllipsis {
			t.Errorf("row %d: cells should truncate", i)
		}
		test.Tap(r.Cell(3).(*widget.Button))
	}
	if len(tapped) != 2 || tapped[0] != 0 || tapped[1] != 1 {
		t.Fatalf("row buttons tapped %v, want [0 1]", tapped)
	}

	// The weighted columns: the second is twice as wide as the first, the button gets a share of 1.
	r := rows[0]
	w0, w1, w3 := r.Cell(0).Size().Width, r.Cell(1).Size().Width, r.Cell(3).Size().Width
	if w0 <= 0 || !near(w1, 2*w0) || !near(w3, w0) {
		t.Fatalf("column widths %v %v %v, want 1:2:1", w0, w1, w3)
	}
}

func TestHeaderAndEqualGrid(t *testing.T) {
	test.NewTempApp(t)
	h := Header(nil, "Username", "Role", "")
	if len(h.Objects) != 3 {
		t.Fatalf("%d header cells", len(h.Objects))
	}
	if l := h.Objects[0].(*widget.Label); l.Text != "Username" || !l.TextStyle.Bold {
		t.Fatalf("header cell 0: %q bold %v", l.Text, l.TextStyle.Bold)
	}
	if l := h.Objects[2].(*widget.Label); l.Text != "" {
		t.Fatalf("blank header cell: %q", l.Text)
	}
	r := NewRow(RowSpec{Labels: 3})
	w := test.NewTempWindow(t, container.NewVBox(h, r.c))
	w.Resize(fyne.NewSize(300, 100))
	if a, b := r.Cell(0).Size().Width, r.Cell(2).Size().Width; a <= 0 || !near(a, b) {
		t.Fatalf("equal grid columns %v and %v", a, b)
	}
	if r.Label(0).TextStyle.Bold {
		t.Fatal("BoldFirst unset, but the first cell is bold")
	}
}

func TestCenteredAndFixedWidth(t *testing.T) {
	test.NewTempApp(t)
	l := Note("a long explanation that wraps at the width it is given")
	c := Centered(l, 200)
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(800, 400))
	if got := l.Size().Width; !near(got, 200) {
		t.Fatalf("centred content is %v wide, want 200", got)
	}
	if got := FixedWidth(120, widget.NewLabel("x")).MinSize().Width; got != 120 {
		t.Fatalf("FixedWidth min width %v", got)
	}
}

func TestLabels(t *testing.T) {
	test.NewTempApp(t)
	if h := Heading("Backups"); !h.TextStyle.Bold || h.Text != "Backups" {
		t.Fatal("Heading is not a bold label")
	}
	if n := Note("x"); n.Wrapping != fyne.TextWrapWord {
		t.Fatal("Note does not wrap")
	}
	if n := WrapLabel(); n.Wrapping != fyne.TextWrapWord || n.Text != "" {
		t.Fatal("WrapLabel is not an empty wrapping label")
	}
}

func TestConfirm(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(600, 400))
	for _, ok := range []bool{true, false} {
		ran := false
		d := Confirm(w, "Revoke this device?", "It is refused from now on.", "Revoke", widget.DangerImportance, func() { ran = true })
		if ok {
			d.Confirm()
		} else {
			d.Hide()
		}
		if ran != ok {
			t.Fatalf("confirmed %v, onOK ran %v", ok, ran)
		}
	}
}

func near(a, b float32) bool { return a-b < 1 && b-a < 1 }

// visibleRows finds the rows a list has rendered.
func visibleRows(l *widget.List) []Row {
	var rows []Row
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if c, ok := o.(*fyne.Container); ok {
			if _, ok := c.Layout.(*Columns); ok {
				rows = append(rows, Row{c: c})
				return
			}
			for _, ch := range c.Objects {
				walk(ch)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, ch := range test.WidgetRenderer(w).Objects() {
				walk(ch)
			}
		}
	}
	walk(l)
	return rows
}
