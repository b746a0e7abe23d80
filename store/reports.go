package store

// Money reports per currency (issue 14). Shops keep their own currency (shops.currency), so
// every money aggregate is per currency and amounts of two currencies are never added as
// numbers. A chain-wide total in one currency is computed only with exchange rates the owner
// entered (the org setting fx.rates, with the date they hold for); a currency without a rate
// is named as missing instead of guessed.

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

const settingFXRates = "fx.rates"

// FXRates are the owner's exchange rates: one unit of each currency is Rates[cur] units of
// Base. Rates are decimal strings as entered (e.g. "1.08"); On is the day they hold for.
type FXRates struct {
	Base  string            `json:"base"`
	On    string            `json:"on"` // YYYY-MM-DD
	Rates map[string]string `json:"rates"`
	SetBy string            `json:"set_by,omitempty"`
	SetAt time.Time         `json:"set_at,omitzero"`
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// parseRate reads a positive decimal rate of at most 12 significant characters.
func parseRate(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 20 || strings.ContainsAny(s, "eE/+-") {
		return nil, errors.New("bad rate")
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return nil, errors.New("bad rate")
	}
	return r, nil
}

// ParseRates reads "EUR=1.08" pairs as the CLI takes them.
func ParseRates(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		cur, rate, ok := strings.Cut(p, "=")
		cur = strings.ToUpper(strings.TrimSpace(cur))
		if !ok || !validCurrency(cur) {
			return nil, &FieldError{"rates", "write each rate as CUR=RATE, e.g. EUR=1.08"}
		}
		if _, err := parseRate(rate); err != nil {
			return nil, &FieldError{"rates", "the rate of " + cur + " must be a positive decimal number like 1.08"}
		}
		out[cur] = strings.TrimSpace(rate)
	}
	return out, nil
}

func (r *FXRates) encode() string {
	parts := []string{"base=" + r.Base, "on=" + r.On}
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for c := range r.Rates {
			if !yield(c) {
				return
			}
		}
	}) {
		parts = append(parts, c+"="+r.Rates[c])
	}
	return strings.Join(parts, ";")
}

func decodeRates(v string) (*FXRates, error) {
	r := &FXRates{Rates: map[string]string{}}
	for _, p := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(p, "=")
		switch {
		case !ok:
			return nil, errors.New("fx.rates: malformed")
		case k == "base":
			r.Base = val
		case k == "on":
			r.On = val
		default:
			if !validCurrency(k) {
				return nil, errors.New("fx.rates: malformed")
			}
			if _, err := parseRate(val); err != nil {
				return nil, errors.New("fx.rates: malformed")
			}
			r.Rates[k] = val
		}
	}
	if !validCurrency(r.Base) {
		return nil, errors.New("fx.rates: malformed")
	}
	return r, nil
}

// SetRates replaces the owner's exchange rates (owner only; org data every device applies).
// on "" is today. Audited "rates.set" with the base, the day and the currencies (the rates
// are business figures, recorded by the setting change).
func (ss *Session) SetRates(ctx context.Context, base, on string, rates map[string]string) error {
	base = strings.ToUpper(strings.TrimSpace(base))
	var ve ValidationError
	if !validCurrency(base) {
		ve.add("base", "must be a three-letter currency code like USD")
	}
	if on == "" {
		on = ss.s.opts.Now().UTC().Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, on); err != nil {
		ve.add("on", "must be a date like 2026-12-01")
	}
	r := &FXRates{Base: base, On: on, Rates: map[string]string{}}
	for c, v := range rates {
		c = strings.ToUpper(strings.TrimSpace(c))
		if _, err := parseRate(v); !validCurrency(c) || err != nil {
			ve.add("rates", "write each rate as CUR=RATE, e.g. EUR=1.08")
			break
		}
		if c != base {
			r.Rates[c] = strings.TrimSpace(v)
		}
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	return ss.write(ctx, "rates.set", func(w *wtx) error {
		w.audit.Target = OrgScope
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		curs := slices.Sorted(func(yield func(string) bool) {
			for c := range r.Rates {
				if !yield(c) {
					return
				}
			}
		})
		w.audit.Detail = fmt.Sprintf("base=%s on=%s currencies=%s", base, on, strings.Join(curs, ","))
		return w.putSetting(ss.user.ID, settingFXRates, r.encode())
	})
}

// Rates returns the owner's exchange rates, or nil when none were entered. Business data:
// anyone who may read the statistics may read them.
func (ss *Session) Rates(ctx context.Context) (*FXRates, error) {
	if _, err := ss.require(ctx, OpStats, target{any: true}, "rates.read", ""); err != nil {
		return nil, err
	}
	return ss.s.rates(ctx)
}

func (s *Store) rates(ctx context.Context) (*FXRates, error) {
	vals, _, err := s.orgSettings(ctx, s.db)
	if err != nil {
		return nil, err
	}
	v, ok := vals[settingFXRates]
	if !ok || v == "" {
		return nil, nil
	}
	r, err := decodeRates(v)
	if err != nil {
		return nil, err
	}
	var by string
	var at int64
	if err := s.db.QueryRowContext(ctx, "SELECT set_by, set_at FROM org_settings WHERE id = ?", settingID(settingFXRates)).Scan(&by, &at); err == nil {
		r.SetBy, r.SetAt = s.username(ctx, by), time.UnixMilli(at)
	}
	return r, nil
}

// rateTo is the factor turning an amount in cur into to, through the base.
func (r *FXRates) rateTo(cur, to string) (*big.Rat, bool) {
	of := func(c string) (*big.Rat, bool) {
		if c == r.Base {
			return big.NewRat(1, 1), true
		}
		v, ok := r.Rates[c]
		if !ok {
			return nil, false
		}
		x, err := parseRate(v)
		return x, err == nil
	}
	a, ok1 := of(cur)
	b, ok2 := of(to)
	if !ok1 || !ok2 {
		return nil, false
	}
	return new(big.Rat).Quo(a, b), true
}

// Converted is a chain-wide figure in one currency, from the owner's rates.
type Converted struct {
	To       string   `json:"to"`
	RatesOn  string   `json:"rates_on,omitempty"` // the day of the rates used
	Missing  []string `json:"missing,omitempty"`  // currencies without a rate: nothing converted
	Total    int64    `json:"total"`              // minor units of To
	ByMonth  []Cell   `json:"by_month,omitempty"`
	Rounding string   `json:"rounding,omitempty"`
	Hidden   bool     `json:"hidden,omitempty"` // a part was suppressed: the total leaves it out
}

// RevenueReport is revenue per currency (minor units) by month and in total, and, when asked,
// the chain-wide figure converted with the owner's rates.
type RevenueReport struct {
	Currencies []string   `json:"currencies"`
	ByMonth    []Cell     `json:"by_month"`
	Totals     []Cell     `json:"totals"`            // Key = Currency
	Partial    []string   `json:"partial,omitempty"` // currencies whose total leaves suppressed months out (marketing)
	Converted  *Converted `json:"converted,omitempty"`
}

// RevenueReport computes revenue per currency over the sales the user's statistics grant
// covers (marketing: months and totals of fewer than MinCell sales suppressed, and a converted
// month with a suppressed part suppressed too). convertTo "" converts nothing.
func (ss *Session) RevenueReport(ctx context.Context, convertTo string) (*RevenueReport, error) {
	g, err := ss.require(ctx, OpStats, target{any: true}, "report.revenue", "")
	if err != nil {
		return nil, err
	}
	convertTo = strings.ToUpper(strings.TrimSpace(convertTo))
	if convertTo != "" && !validCurrency(convertTo) {
		return nil, &FieldError{"convert-to", "must be a three-letter currency code like USD"}
	}
	rep := &RevenueReport{}
	if rep.ByMonth, err = ss.revenueCells(ctx, g); err != nil {
		return nil, err
	}
	// The totals are the months' sums, so a suppressed month cannot be learnt as a total less
	// the months shown: a total leaves suppressed months out (Partial names its currency).
	at := map[string]int{}
	for _, c := range rep.ByMonth {
		i, ok := at[c.Currency]
		if !ok {
			i = len(rep.Totals)
			at[c.Currency] = i
			rep.Totals = append(rep.Totals, Cell{Key: c.Currency, Currency: c.Currency, Suppressed: true, Value: -1})
			rep.Currencies = append(rep.Currencies, c.Currency)
		}
		t := &rep.Totals[i]
		if c.Suppressed {
			if !slices.Contains(rep.Partial, c.Currency) {
				rep.Partial = append(rep.Partial, c.Currency)
			}
			continue
		}
		if t.Suppressed {
			t.Suppressed, t.Value = false, 0
		}
		t.Value += c.Value
	}
	slices.SortFunc(rep.Totals, func(a, b Cell) int { return strings.Compare(a.Currency, b.Currency) })
	slices.Sort(rep.Currencies)
	slices.Sort(rep.Partial)
	if convertTo != "" {
		r, err := ss.s.rates(ctx)
		if err != nil {
			return nil, err
		}
		rep.Converted = convert(r, convertTo, rep)
	}
	detail := fmt.Sprintf("grant=%s currencies=%d", g, len(rep.Currencies))
	if rep.Converted != nil {
		detail += fmt.Sprintf(" convert_to=%s missing=%d", convertTo, len(rep.Converted.Missing))
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "report.revenue", Detail: detail, Grant: g}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return rep, nil
}

func convert(r *FXRates, to string, rep *RevenueReport) *Converted {
	cv := &Converted{To: to, Rounding: "half away from zero, per month and currency"}
	if r != nil {
		cv.RatesOn = r.On
	}
	factors := map[string]*big.Rat{}
	for _, c := range rep.Currencies {
		if c == to {
			factors[c] = big.NewRat(1, 1)
			continue
		}
		if r == nil {
			cv.Missing = append(cv.Missing, c)
			continue
		}
		f, ok := r.rateTo(c, to)
		if !ok {
			cv.Missing = append(cv.Missing, c)
			continue
		}
		factors[c] = f
	}
	if r != nil && to != r.Base {
		if _, ok := r.Rates[to]; !ok {
			cv.Missing = append(cv.Missing, to)
		}
	}
	slices.Sort(cv.Missing)
	cv.Missing = slices.Compact(cv.Missing)
	if len(cv.Missing) > 0 {
		return cv // say what is missing; never guess
	}
	var months []string
	sums := map[string]int64{}
	hidden := map[string]bool{}
	for _, c := range rep.ByMonth {
		if !slices.Contains(months, c.Key) {
			months = append(months, c.Key)
		}
		if c.Suppressed {
			hidden[c.Key] = true
			continue
		}
		sums[c.Key] += roundRat(new(big.Rat).Mul(new(big.Rat).SetInt64(c.Value), factors[c.Currency]))
	}
	for _, m := range months {
		cell := Cell{Key: m, Currency: to, Value: sums[m]}
		if hidden[m] {
			cell = Cell{Key: m, Currency: to, Value: -1, Suppressed: true}
			cv.Hidden = true
		} else {
			cv.Total += cell.Value
		}
		cv.ByMonth = append(cv.ByMonth, cell)
	}
	return cv
}

// roundRat rounds half away from zero.
func roundRat(x *big.Rat) int64 {
	n, d := new(big.Int).Set(x.Num()), x.Denom()
	neg := n.Sign() < 0
	n.Abs(n)
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// salesScope is the WHERE clause (over sales s) of the sales a statistics grant covers.
func (ss *Session) salesScope(g Grant) (string, []any) {
	switch g {
	case ShopOnly:
		return "s.shop_id = ?", []any{ss.user.ShopID}
	case Own:
		return "s.customer_id IN (SELECT id FROM customers WHERE owner_id = ? AND shop_id = ?)", []any{ss.user.ID, ss.user.ShopID}
	}
	return "1 = 1", nil
}

// revenueCells sums sales per month and currency (the shop's); for marketing a cell of fewer
// than MinCell sales is suppressed.
func (ss *Session) revenueCells(ctx context.Context, g Grant) ([]Cell, error) {
	where, args := ss.salesScope(g)
	q := "SELECT strftime('%Y-%m', s.sold_at / 1000, 'unixepoch'), sh.currency, SUM(s.total), COUNT(*) FROM sales s JOIN shops sh ON sh.id = s.shop_id WHERE " + where +
		" GROUP BY 1, 2 ORDER BY 1, 2"
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("revenue: %w", err)
	}
	defer rows.Close()
	var out []Cell
	for rows.Next() {
		var c Cell
		var n int64
		if err := rows.Scan(&c.Key, &c.Currency, &c.Value, &n); err != nil {
			return nil, err
		}
		if g == AllShopsAggr && n < MinCell {
			c.Value, c.Suppressed = -1, true
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
