//go:build !windows

package launch

import (
	"os"
	"syscall"
)

// execGUI replaces the process, so spoke-gui's exit status and signals are the caller's.
func execGUI(path string, args []string) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
