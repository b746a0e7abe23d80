// Package assets embeds Spoke's icon, fonts and translation files. It holds bytes only: no
// Fyne types, so non-GUI packages may use it too.
package assets

import _ "embed"

// Icon is the 512x512 app icon (a wheel: hub and spokes).
//
//go:embed icon.png
var Icon []byte
