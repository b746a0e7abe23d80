package app

import (
	"context"
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/app/ui"
	"spoke/store"
)

// DashboardScreen shows the aggregates the user's grant covers as charts. Marketing sees every
// shop with groups under store.MinCell suppressed (drawn as hatched "<5" bars). Money is shown
// per currency, one revenue chart each, never added across currencies; a chain-wide total in
// one currency (Converted) only with the owner's exchange rates.
type DashboardScreen struct {
	a    *App
	root fyne.CanvasObject

	Revenue      map[string]*BarChart // by currency
	Converted    *widget.Label        // the chain-wide total with the owner's rates, or which rate is missing
	Rates        *widget.Button       // owner: enter the exchange rates
	RatesForm    *RatesForm
	charts       *fyne.Container
	relayout     func()
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
	s := &DashboardScreen{a: a, Error: a.errorLabel(), Revenue: map[string]*BarChart{}}
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
	}
	if s.Note.Text == "" {
		s.Note.Hide()
	}
	s.Converted = widget.NewLabel("")
	s.Converted.Wrapping = fyne.TextWrapWord
	s.Converted.Hide()
	if a.can(store.OpUsers) {
		s.Rates = a.button(a.T("Exchange rates…"), theme.SettingsIcon(), s.showRates)
		s.Rates.Hide()
	}
	kpis := container.NewGridWithColumns(3, card(a.T("Customers"), s.Customers), card(a.T("Open work orders"), s.OpenJobs), card(a.T("Revenue this month"), s.ThisMonth))
	s.charts = container.NewGridWithColumns(2, s.WorkOrders, s.NewCustomers, s.Turnaround)
	conv := container.NewBorder(nil, nil, nil, nil, s.Converted)
	if s.Rates != nil {
		conv = container.NewBorder(nil, nil, nil, s.Rates, s.Converted)
	}
	s.root = container.NewBorder(container.NewVBox(s.Error, kpis, s.Note, conv), nil, nil, nil, container.NewVScroll(s.charts))
	s.relayout = func() { s.root.(*fyne.Container).Refresh() }
	return s
}

// Refresh reloads the statistics.
func (s *DashboardScreen) Refresh() {
	a := s.a
	load(a, func(ctx context.Context, ss *store.Session) (dashData, error) {
		st, err := ss.Stats(ctx)
		if err != nil || len(st.Currencies) < 2 || a.user.ShopID != "" {
			return dashData{stats: st}, err
		}
		// Several currencies: a chain-wide total only in the owner's base, with their rates.
		r, err := ss.Rates(ctx)
		if err != nil {
			return dashData{}, err
		}
		d := dashData{stats: st, rates: r}
		if r != nil {
			if d.report, err = ss.RevenueReport(ctx, r.Base); err != nil {
				return dashData{}, err
			}
		}
		return d, nil
	}, func(d dashData, err error) {
		if err != nil {
			s.Error.SetText(a.errText(err))
			return
		}
		s.show(d.stats)
		s.showConverted(d)
	})
}

type dashData struct {
	stats  *store.Stats
	rates  *store.FXRates
	report *store.RevenueReport
}

// showConverted shows the chain-wide total in the rates' base, or what is missing for it.
func (s *DashboardScreen) showConverted(d dashData) {
	a := s.a
	if d.stats == nil || len(d.stats.Currencies) < 2 || a.user.ShopID != "" {
		s.Converted.Hide()
		if s.Rates != nil {
			s.Rates.Hide()
		}
		s.relayout()
		return
	}
	if s.Rates != nil {
		s.Rates.Show()
	}
	s.Converted.Show()
	switch {
	case d.rates == nil || d.report == nil || d.report.Converted == nil:
		s.Converted.SetText(a.T("Amounts are shown per currency and never added. A chain-wide total needs the owner's exchange rates."))
	case len(d.report.Converted.Missing) > 0:
		s.Converted.SetText(a.T("No chain-wide total in %s: the rate of %s is missing.", d.report.Converted.To, strings.Join(d.report.Converted.Missing, ", ")))
	default:
		cv := d.report.Converted
		text := a.T("All shops, converted to %s: %s (rates of %s, entered by %s).", cv.To, money(cv.Total, cv.To), cv.RatesOn, d.rates.SetBy)
		if cv.Hidden {
			text += " " + a.T("Months with small groups are left out.")
		}
		s.Converted.SetText(text)
	}
	s.relayout()
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
	byCur := map[string][]store.Cell{}
	for _, c := range st.RevenueByMonth {
		byCur[c.Currency] = append(byCur[c.Currency], c)
	}
	objs := []fyne.CanvasObject{}
	for _, cur := range st.Currencies {
		ch := s.Revenue[cur]
		if ch == nil {
			title := a.T("Revenue by month")
			if len(st.Currencies) > 1 {
				title = a.T("Revenue by month (%s)", cur)
			}
			ch = NewBarChart(title, chartPalette[0], currencyFormat(cur))
			s.Revenue[cur] = ch
		}
		ch.SetBars(bars(lastN(byCur[cur], 12), month))
		objs = append(objs, ch)
	}
	if len(objs) == 0 {
		cur := a.userShop().Currency
		ch := s.Revenue[cur]
		if ch == nil {
			ch = NewBarChart(a.T("Revenue by month"), chartPalette[0], currencyFormat(cur))
			s.Revenue[cur] = ch
		}
		objs = append(objs, ch)
	}
	s.charts.Objects = append(objs, s.WorkOrders, s.NewCustomers, s.Turnaround)
	s.charts.Refresh()
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
	// This month's revenue (the newest month with sales), per currency.
	newest := ""
	for _, c := range st.RevenueByMonth {
		newest = max(newest, c.Key)
	}
	var parts []string
	for _, cur := range st.Currencies {
		cells := byCur[cur]
		c := cells[len(cells)-1]
		if c.Key != newest {
			continue
		}
		if c.Suppressed {
			parts = append(parts, "<"+strconv.Itoa(store.MinCell))
		} else {
			parts = append(parts, currencyFormat(cur)(c.Value))
		}
	}
	if len(parts) == 0 {
		s.ThisMonth.SetText("–")
	} else {
		s.ThisMonth.SetText(strings.Join(parts, " · "))
	}
}

// currencyFormat writes compact amounts of minor units in a currency: $1.2k, €800.
func currencyFormat(cur string) func(int64) string {
	sym, ok := currencySymbols[cur]
	if !ok {
		sym = cur + " "
	}
	return func(v int64) string { return sym + compact(v/100) }
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
