package launch

import (
	"errors"
	"os"
	"runtime"
)

// ErrNoDisplay is CheckDisplay's answer on a Unix desktop without a display.
var ErrNoDisplay = errors.New("the desktop app needs a display (neither DISPLAY nor WAYLAND_DISPLAY is set); 'spoke help' lists the commands that run without one")

// CheckDisplay reports whether a desktop app can open a window here: on X11/Wayland systems a
// display must be named, else Fyne's GLFW driver panics. The launcher asks before it starts
// spoke-gui, so a headless machine gets one sentence and no Fyne start-up warnings.
func CheckDisplay() error {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return ErrNoDisplay
		}
	}
	return nil
}
