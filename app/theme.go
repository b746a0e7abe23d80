package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"spoke/assets"
)

// cjkFont is the embedded Droid Sans Fallback. It has no Latin letters, so Fyne's font
// fallback draws Latin text with its own Noto Sans and only CJK characters with this font.
var cjkFont = fyne.NewStaticResource("DroidSansFallbackFull.ttf", assets.CJKFont)

// spokeTheme is Fyne's default theme in a fixed light or dark variant, with Spoke's brand
// colour and a text font that covers Chinese.
type spokeTheme struct{ variant fyne.ThemeVariant }

func newTheme(dark bool) fyne.Theme {
	if dark {
		return &spokeTheme{variant: theme.VariantDark}
	}
	return &spokeTheme{variant: theme.VariantLight}
}

var (
	brandLight = color.NRGBA{R: 0x0b, G: 0x72, B: 0x85, A: 0xff} // teal
	brandDark  = color.NRGBA{R: 0x3b, G: 0xb3, B: 0xc3, A: 0xff}
)

func (t *spokeTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		if t.variant == theme.VariantDark {
			return brandDark
		}
		return brandLight
	case theme.ColorNameFocus:
		c := brandLight
		if t.variant == theme.VariantDark {
			c = brandDark
		}
		c.A = 0x66
		return c
	}
	return theme.DefaultTheme().Color(n, t.variant)
}

func (t *spokeTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	return cjkFont
}

func (t *spokeTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *spokeTheme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }

// chartPalette are the dashboard's bar colours (readable on light and dark backgrounds).
var chartPalette = []color.NRGBA{
	{R: 0x0b, G: 0x93, B: 0xa8, A: 0xff},
	{R: 0xf2, G: 0x8c, B: 0x28, A: 0xff},
	{R: 0x5b, G: 0x8d, B: 0x3a, A: 0xff},
	{R: 0x8e, G: 0x5e, B: 0xc8, A: 0xff},
}

// navTheme draws the navigation tabs tighter than Fyne's default (smaller icons, less
// padding), so an owner's ten tabs fit an 800-pixel-high window, menu bar and backup banner
// included. It asks the app for its current theme on every call, so switching to dark
// reaches it too.
type navTheme struct{ screenTheme }

func (t navTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInlineIcon:
		return 14
	case theme.SizeNameInnerPadding:
		return 5
	}
	return t.screenTheme.Size(n)
}

// screenTheme is the app's current theme, as a base for an override of part of the window.
type screenTheme struct{ fa fyne.App }

func (t screenTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.fa.Settings().Theme().Color(n, v)
}

func (t screenTheme) Font(s fyne.TextStyle) fyne.Resource { return t.fa.Settings().Theme().Font(s) }

func (t screenTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.fa.Settings().Theme().Icon(n) }

func (t screenTheme) Size(n fyne.ThemeSizeName) float32 { return t.fa.Settings().Theme().Size(n) }
