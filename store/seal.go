package store

import (
	"fmt"

	"spoke/crypto/seal"
)

// sealField seals a personal value of a row under key (a customer's data key or the org key).
// An empty value is stored as NULL: "no e-mail" is not a secret worth a ciphertext.
func sealField(key []byte, table, id, column, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	return seal.Seal(key, []byte(value), seal.FieldAD(table, id, column, dekGeneration))
}

// openField opens what sealField made. NULL opens to "".
func openField(key []byte, table, id, column string, sealed []byte) (string, error) {
	if sealed == nil {
		return "", nil
	}
	pt, err := seal.Open(key, sealed, seal.FieldAD(table, id, column, dekGeneration))
	if err != nil {
		return "", &SealError{Table: table, Row: id, Column: column, Err: err}
	}
	return string(pt), nil
}

// dekGeneration is the key version bound into field additional data. Data keys are never
// rotated in place (a customer's key is replaced only by crypto-shredding), so it is constant;
// the scope key version that wraps a data key is stored separately (customers.dek_version).
const dekGeneration = 1

// SealError names the field that failed authentication; it never carries the value.
type SealError struct {
	Table, Row, Column string
	Err                error
}

func (e *SealError) Error() string {
	return fmt.Sprintf("%s %s column %s: %v", e.Table, e.Row, e.Column, e.Err)
}

func (e *SealError) Unwrap() []error { return []error{e.Err, ErrTampered} }
