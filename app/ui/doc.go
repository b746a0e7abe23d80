// Package ui holds the desktop app's shared widgets: weighted table rows and lists, the busy
// indicator, message labels, headings, confirm and folder dialogs, and layouts. It owns how
// these look and behave; it never sees the app (no *app.App, no store, no session), so a
// screen hands it what it needs (a window, a callback) and every widget here can be tested
// alone on Fyne's test driver.
package ui
