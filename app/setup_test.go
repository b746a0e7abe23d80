package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"spoke/store"
)

func TestSetupWizardAndEmergencyKit(t *testing.T) {
	fa := test.NewTempApp(t)
	dir := t.TempDir()
	a := New(fa, Options{DataDir: dir, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true,
		KeychainProbe: func(context.Context) bool { return false }})
	t.Cleanup(a.Close)
	a.Wait()
	s := a.Setup
	if s == nil {
		t.Fatal("no set-up wizard on an empty data directory")
	}
	test.Tap(s.Next)
	if !strings.Contains(s.Error.Text, "Shop name") || s.Step != 1 {
		t.Fatalf("empty shop accepted: %q", s.Error.Text)
	}
	test.Type(s.ShopName, "飞轮单车 上海")
	s.Country.SetText("CN")
	s.Currency.SetText("CNY")
	test.Tap(s.Next)
	if s.Step != 2 || !s.Passphrase.Visible() || !strings.Contains(s.KeyNote.Text, "No system keychain") {
		t.Fatalf("step %d, note %q", s.Step, s.KeyNote.Text)
	}
	test.Type(s.OwnerUsername, "Li Wei") // not a valid username
	test.Type(s.OwnerName, "李伟")
	test.Type(s.Password, "owner-password-1")
	test.Type(s.Confirm, "owner-password-1")
	test.Type(s.Passphrase, "shop passphrase 1")
	test.Type(s.Passphrase2, "shop passphrase 2")
	test.Tap(s.Next)
	if !strings.Contains(s.Error.Text, "differ") {
		t.Fatalf("different passphrases accepted: %q", s.Error.Text)
	}
	s.Passphrase2.SetText("shop passphrase 1")
	test.Tap(s.Next)
	a.Wait()
	if !strings.Contains(s.Error.Text, "Username") || store.Exists(dir) {
		t.Fatalf("bad username: %q", s.Error.Text)
	}
	s.OwnerUsername.SetText("liwei")
	test.Tap(s.Next)
	a.Wait()
	if s.Step != 3 || len(s.Kit.Text) != 39 {
		t.Fatalf("no emergency kit: step %d %q %q", s.Step, s.Kit.Text, s.Error.Text)
	}
	code := s.Kit.Text
	if !s.Next.Disabled() {
		t.Fatal("can continue without confirming the kit was saved")
	}
	test.Tap(s.Saved)
	test.Tap(s.Next)
	a.Wait()
	if a.SignIn == nil || a.SignIn.User.Selected != "liwei" {
		t.Fatal("not on the sign-in screen with the owner chosen")
	}
	test.Type(a.SignIn.Password, "owner-password-1")
	test.Tap(a.SignIn.SignIn)
	a.Wait()
	if a.Shell == nil {
		t.Fatalf("owner cannot sign in: %q", a.SignIn.Error.Text)
	}
	a.Close()
	// The recovery code opens the database.
	st, err := store.Open(context.Background(), dir, store.Options{RecoveryCode: code})
	if err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	st.Close()
}

func TestUnlockWithPassphraseSaysWhyAndSurvivesATypo(t *testing.T) {
	tmpl, _ := demoTemplate(t)
	dir := copyDir(t, tmpl)
	fa := test.NewTempApp(t)
	a := New(fa, Options{DataDir: dir, Store: store.Options{KDF: fastKDF}, ManualIdle: true, QueueUI: true})
	t.Cleanup(a.Close)
	a.Wait()
	u := a.Unlock
	if u == nil || !strings.Contains(u.Why.Text, "passphrase") {
		t.Fatalf("no passphrase screen: %q", screenText(a))
	}
	test.Type(u.Passphrase, "not the passphrase")
	test.Tap(u.Unlock)
	a.Wait()
	if a.Unlock != u || !strings.Contains(u.Error.Text, "wrong") || u.Passphrase.Text != "not the passphrase" {
		t.Fatalf("wrong passphrase: %q", u.Error.Text)
	}
	u.Passphrase.SetText(demoPass)
	test.Tap(u.Unlock)
	a.Wait()
	if a.SignIn == nil || a.Store() == nil {
		t.Fatalf("not unlocked: %q", screenText(a))
	}
}
