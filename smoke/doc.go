// Package smoke holds the GUI smoke test: it builds the real spoke binary, starts it with
// --demo on a private Xvfb display and checks that it stays up and maps its window. It lives
// apart from package main so that its test binary does not link Fyne (and, under -race, does
// not rebuild the GLFW driver with the race detector); the binary it runs is a normal build.
package smoke
