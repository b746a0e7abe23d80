package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestPlaceholderReportsMissingDatabase drives the window with Fyne's software test driver:
// unlocking runs off the UI goroutine and the result lands in the status label.
func TestPlaceholderReportsMissingDatabase(t *testing.T) {
	a := test.NewTempApp(t)
	w := New(a, Options{DataDir: t.TempDir()})
	defer w.W.Close()
	select {
	case <-w.Ready:
	case <-time.After(10 * time.Second):
		t.Fatal("unlocking never finished")
	}
	if got := w.Status.Text; got != "No database yet: run 'spoke init' or start with --demo." {
		t.Fatalf("status %q", got)
	}
}
