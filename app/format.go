package app

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"spoke/store"
)

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "CNY": "¥", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

// money formats minor units in a currency: $1,234.50, €12.00, ¥88.00.
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	whole, cents := minor/100, minor%100
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
	}
	return sign + sym + b.String() + "." + twoDigits(cents)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

var errBadAmount = errors.New("not an amount")

// parseMoney reads "12", "12.5", "12.50" or "1,234.50" as minor units.
func parseMoney(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	for _, sym := range []string{"$", "€", "¥", "£"} {
		s = strings.TrimPrefix(s, sym)
	}
	if s == "" {
		return 0, errBadAmount
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, errBadAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole+frac, 10, 64)
	if whole == "" {
		w, err = strconv.ParseInt(frac, 10, 64)
	}
	if err != nil || w < 0 {
		return 0, errBadAmount
	}
	return w, nil
}

// parseQty reads a positive whole quantity.
func parseQty(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, errBadAmount
	}
	return n, nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02")
}

func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// shortTime is a time within the year, for narrow columns.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("01-02 15:04")
}

// statusLabel is the English (translatable) board column name of a status.
func statusLabel(s store.Status) string {
	switch s {
	case store.StatusIntake:
		return "Intake"
	case store.StatusEstimate:
		return "Estimate"
	case store.StatusApproved:
		return "Approved"
	case store.StatusInProgress:
		return "In progress"
	case store.StatusWaitingParts:
		return "Waiting for parts"
	case store.StatusReady:
		return "Ready"
	case store.StatusCollected:
		return "Collected"
	case store.StatusCancelled:
		return "Cancelled"
	}
	return string(s)
}

// paymentLabel is the English (translatable) name of a payment method.
func paymentLabel(m string) string {
	switch m {
	case "card":
		return "Card"
	case "cash":
		return "Cash"
	case "bank_transfer":
		return "Bank transfer"
	case "gift_card":
		return "Gift card"
	}
	return m
}

// boardStatuses are the board's columns: every status but cancelled.
var boardStatuses = []store.Status{store.StatusIntake, store.StatusEstimate, store.StatusApproved, store.StatusInProgress,
	store.StatusWaitingParts, store.StatusReady, store.StatusCollected}

// durationLabel names an interval: minutes, hours or days.
func (a *App) durationLabel(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		if d == 24*time.Hour {
			return a.T("1 day")
		}
		return a.T("%d days", int(d/(24*time.Hour)))
	case d%time.Hour == 0:
		if d == time.Hour {
			return a.T("1 hour")
		}
		return a.T("%d hours", int(d/time.Hour))
	}
	return a.T("%d minutes", int(d/time.Minute))
}

// seconds shows a duration as "1.2s" (no space, so a wrapped line never splits it).
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// byteSize shows a size as "812 KB" or "1.6 GB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
