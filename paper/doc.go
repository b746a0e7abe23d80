// Package paper renders the documents the counter prints, as PDF: the work-order ticket (the
// customer's copy), the tag that hangs on the bike, the sale receipt, and the shop's privacy
// notice.
//
// It takes plain document structs that the caller has already filled for the signed-in user
// (store's Session methods decide what a user may see; this package never reads the store) and
// returns PDF bytes, with the fonts embedded as subsets: the Go fonts for Latin, Greek and
// Cyrillic, and Droid Sans Fallback for Chinese, Japanese and Korean. A line of text is split
// into runs by the font that has its glyphs and each run is set in that font, since the CJK
// font has no Latin letters.
//
// Every value is treated as hostile: control and format characters (bidirectional overrides,
// zero-width joiners) are dropped, a glyph neither font has (an emoji, a right-to-left script)
// is printed as "?", and text wraps at the column and is cut with "…" where a field would
// outgrow its place, so no value can crash the renderer or run off the page. A receipt says
// plainly that it is not a fiscal receipt.
//
// What it never does: write a file, log, or put a value into an error or the PDF's metadata.
package paper
