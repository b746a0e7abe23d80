package store

import (
	"os"
	"path/filepath"
	"runtime"
)

// DefaultDataDir is the OS's per-user data directory for Spoke: where the GUI and the CLI
// look for the database when no --data is given.
func DefaultDataDir() string {
	switch runtime.GOOS {
	case "windows", "darwin":
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, "Spoke")
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "spoke")
		}
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, ".local", "share", "spoke")
		}
	}
	return "spoke-data"
}
