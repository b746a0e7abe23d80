package app

import (
	"context"
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// DashboardScreen shows the aggregates the user's grant covers as charts. Marketing sees every
// shop with groups under store.MinCell suppressed (drawn as hatched "<5" bars).
type DashboardScreen struct {
	a    *App
	root fyne.CanvasObject

	Revenue      *BarChart
	WorkOrders   *BarChart
	NewCustomers *BarChart
	Turnaround   *BarChart
	Customers    *widget.Label
	OpenJobs     *widget.Label
	ThisMonth    *widget.Label
	Note         *widget.Label
	Error        *ui.Message
	Stats        *store.Stats
}

func newDashboardScreen(a *App) *DashboardScreen {
	s := &DashboardScreen{a: a, Error: a.errorLabel()}
	cur := a.userShop().Currency
	if a.user.ShopID == "" && len(a.shops) > 1 {
		cur = "" // several currencies: amounts are shown as plain numbers
	}
	s.Revenue = NewBarChart(a.T("Revenue by month"), chartPalette[0], func(v int64) string {
		if cur == "" {
			return compact(v / 100)
		}
		return currencySymbols[cur] + compact(v/100)
	})
	s.WorkOrders = NewBarChart(a.T("Open work orders by status"), chartPalette[1], func(v int64) string { return strconv.FormatInt(v, 10) })
	s.NewCustomers = NewBarChart(a.T("New customers per month"), chartPalette[2], func(v int64) string { return strconv.FormatInt(v, 10) })
	s.Turnaround = NewBarChart(a.T("Average turnaround (days from intake to collection)"), chartPalette[3], func(v int64) string {
		return strconv.FormatFloat(float64(v)/24, 'f', 1, 64)
	})
	kpi := func() *widget.Label {
		l := widget.NewLabelWithStyle("–", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		l.SizeName = theme.SizeNameHeadingText
		return l
	}
	s.Customers, s.OpenJobs, s.ThisMonth = kpi(), kpi(), kpi()
	card := func(title string, l *widget.Label) fyne.CanvasObject {
		t := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{})
		return widget.NewCard("", "", container.NewVBox(l, t))
	}
	s.Note = widget.NewLabel("")
	s.Note.Wrapping = fyne.TextWrapWord
	if a.has(store.RoleMarketing) {
		s.Note.SetText(a.T("Aggregates of every shop. Groups of fewer than %d customers are hidden (shown as <%d) so no figure points at a person.", store.MinCell, store.MinCell))
	} else if cur == "" {
		s.Note.SetText(a.T("Amounts of shops with different currencies are added as plain numbers."))
	}
	kpis := container.NewGridWithColumns(3, card(a.T("Customers"), s.Customers), card(a.T("Open work orders"), s.OpenJobs), card(a.T("Revenue this month"), s.ThisMonth))
	charts := container.NewGridWithColumns(2, s.Revenue, s.WorkOrders, s.NewCustomers, s.Turnaround)
	s.root = container.NewBorder(container.NewVBox(s.Error, kpis, s.Note), nil, nil, nil, charts)
	return s
}

// Refresh reloads the statistics.
func (s *DashboardScreen) Refresh() {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (*store.Stats, error) { return ss.Stats(ctx) }, func(st *store.Stats, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.show(st)
	})
}

func lastN(cells []store.Cell, n int) []store.Cell {
	if len(cells) > n {
		return cells[len(cells)-n:]
	}
	return cells
}

func (s *DashboardScreen) show(st *store.Stats) {
	a := s.a
	s.Stats = st
	bars := func(cells []store.Cell, label func(string) string) []Bar {
		out := make([]Bar, 0, len(cells))
		for _, c := range cells {
			out = append(out, Bar{Label: label(c.Key), Value: c.Value, Suppressed: c.Suppressed})
		}
		return out
	}
	month := func(k string) string {
		if len(k) == 7 {
			return k[2:4] + "/" + k[5:]
		}
		return k
	}
	s.Revenue.SetBars(bars(lastN(st.RevenueByMonth, 12), month))
	s.NewCustomers.SetBars(bars(lastN(st.NewCustomers, 12), month))
	s.Turnaround.SetBars(bars(lastN(st.AvgTurnaroundH, 12), month))
	byStatus := map[string]store.Cell{}
	for _, c := range st.WorkOrdersStatus {
		byStatus[c.Key] = c
	}
	var wo []store.Cell
	open := int64(0)
	openHidden := false
	for _, stt := range store.Statuses {
		c, ok := byStatus[string(stt)]
		if !ok {
			c = store.Cell{Key: string(stt)}
		}
		if stt != store.StatusCollected && stt != store.StatusCancelled {
			wo = append(wo, c)
			if c.Suppressed {
				openHidden = true
			} else {
				open += c.Value
			}
		}
	}
	s.WorkOrders.SetBars(bars(wo, func(k string) string { return a.T(statusLabel(store.Status(k))) }))
	total, hidden := int64(0), false
	for _, c := range st.CustomersByShop {
		if c.Suppressed {
			hidden = true
		} else {
			total += c.Value
		}
	}
	s.Customers.SetText(withHidden(total, hidden))
	s.OpenJobs.SetText(withHidden(open, openHidden))
	if n := len(st.RevenueByMonth); n > 0 {
		c := st.RevenueByMonth[n-1]
		if c.Suppressed {
			s.ThisMonth.SetText("<" + strconv.Itoa(store.MinCell))
		} else {
			s.ThisMonth.SetText(s.Revenue.format(c.Value))
		}
	}
}

func withHidden(n int64, hidden bool) string {
	s := strconv.FormatInt(n, 10)
	if hidden {
		s += "+"
	}
	return s
}

// compact writes 1234567 as 1.2M and 12345 as 12.3k.
func compact(v int64) string {
	switch {
	case v >= 1_000_000:
		return strconv.FormatFloat(float64(v)/1e6, 'f', 1, 64) + "M"
	case v >= 10_000:
		return strconv.FormatFloat(float64(v)/1e3, 'f', 0, 64) + "k"
	case v >= 1000:
		return strconv.FormatFloat(float64(v)/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatInt(v, 10)
}

// Bar is one bar of a chart.
type Bar struct {
	Label      string
	Value      int64
	Suppressed bool
}

// BarChart is a titled vertical bar chart with value labels, drawn with canvas primitives.
type BarChart struct {
	widget.BaseWidget
	Title  string
	Bars   []Bar
	colour color.NRGBA
	format func(int64) string
}

// NewBarChart makes an empty chart.
func NewBarChart(title string, c color.NRGBA, format func(int64) string) *BarChart {
	b := &BarChart{Title: title, colour: c, format: format}
	b.ExtendBaseWidget(b)
	return b
}

// SetBars replaces the data.
func (b *BarChart) SetBars(bars []Bar) {
	b.Bars = bars
	b.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (b *BarChart) CreateRenderer() fyne.WidgetRenderer {
	r := &barRenderer{chart: b, title: canvas.NewText(b.Title, theme.Color(theme.ColorNameForeground)),
		bg: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)), axis: canvas.NewLine(theme.Color(theme.ColorNameSeparator))}
	r.title.TextStyle.Bold = true
	r.bg.CornerRadius = theme.InputRadiusSize()
	r.rebuild()
	return r
}

type barRenderer struct {
	chart  *BarChart
	title  *canvas.Text
	bg     *canvas.Rectangle
	axis   *canvas.Line
	bars   []*canvas.Rectangle
	values []*canvas.Text
	labels []*canvas.Text
	empty  *canvas.Text
}

func (r *barRenderer) rebuild() {
	fg := theme.Color(theme.ColorNameForeground)
	muted := theme.Color(theme.ColorNamePlaceHolder)
	r.bars, r.values, r.labels = nil, nil, nil
	for _, bar := range r.chart.Bars {
		c := r.chart.colour
		text := r.chart.format(bar.Value)
		if bar.Suppressed {
			c = color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0x80}
			text = "<" + strconv.Itoa(store.MinCell)
		}
		rect := canvas.NewRectangle(c)
		rect.CornerRadius = 3
		v := canvas.NewText(text, fg)
		v.TextSize = theme.CaptionTextSize()
		v.Alignment = fyne.TextAlignCenter
		l := canvas.NewText(bar.Label, muted)
		l.TextSize = theme.CaptionTextSize()
		l.Alignment = fyne.TextAlignCenter
		r.bars, r.values, r.labels = append(r.bars, rect), append(r.values, v), append(r.labels, l)
	}
	r.empty = nil
	if len(r.chart.Bars) == 0 {
		r.empty = canvas.NewText("–", muted)
	}
}

func (r *barRenderer) Layout(size fyne.Size) {
	p := theme.Padding() * 2
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	r.title.Move(fyne.NewPos(p, p/2))
	r.title.Resize(fyne.NewSize(size.Width-2*p, r.title.MinSize().Height))
	top := p/2 + r.title.MinSize().Height + theme.CaptionTextSize() + p/2
	labelH := theme.CaptionTextSize() + 6
	bottom := size.Height - p/2 - labelH
	r.axis.Position1 = fyne.NewPos(p, bottom)
	r.axis.Position2 = fyne.NewPos(size.Width-p, bottom)
	if r.empty != nil {
		r.empty.Move(fyne.NewPos(size.Width/2, (top+bottom)/2))
		return
	}
	n := len(r.bars)
	maxV := int64(1)
	for _, b := range r.chart.Bars {
		maxV = max(maxV, b.Value)
	}
	slot := (size.Width - 2*p) / float32(n)
	w := slot * 0.7
	for i, rect := range r.bars {
		b := r.chart.Bars[i]
		h := float32(0)
		if b.Suppressed {
			h = (bottom - top) * 0.08
		} else if b.Value > 0 {
			h = max(2, (bottom-top)*float32(b.Value)/float32(maxV))
		}
		x := p + slot*float32(i) + (slot-w)/2
		rect.Resize(fyne.NewSize(w, h))
		rect.Move(fyne.NewPos(x, bottom-h))
		v := r.values[i]
		v.Resize(fyne.NewSize(slot, v.MinSize().Height))
		v.Move(fyne.NewPos(p+slot*float32(i), bottom-h-v.MinSize().Height))
		l := r.labels[i]
		l.Resize(fyne.NewSize(slot, labelH))
		l.Move(fyne.NewPos(p+slot*float32(i), bottom+2))
	}
}

func (r *barRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 200) }

func (r *barRenderer) Refresh() {
	r.title.Text = r.chart.Title
	r.title.Color = theme.Color(theme.ColorNameForeground)
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.axis.StrokeColor = theme.Color(theme.ColorNameSeparator)
	r.rebuild()
	r.Layout(r.chart.Size())
	canvas.Refresh(r.chart)
}

func (r *barRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.title, r.axis}
	for i := range r.bars {
		objs = append(objs, r.bars[i], r.values[i], r.labels[i])
	}
	if r.empty != nil {
		objs = append(objs, r.empty)
	}
	return objs
}

func (r *barRenderer) Destroy() {}

// canvasRect is a rectangle in a theme colour with the given alpha (for banners and backdrops).
func canvasRect(name fyne.ThemeColorName, alpha uint8) *canvas.Rectangle {
	r, g, b, _ := theme.Color(name).RGBA()
	rect := canvas.NewRectangle(color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: alpha})
	rect.CornerRadius = theme.InputRadiusSize()
	return rect
}

func canvasRectColor(c color.NRGBA, alpha uint8) *canvas.Rectangle {
	c.A = alpha
	rect := canvas.NewRectangle(c)
	rect.CornerRadius = theme.InputRadiusSize()
	return rect
}
