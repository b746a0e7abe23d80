package app

import (
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"spoke/crypto/keys"
	"spoke/demo"
	"spoke/store"
)

var fastKDF = keys.KDFParams{Time: 1, Memory: 64, Threads: 1}

const demoPass = "demo passphrase for tests"

// The demo shop is generated once per test binary; each test opens a private copy of it.
var (
	demoOnce  sync.Once
	demoDir   string
	demoChain *demo.Chain
	demoErr   error
)

// testCustomers sizes the demo: 400 (two shops) keeps the suite fast under -race; the
// screenshots use 1000, enough for the third shop (Shanghai) and its Chinese names.
func testCustomers() int {
	if os.Getenv("SPOKE_SCREENSHOTS") != "" {
		return 1000
	}
	return 400
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

func demoTemplate(t *testing.T) (string, *demo.Chain) {
	t.Helper()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "spoke-app-test-")
		if demoErr != nil {
			return
		}
		var d *demo.Created
		d, demoErr = demo.CreateShop(context.Background(), filepath.Join(demoDir, "db"), testCustomers(), 1,
			store.Options{KDF: fastKDF, Passphrase: demoPass}, nil)
		if demoErr == nil {
			demoChain = d.Chain
			demoErr = d.Store.Close()
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return filepath.Join(demoDir, "db"), demoChain
}

// copyDir copies the demo database so a test may write to it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dst, e.Name()), os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	a     *App
	clock *clock
	chain *demo.Chain
	dir   string
}

// newDemoApp starts the GUI on a private copy of the demo shop and waits for the sign-in
// screen.
func newDemoApp(t *testing.T) *harness {
	t.Helper()
	tmpl, chain := demoTemplate(t)
	dir := copyDir(t, tmpl)
	fa := test.NewTempApp(t)
	c := &clock{t: time.Now()}
	a := New(fa, Options{DataDir: dir, Passphrase: demoPass, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	// Like --demo: the sign-in screen lists the demo accounts.
	a.demo = &demo.Created{Chain: chain}
	a.showSignIn("", "")
	a.Wait()
	return &harness{t: t, a: a, clock: c, chain: chain, dir: dir}
}

// staff returns the first demo account with a role (and shop key, if given).
func (h *harness) staff(role string, shopKey string) demo.Staff {
	for _, s := range h.chain.Staff {
		if s.Role == role && (shopKey == "" || s.ShopKey == shopKey) {
			return s
		}
	}
	h.t.Fatalf("no %s in the demo", role)
	return demo.Staff{}
}

// signIn picks a user, types the password and taps Sign in.
func (h *harness) signIn(user, password string) {
	h.t.Helper()
	s := h.a.SignIn
	if s == nil {
		h.t.Fatal("not on the sign-in screen")
	}
	s.User.SetSelected(user)
	s.Password.SetText("")
	test.Type(s.Password, password)
	test.Tap(s.SignIn)
	h.a.Wait()
}

func (h *harness) signInAs(role, shopKey string) demo.Staff {
	h.t.Helper()
	st := h.staff(role, shopKey)
	h.signIn(st.Username, st.Password)
	if h.a.Shell == nil {
		h.t.Fatalf("sign-in as %s failed: %q", st.Username, texts(h.a.W.Canvas().Content()))
	}
	return st
}

// texts lists every piece of text drawn in the visible tree under o (list rows included).
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *canvas.Text:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func screenText(a *App) string {
	all := texts(a.W.Canvas().Content())
	for _, ov := range a.W.Canvas().Overlays().List() {
		all = append(all, texts(ov)...)
	}
	return strings.Join(all, "\n")
}

func capture(t *testing.T, a *App, path string) {
	t.Helper()
	img := a.W.Canvas().Capture()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// Accounts of the small shop (newSmallApp).
const (
	smallOwner    = "olga"
	smallOwnerPW  = "owner-password-1"
	smallDevicePW = "small shop passphrase"
)

// newSmallApp creates a one-shop database with an owner and a few customers (far quicker to
// back up, restore and sync than the demo) and starts the GUI on its sign-in screen.
func newSmallApp(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	o := store.Options{Passphrase: smallDevicePW, KDF: fastKDF}
	st, _, err := store.Create(ctx, dir, store.CreateOptions{ShopName: "North", OwnerUsername: smallOwner, OwnerPassword: smallOwnerPW}, o)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := st.SignIn(ctx, smallOwner, smallOwnerPW)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ada Lovelace", "Grace Hopper", "李小龙"} {
		if _, err := ss.CreateCustomer(ctx, store.CustomerInput{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	fa := test.NewTempApp(t)
	c := &clock{t: time.Now()}
	a := New(fa, Options{DataDir: dir, Passphrase: smallDevicePW, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true, Now: c.Now})
	t.Cleanup(a.Close)
	a.W.Resize(fyne.NewSize(1280, 800))
	a.Wait()
	if a.SignIn == nil {
		t.Fatalf("no sign-in screen; screen shows %q", texts(a.W.Canvas().Content()))
	}
	return &harness{t: t, a: a, clock: c, dir: dir}
}

// signInOwner signs the small shop's owner in.
func (h *harness) signInOwner() {
	h.t.Helper()
	h.signIn(smallOwner, smallOwnerPW)
	if h.a.Shell == nil {
		h.t.Fatalf("owner sign-in failed: %q", screenText(h.a))
	}
}
