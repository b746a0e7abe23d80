package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package for bad input wraps
// exactly one of them, with a short description of what is wrong (a field
// name, a change index), never a value.
var (
	// ErrMalformed means the bytes (or the change-set given to Seal) do not
	// follow the format: truncated, trailing data, bad magic, a field that is
	// empty or has characters it may not have.
	ErrMalformed = errors.New("wire: malformed change-set")
	// ErrBadSignature means the Ed25519 signature does not verify with the
	// given device key: the set was forged, altered or signed by another device.
	ErrBadSignature = errors.New("wire: change-set signature does not verify")
	// ErrUnauthenticated means the sealed body failed AEAD authentication:
	// wrong scope key, or the body or header was altered by someone who could
	// sign but did not hold the scope key.
	ErrUnauthenticated = errors.New("wire: change-set body failed authentication")
	// ErrTooLarge means a size limit was exceeded: a string, a value, the
	// number of changes, the sealed set or the decompressed body.
	ErrTooLarge = errors.New("wire: change-set exceeds a size limit")
	// ErrVersion means the format version is not one this build understands.
	ErrVersion = errors.New("wire: unsupported change-set format version")
)

// fieldError is a sentinel plus what was wrong. It lets validation return a
// cheap error and the caller prefix the change index only when one occurs.
type fieldError struct {
	kind error
	what string
}

func (e *fieldError) Error() string { return e.kind.Error() + ": " + e.what }
func (e *fieldError) Unwrap() error { return e.kind }

func fail(kind error, what string) error { return &fieldError{kind: kind, what: what} }

// inChange prefixes err with the index of the change it is about.
func inChange(i int, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return &fieldError{kind: fe.kind, what: fmt.Sprintf("change %d: %s", i, fe.what)}
	}
	return err
}
