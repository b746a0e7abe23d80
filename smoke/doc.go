// Package smoke holds the tests of the real binaries: it builds spoke (the CLI and launcher,
// no Fyne) and spoke-gui side by side, checks that commands never print Fyne's locale warning
// and that spoke execs the spoke-gui beside it, and starts spoke --demo on a private Xvfb
// display to check that it stays up and maps its window. It lives apart from the main packages
// so that its test binary does not link Fyne (and, under -race, does not rebuild the GLFW
// driver with the race detector); the binaries it runs are normal builds.
package smoke
