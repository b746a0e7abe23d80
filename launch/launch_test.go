package launch

import (
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestCLIArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		cli   bool
		wants []string
	}{
		{nil, false, nil},
		{[]string{"--demo"}, false, nil},
		{[]string{"--data", "/d", "--demo-customers", "300"}, false, nil},
		{[]string{"-h"}, false, nil},
		{[]string{"--bogus"}, false, nil}, // spoke-gui reports its usage error
		{[]string{"help"}, true, []string{"help"}},
		{[]string{"custmers"}, true, []string{"custmers"}},
		{[]string{"customers", "--as", "owner", "mar"}, true, []string{"customers", "--as", "owner", "mar"}},
		{[]string{"--data", "/d", "customers", "--as", "owner"}, true, []string{"customers", "--as", "owner", "--data", "/d"}},
		{[]string{"--demo", "subject", "export"}, true, []string{"subject", "export", "--demo"}},
		// A subcommand stays right after its command.
		{[]string{"--data", "/d", "consent", "grant", "--as", "owner", "ID"}, true, []string{"consent", "grant", "--as", "owner", "ID", "--data", "/d"}},
		// The command word is also a flag's value: the command is the one after the flags.
		{[]string{"--data", "customers", "--demo", "customers", "mar"}, true, []string{"customers", "mar", "--data", "customers", "--demo"}},
	} {
		got, ok := CLIArgs(tc.args)
		if ok != tc.cli || !slices.Equal(got, tc.wants) {
			t.Errorf("CLIArgs(%q) = %q, %v; want %q, %v", tc.args, got, ok, tc.wants, tc.cli)
		}
	}
}

func TestParseGUI(t *testing.T) {
	f, err := ParseGUI([]string{"--data", "/d", "--demo", "--passphrase-file", "/p"}, "/default", io.Discard)
	if err != nil || f != (GUIFlags{DataDir: "/d", Demo: true, DemoCustomers: 1200, PassphraseFile: "/p"}) {
		t.Fatalf("got %+v, %v", f, err)
	}
	f, err = ParseGUI(nil, "/default", io.Discard)
	if err != nil || f.DataDir != "/default" {
		t.Fatalf("default data dir: %+v, %v", f, err)
	}
	_, err = ParseGUI([]string{"--demo", "customers"}, "", io.Discard)
	var extra *ExtraArgError
	if !errors.As(err, &extra) || extra.Arg != "customers" || extra.At != 1 {
		t.Fatalf("extra word: %v", err)
	}
}

func TestGUIPathBesideExecutable(t *testing.T) {
	p, err := GUIPath()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != GUIName() || !filepath.IsAbs(p) {
		t.Fatalf("GUIPath = %s", p)
	}
}

func TestCheckDisplay(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("displays are named by environment on Linux")
	}
	for _, tc := range []struct {
		display, wayland string
		ok               bool
	}{{"", "", false}, {":0", "", true}, {"", "wayland-0", true}} {
		t.Setenv("DISPLAY", tc.display)
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		if err := CheckDisplay(); (err == nil) != tc.ok {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: %v", tc.display, tc.wayland, err)
		}
	}
}
