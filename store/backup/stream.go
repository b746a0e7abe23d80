package backup

import (
	"errors"
	"fmt"
	"io"

	"spoke/crypto/stream"
)

// ErrDamaged means a backup file failed authentication: altered, truncated, reordered or
// belonging to another backup. The stream's own error (spoke/crypto/stream) is wrapped too.
var ErrDamaged = errors.New("backup file is damaged or altered")

// encryptStream copies src to dst in authenticated chunks bound to ad (backup id and role).
func encryptStream(dst io.Writer, src io.Reader, key, ad []byte) error {
	return stream.Encrypt(dst, src, key, ad)
}

// decryptStream reverses encryptStream; a file that does not authenticate is ErrDamaged.
func decryptStream(dst io.Writer, src io.Reader, key, ad []byte) error {
	err := stream.Decrypt(dst, src, key, ad)
	if isStreamError(err) {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return err
}

func isStreamError(err error) bool {
	for _, e := range []error{stream.ErrNotStream, stream.ErrTruncated, stream.ErrChunkLength, stream.ErrAuth, stream.ErrTrailingData} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
