package app

import (
	"context"
	"errors"
	"strings"

	"spoke/crypto/keychain"
	"spoke/store"
	"spoke/store/backup"
)

// errText turns an error into a sentence for the screen. Store errors never hold personal
// values, so they may be shown; known ones are translated.
func (a *App) errText(err error) string {
	var ve *store.ValidationError
	var fe *store.FieldError
	var incomplete *store.ErrReviewIncomplete
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve):
		var parts []string
		for _, f := range ve.Fields {
			parts = append(parts, a.T(fieldLabel(f.Field))+": "+a.T(f.Reason))
		}
		return strings.Join(parts, "; ")
	case errors.As(err, &fe):
		return a.T(fieldLabel(fe.Field)) + ": " + a.T(fe.Reason)
	case errors.Is(err, store.ErrTrainingOverdue):
		return a.T("Your security training is overdue: finish it under Administration → Training to open customers again.")
	case errors.Is(err, store.ErrTrainingOwnerDevice):
		return a.T("Take the training on an owner device (the owner's laptop): a shop's counter records only its own shop's staff.")
	case errors.Is(err, store.ErrPasswordChange):
		return a.T("Your password does not meet the password policy: change it first.")
	case errors.Is(err, store.ErrOwnerDeviceOnly):
		return a.T("This is changed on an owner device (the owner's laptop), not on a shop's counter.")
	case errors.Is(err, store.ErrForbidden):
		return a.T("Your role does not allow this.")
	case errors.Is(err, store.ErrNotFound):
		return a.T("Not found, or not visible to you.")
	case errors.Is(err, store.ErrBadCredentials):
		return a.T("Wrong username or password.")
	case errors.Is(err, store.ErrLockedOut):
		return a.T("This account is locked after repeated failed sign-ins. Wait 15 minutes or ask the owner to reset the password.")
	case errors.Is(err, store.ErrInactive):
		return a.T("This account is deactivated. Ask the owner.")
	case errors.Is(err, store.ErrLeft):
		return a.T("This account's leaving date has passed: it can no longer be used. Ask the owner.")
	case errors.As(err, &incomplete):
		return a.T("The review is not complete: %d account(s) still undecided (%s).", len(incomplete.Undecided), strings.Join(incomplete.Undecided, ", "))
	case errors.Is(err, store.ErrNoOpenReview):
		return a.T("No review is in progress: start one first.")
	case errors.Is(err, store.ErrTampered):
		return a.T("A stored record failed authentication: the database was altered outside Spoke. Ask the owner to run Verify.")
	case errors.Is(err, keychain.ErrNoKeychain):
		return a.T("No system keychain answered on this computer, so Spoke cannot fetch the database key from it. Enter the passphrase, or the recovery code from the emergency kit.")
	case errors.Is(err, context.Canceled):
		return a.T("Cancelled.")
	case errors.Is(err, store.ErrHoldOneShop):
		return a.T("This export is over the bulk limit and spans several shops: choose one shop, and a second person approves it.")
	case errors.Is(err, store.ErrSelfApproval):
		return a.T("A held request is approved by a second person with the grant (an owner, or the shop's manager), not by who asked.")
	case errors.Is(err, store.ErrReauthRequired):
		return a.T("This action needs your password again: type it to confirm it is you.")
	}
	return err.Error()
}

// fieldLabels are the (translatable) form labels of the store's field names.
var fieldLabels = map[string]string{
	"name":           "Name",
	"email":          "E-mail",
	"phone":          "Phone",
	"address":        "Address",
	"birthday":       "Birthday",
	"notes":          "Notes",
	"text":           "Text",
	"shop":           "Shop",
	"owner":          "Salesperson",
	"username":       "Username",
	"password":       "Password",
	"role":           "Role",
	"region":         "Country",
	"complaint":      "Complaint",
	"bike":           "Bike",
	"mechanic":       "Mechanic",
	"status":         "Status",
	"make":           "Make",
	"year":           "Year",
	"type":           "Type",
	"serial":         "Frame serial",
	"payment_method": "Payment",
	"lines":          "Lines",
	"active":         "Active",
	"schedule":       "Schedule",
	"updated_at":     "Last changed",
	// The retention policy, incidents and assessments.
	"inactive_years":     "Anonymise inactive customers",
	"deleted_days":       "Erase deleted customers",
	"reason_months":      "Expire break-glass reasons",
	"audit_years":        "Report old audit entries",
	"request_log_months": "Request log",
	"assessment_years":   "Impact assessments",
	"decision":           "Decision",
	"reason":             "Reason",
	"discovered":         "Discovered",
	"topic":              "Topic",
	"outcome":            "Outcome",
	"measures":           "Measures",
	"assessed":           "Assessed",
	// consent.go, transfer.go
	"purpose":         "Purpose",
	"channel":         "Channel",
	"lawful_basis":    "Lawful basis",
	"source":          "Source",
	"notice_version":  "Notice version",
	"at":              "Time",
	"hub_country":     "Hub runs in",
	"owner_countries": "Owner laptops are in",
	// checkup.go
	"every_days":  "A check-up every (days)",
	"silent_days": "A device is silent after (days)",
	"note":        "Note",
}

// fieldLabel maps a store field name to its (translatable) form label: a line of a work order
// or sale ("lines[2]") is a "Line"; an unknown name is shown as it is.
func fieldLabel(f string) string {
	if strings.HasPrefix(f, "lines[") {
		return "Line"
	}
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return f
}

// kindLabel is the English (translatable) name of a backup kind.
func kindLabel(k string) string {
	switch k {
	case backup.Full:
		return "Full"
	case backup.Incremental:
		return "Incremental"
	case backup.Differential:
		return "Differential"
	}
	return k
}
