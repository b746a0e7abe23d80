// These tests drive the real go-keyring backend, never the mock, in a child
// process: keyring.MockInit (used by the untagged mock tests) is global and
// permanent, and godbus caches the first session-bus connection for the life
// of a process, so only a fresh process sees the D-Bus address a test sets.

package keychain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// childEnv, when set, turns the test binary into a one-shot keychain client
// (see TestMain) instead of running tests.
const childEnv = "SPOKE_KEYCHAIN_TEST_CHILD"

type childReport struct {
	IsNoKeychain bool
	IsNotFound   bool
	IsDeadline   bool
	Message      string
	Detail       string
	Available    bool
	Elapsed      time.Duration
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	timeout, err := time.ParseDuration(os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	_, err = Load(ctx, "spoke-test-child")
	rep := childReport{
		IsNoKeychain: errors.Is(err, ErrNoKeychain),
		IsNotFound:   errors.Is(err, ErrNotFound),
		IsDeadline:   errors.Is(err, context.DeadlineExceeded),
		Elapsed:      time.Since(start),
	}
	if err != nil {
		rep.Message = err.Error()
	}
	var be *BackendError
	if errors.As(err, &be) {
		rep.Detail = be.Detail()
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), timeout)
	defer cancel2()
	rep.Available = Available(ctx2)
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 2
	}
	return 0
}

// runChildLoad runs one Load against the real backend in a fresh process,
// with the environment the test has set up via t.Setenv. wrapper, if given,
// is a command line that runs the child as its last argument.
func runChildLoad(t *testing.T, timeout time.Duration, wrapper ...string) childReport {
	t.Helper()
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		t.Skipf("the D-Bus Secret Service backend is not used on %s", runtime.GOOS)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(wrapper, exe)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+timeout.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	var rep childReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("child output %q: %v\nstderr: %s", out, err, stderr.String())
	}
	t.Logf("child: %+v", rep)
	return rep
}

func assertNoKeychain(t *testing.T, rep childReport) {
	t.Helper()
	if !rep.IsNoKeychain || rep.IsNotFound {
		t.Fatalf("Load: %q; want ErrNoKeychain", rep.Message)
	}
	if rep.Message != ErrNoKeychain.Error() {
		t.Errorf("message %q; want the plain ErrNoKeychain message", rep.Message)
	}
	if rep.Detail == "" {
		t.Error("the backend's cause was lost")
	}
	if rep.Available {
		t.Error("Available() = true")
	}
	if rep.Elapsed > 5*time.Second {
		t.Errorf("Load took %v; want a quick failure", rep.Elapsed)
	}
}

func TestLoadWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	assertNoKeychain(t, runChildLoad(t, 10*time.Second))
}

// TestLoadWithoutSecretService covers a desktop that has D-Bus but no
// keychain daemon: a private bus whose config activates no services.
func TestLoadWithoutSecretService(t *testing.T) {
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	// No <servicedir>, so org.freedesktop.secrets cannot be auto-started.
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	bus := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile")
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = bus.Process.Kill()
		_ = bus.Wait()
	})
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("private dbus-daemon did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	rep := runChildLoad(t, 10*time.Second)
	assertNoKeychain(t, rep)
	if !strings.Contains(rep.Detail, "secrets") {
		t.Errorf("detail %q does not name the missing Secret Service", rep.Detail)
	}
}
