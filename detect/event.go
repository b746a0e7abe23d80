package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is one audit entry, as `spoke audit --json` prints it. Only At, UserID and Action are
// required; Role, ShopID and Grant are what the store records of the user and the grant that
// allowed the action when the entry was written.
type Event struct {
	Seq      int64     `json:"seq,omitempty"`
	At       time.Time `json:"at"`
	UserID   string    `json:"user_id"`
	Username string    `json:"username,omitempty"`
	DeviceID string    `json:"device_id,omitempty"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	Outcome  string    `json:"outcome,omitempty"` // ok (or empty), denied, refused, failed, held
	Detail   string    `json:"detail,omitempty"`
	Role     string    `json:"role,omitempty"`
	ShopID   string    `json:"shop_id,omitempty"`
	Grant    string    `json:"grant,omitempty"` // own, shop, all, break-glass, assigned, request...
}

// UnknownUser is the user id the store records for a sign-in under a username that does not
// exist.
const UnknownUser = "unknown"

// wireEvent is the JSON line; at is a string so a bad time gets its own message.
type wireEvent struct {
	Seq      int64  `json:"seq"`
	At       string `json:"at"`
	UserID   string `json:"user_id"`
	Username string `json:"username"`
	DeviceID string `json:"device_id"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
	Role     string `json:"role"`
	ShopID   string `json:"shop_id"`
	Grant    string `json:"grant"`
}

// Decoder parses event lines. It shares the strings that repeat from line to line (ids,
// actions, roles), so a million events do not hold a million copies of each; the zero value
// is ready to use.
type Decoder struct {
	strs map[string]string
}

// Errors of Decode; the line's message wraps one of them.
var (
	ErrBadEvent = errors.New("not an audit event")
)

// Decode parses one JSON line. Fields it does not know (fields, reason, ...) are ignored; an
// action it does not know is returned as it is (Observe ignores it). The error names the field
// that is missing or malformed, never a value.
func (d *Decoder) Decode(line []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(line, &w); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Event{}, fmt.Errorf("%w: malformed JSON at byte %d", ErrBadEvent, se.Offset)
		case errors.As(err, &te):
			return Event{}, fmt.Errorf("%w: field %q has the wrong type (%s)", ErrBadEvent, te.Field, te.Value)
		}
		return Event{}, fmt.Errorf("%w: malformed JSON", ErrBadEvent)
	}
	switch {
	case w.At == "":
		return Event{}, fmt.Errorf("%w: no \"at\"", ErrBadEvent)
	case w.UserID == "":
		return Event{}, fmt.Errorf("%w: no \"user_id\"", ErrBadEvent)
	case w.Action == "":
		return Event{}, fmt.Errorf("%w: no \"action\"", ErrBadEvent)
	}
	at, err := time.Parse(time.RFC3339Nano, w.At)
	if err != nil {
		return Event{}, fmt.Errorf("%w: \"at\" is not an RFC 3339 time (like 2026-03-14T09:30:00+01:00)", ErrBadEvent)
	}
	if y := at.Year(); y < 1970 || y > 9999 {
		return Event{}, fmt.Errorf("%w: \"at\" is out of range", ErrBadEvent)
	}
	if w.Outcome == "" {
		w.Outcome = "ok"
	}
	return Event{
		Seq: w.Seq, At: at,
		UserID: d.intern(w.UserID), Username: d.intern(w.Username), DeviceID: d.intern(w.DeviceID),
		Action: d.intern(w.Action), Target: w.Target, Outcome: d.intern(w.Outcome), Detail: w.Detail,
		Role: d.intern(w.Role), ShopID: d.intern(w.ShopID), Grant: d.intern(w.Grant),
	}, nil
}

// intern returns the shared copy of s. The table stops growing at a bound so a hostile file
// of unique ids cannot make it the whole file twice.
func (d *Decoder) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := d.strs[s]; ok {
		return v
	}
	if d.strs == nil {
		d.strs = map[string]string{}
	}
	if len(d.strs) < 1<<16 {
		d.strs[s] = s
	}
	return s
}

// ParseEvent parses one JSON line (see Decoder.Decode).
func ParseEvent(line []byte) (Event, error) {
	var d Decoder
	return d.Decode(line)
}

// class is what the detector makes of an action.
type class uint8

const (
	cUnknown class = iota
	cSignIn
	cSignOut
	cIndex
	cRead
	cBreakGlass
	cLookup
	cLookupOther
	cCreate
	cUpdate
	cDelete
	cImport
	cExport
	cWorkOrder
	cSale
	cBike
	cStats
	cAudit
	cAdmin
	cSend // messages to customers: reminders, campaigns, recall notices
)

var classes = map[string]class{
	"auth.sign_in":              cSignIn,
	"auth.sign_out":             cSignOut,
	"customer.index":            cIndex,
	"customer.read":             cRead,
	"customer.read.break_glass": cBreakGlass,
	"customer.lookup":           cLookup,
	"customer.lookup_other":     cLookupOther,
	"customer.create":           cCreate,
	"customer.update":           cUpdate,
	"customer.delete":           cDelete,
	"customer.import":           cImport,
	"customer.export":           cExport,
	"stats.read":                cStats,
	"audit.read":                cAudit,
	"user.create":               cAdmin,
	"user.update":               cAdmin,
	"user.list":                 cAdmin,
	"work_order.print":          cRead, // a ticket or tag prints the customer's name (and phone): a read
	"customer.import.preview":   cIndex,
	"bike.import.preview":       cIndex,
	"reminder.send":             cSend,
	"reminder.claim":            cAdmin,
	"mail.addresses":            cIndex,
	"unsubscribe.tokens":        cAdmin,
	"campaign.send":             cSend,
	"recall.notify":             cSend,
	"reminder.due":              cIndex,
	"reminder.mark":             cUpdate,
	"reminder.rule":             cAdmin,
	"mail.settings":             cAdmin,
	"mail.test":                 cAdmin,
	"consent.unsubscribe":       cUpdate,
	"campaign.recipients":       cIndex,
	"recall.matches":            cExport, // the affected owners' names and contacts, listed: counted like an export
	"recall.recipients":         cIndex,
	"notice.print":              cAdmin,
	"shop.paper":                cAdmin,
	"rates.set":                 cAdmin,
	"report.revenue":            cStats,
}

// classify maps an action to its class; cUnknown is ignored.
func classify(action string) class {
	if c, ok := classes[action]; ok {
		return c
	}
	switch {
	case strings.HasPrefix(action, "work_order."):
		return cWorkOrder
	case strings.HasPrefix(action, "sale."):
		return cSale
	case strings.HasPrefix(action, "bike."):
		return cBike
	case strings.HasPrefix(action, "campaign."): // audiences, campaigns: aggregates and ids
		return cStats
	case strings.HasPrefix(action, "recall."):
		return cAdmin
	}
	return cUnknown
}

// serves reports whether the action serves the customer it names (a sale, a job, a bike, an
// edit): a read followed by one has a reason the trail shows.
func serves(action string, c class) bool {
	switch c {
	case cCreate, cUpdate, cBike:
		return true
	case cSale, cWorkOrder:
		return action == "sale.create" || action == "work_order.create"
	}
	return false
}

// detailInt returns the integer after key= in a detail string ("count=212", "matches=3 id id").
func detailInt(detail, key string) (int, bool) {
	for rest := detail; rest != ""; {
		i := strings.Index(rest, key+"=")
		if i < 0 {
			return 0, false
		}
		if i > 0 && rest[i-1] != ' ' && rest[i-1] != ';' && rest[i-1] != ',' {
			rest = rest[i+len(key)+1:]
			continue
		}
		v := rest[i+len(key)+1:]
		j := 0
		for j < len(v) && j < 9 && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(v[:j])
		if err != nil {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// maxIDs bounds the customer ids taken from one look-up's detail.
const maxIDs = 1000

// matchedIDs returns the customer ids a look-up's detail lists after matches=N.
func matchedIDs(detail string) []string {
	i := strings.Index(detail, "matches=")
	if i < 0 {
		return nil
	}
	f := strings.Fields(detail[i:])
	if len(f) <= 1 {
		return nil
	}
	f = f[1:]
	if len(f) > maxIDs {
		f = f[:maxIDs]
	}
	return f
}

// Known reports whether the detector uses the action (Observe ignores the others).
func Known(action string) bool { return classify(action) != cUnknown }
