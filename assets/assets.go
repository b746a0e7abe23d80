// Package assets embeds Spoke's icon, fonts and translation files. It holds bytes only: no
// Fyne types, so non-GUI packages may use it too.
package assets

import (
	"embed"
	_ "embed"
)

// Icon is the 512x512 app icon (a wheel: hub and spokes).
//
//go:embed icon.png
var Icon []byte

// CJKFont is Droid Sans Fallback (Apache 2.0, from Debian's fonts-droid-fallback): the Chinese,
// Japanese and Korean glyphs Fyne's bundled font lacks. See fonts/README.md.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var CJKFont []byte

// Translations holds one go-i18n JSON file per language (en.json, zh-Hans.json), in the flat
// "key": "text" form that fyne.io/fyne/v2/lang reads.
//
//go:embed translations/*.json
var Translations embed.FS
