package csvimport

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"spoke/store"
	"spoke/store/contact"
)

// ErrNoBikeHeader is the whole-file error of a bike file whose header names
// no bike (serial, make or model) or no customer (the customer's id from the
// customer export, or a Spoke customer id).
var ErrNoBikeHeader = errors.New("the first line must name the columns, with a frame serial, make or model column and the customer's id (from the customer export) or Spoke customer id")

// BikeRow is one validated bike of a bike file. It names its customer by the
// source reference of the customer export ("shopify:4012345678", with
// Options.System or the system the header names) or by Spoke id.
type BikeRow struct {
	// Line is the 1-based line on which the record starts.
	Line int
	// Serial is normalised with contact.NormalizeSerial; a re-import of the
	// same serial updates that bike instead of adding one.
	Serial string
	// Make is required (as for a bike added by hand); Model is optional.
	Make, Model string
	// Year is 0 when absent.
	Year int
	// Type is one of store.BikeTypes, or "".
	Type string
	// CustomerSource is "system:id"; CustomerID a Spoke customer id. One is set.
	CustomerSource string
	CustomerID     string
}

// BikeResult is what ParseBikes found in a readable file.
type BikeResult struct {
	Rows      []BikeRow
	Errors    []LineError
	Converted string
	Ignored   []string
	Columns   []Column
	System    string
}

// ParseBikes reads and validates a whole bike file: serial, make, model,
// year, type, and the customer's id from the customer export (or a Spoke
// customer id). Whole-file problems are errors as for Parse, and
// ErrNoBikeHeader; everything else is a LineError.
func ParseBikes(r io.Reader, opts Options) (*BikeResult, error) {
	var cols [numFields]int
	system := ""
	res := &BikeResult{}
	seen := map[string]int{}
	now := time.Now()
	errs, conv, err := scan(r, opts, func(header []string) error {
		var ignored []string
		var err error
		if cols, ignored, err = mapColumns(header, bikeIndex); err != nil {
			return err
		}
		if (cols[fSerial] < 0 && cols[fMake] < 0 && cols[fModel] < 0) || (cols[fSourceID] < 0 && cols[fSpokeID] < 0) {
			return ErrNoBikeHeader
		}
		if cols[fSourceID] >= 0 {
			if system, err = systemOf(opts.System, header); err != nil {
				return err
			}
			if system == "" && cols[fSpokeID] < 0 {
				return ErrNeedSystem
			}
		}
		res.Ignored, res.Columns, res.System = ignored, columnsOf(header, cols), system
		return nil
	}, func(line int, rec []string) []LineError {
		row, errs := checkBike(line, rec, cols, system, now, seen)
		if len(errs) == 0 {
			res.Rows = append(res.Rows, row)
		}
		return errs
	})
	if err != nil {
		return nil, err
	}
	res.Errors, res.Converted = errs, conv
	if len(res.Errors) > 0 && !opts.SkipInvalid {
		res.Rows = nil
	}
	return res, nil
}

// bikeTypes maps the type words of exports onto store.BikeTypes.
var bikeTypes = map[string]string{
	"road": "road", "roadbike": "road", "racing": "road", "rennrad": "road", "公路车": "road",
	"gravel": "gravel", "cyclocross": "gravel", "cx": "gravel",
	"mtb": "mtb", "mountain": "mtb", "mountainbike": "mtb", "mountainbikes": "mtb", "山地车": "mtb",
	"hybrid": "hybrid", "city": "hybrid", "trekking": "hybrid", "commuter": "hybrid", "citybike": "hybrid",
	"ebike": "e-bike", "electric": "e-bike", "pedelec": "e-bike", "emtb": "e-bike", "电动车": "e-bike",
	"kids": "kids", "kid": "kids", "children": "kids", "youth": "kids", "kinder": "kids", "童车": "kids",
	"cargo": "cargo", "lastenrad": "cargo", "bmx": "bmx", "other": "other",
}

func checkBike(line int, rec []string, cols [numFields]int, system string, now time.Time, seen map[string]int) (BikeRow, []LineError) {
	row := BikeRow{Line: line}
	var errs []LineError
	bad := func(col, reason string) { errs = append(errs, LineError{Line: line, Column: col, Reason: reason}) }
	cell := func(f field) string {
		if i := cols[f]; i >= 0 {
			s := strings.TrimSpace(rec[i])
			if textMarked[f] {
				s = strings.TrimSpace(strings.TrimPrefix(s, "'"))
			}
			return s
		}
		return ""
	}
	for _, t := range []struct {
		f   field
		col string
		dst *string
	}{{fMake, colMake, &row.Make}, {fModel, colModel, &row.Model}} {
		s := cell(t.f)
		switch {
		case hasControl(s, false):
			bad(t.col, reasonControl)
		case utf8.RuneCountInString(s) > maxBike:
			bad(t.col, fmt.Sprintf(reasonTooLong, maxBike))
		default:
			*t.dst = s
		}
	}
	if row.Make == "" && len(errs) == 0 {
		row.Make = "unknown"
	}
	if s := cell(fSerial); s != "" {
		if n, err := contact.NormalizeSerial(s); err != nil {
			bad(colSerial, reasonSerial)
		} else {
			row.Serial = n
		}
	}
	if s := cell(fYear); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1900 || y > now.Year()+1 {
			bad(colYear, reasonYear)
		} else {
			row.Year = y
		}
	}
	if s := cell(fType); s != "" {
		if t, ok := bikeTypes[strings.ReplaceAll(headerKey(s), "bike", "")]; ok {
			row.Type = t
		} else if t, ok := bikeTypes[headerKey(s)]; ok {
			row.Type = t
		} else {
			bad(colType, reasonType)
		}
	}
	if s := cell(fSourceID); s != "" && system != "" {
		if n, err := store.NormalizeSource(system + ":" + s); err != nil {
			bad(colSource, reasonSource)
		} else {
			row.CustomerSource = n
		}
	}
	if s := cell(fSpokeID); s != "" && row.CustomerSource == "" {
		if hasControl(s, false) || len(s) > 64 {
			bad(colCust, reasonNoCustomer)
		} else {
			row.CustomerID = s
		}
	}
	if row.CustomerSource == "" && row.CustomerID == "" && len(errs) == 0 {
		bad(colCust, reasonNoCustomer)
	}
	if first, ok := seen[row.Serial]; ok && row.Serial != "" {
		bad(colSerial, fmt.Sprintf(reasonDuplicate, first))
	}
	if len(errs) > 0 {
		return BikeRow{}, errs
	}
	if row.Serial != "" {
		seen[row.Serial] = line
	}
	return row, nil
}
