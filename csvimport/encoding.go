package csvimport

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode returns the file as UTF-8 text without BOM, and the name of the
// encoding it was converted from ("" if none).
func decode(b []byte) (string, string, error) {
	if isUTF16(b) {
		return "", "", ErrUTF16
	}
	b = bytes.TrimPrefix(b, utf8BOM)
	if utf8.Valid(b) {
		return string(b), "", nil
	}
	if s, ok := fromGB18030(b); ok {
		return s, "GB18030", nil
	}
	return "", "", ErrNotUTF8
}

// isUTF16 spots UTF-16 by its BOM, or, without one, by the zero bytes that
// ASCII header text leaves in every other position; the latter is valid
// UTF-8 and would otherwise surface as a baffling "no header" error.
func isUTF16(b []byte) bool {
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return true
	}
	if len(b) < 4 {
		return false
	}
	le := b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0
	be := b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0
	return le || be
}

// fromGB18030 converts b if it is plausibly Chinese text in GBK/GB18030,
// the default "CSV" encoding of Excel on Chinese Windows.
//
// A clean decode with a Chinese character is not enough on its own: almost
// any byte string decodes as GB18030, and a Windows-1252 file from a German
// shop ("Müller" is 4D FC 6C 6C 65 72) comes out as valid hanzi. So most
// double-byte sequences must also fall in the GB2312 block, where both bytes
// are high, as they do in real Chinese text and almost never in Western text,
// whose accented letters are followed by ASCII.
func fromGB18030(b []byte) (string, bool) {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", false
	}
	out = bytes.TrimPrefix(out, utf8BOM) // GB18030 has a BOM too: 84 31 95 33
	han := false
	for _, r := range string(out) {
		if unicode.Is(unicode.Han, r) {
			han = true
			break
		}
	}
	if !han {
		return "", false
	}
	gb2312, other := 0, 0
	for i := 0; i < len(b); {
		switch {
		case b[i] < 0x80:
			i++
			continue
		case i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9':
			other++ // four-byte sequence
			i += 4
			continue
		case i+1 < len(b) && b[i] >= 0xA1 && b[i] <= 0xF7 && b[i+1] >= 0xA1 && b[i+1] <= 0xFE:
			gb2312++
		default:
			other++
		}
		i += 2
	}
	if gb2312*5 < (gb2312+other)*4 {
		return "", false
	}
	return string(out), true
}
