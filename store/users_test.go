package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h := hashPassword("a long password", fastKDF)
	tests := []struct {
		name, phc, pw string
		want          bool
	}{
		{"right", h, "a long password", true},
		{"wrong", h, "a long passworD", false},
		{"not phc", "plaintext", "plaintext", false},
		{"absurd memory", "$argon2id$v=19$m=999999999,t=1,p=1$AAAA$AAAA", "x", false},
		{"other algorithm", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkPasswordHash(tc.phc, tc.pw); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

// FuzzCheckPasswordHash: a stored hash string comes from the file and may be anything.
func FuzzCheckPasswordHash(f *testing.F) {
	f.Add(hashPassword("seed password", fastKDF), "seed password")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		checkPasswordHash(phc, pw) // must not panic or allocate absurdly (params are bounded)
	})
}

func TestLockOut(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	opts := testOptions()
	opts.Now = func() time.Time { return now }
	st, _, err := Create(ctx, t.TempDir(), CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 1; i <= MaxFailedSignIns; i++ {
		_, err := st.SignIn(ctx, "olga", "wrong password")
		want := ErrBadCredentials
		if i == MaxFailedSignIns {
			want = ErrLockedOut
		}
		if !errors.Is(err, want) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := st.SignIn(ctx, "olga", "owner-password-1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("right password while locked: %v", err)
	}
	now = now.Add(LockOutFor + time.Second)
	ss := signIn(t, st, "olga", "owner-password-1")
	if _, err := st.SignIn(ctx, "nobody", "whatever"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	recs, err := ss.AuditLog(ctx, AuditFilter{Action: "auth.sign_in"})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range recs {
		if r.Outcome == "failed" || r.Outcome == "refused" {
			failed++
		}
	}
	if failed != MaxFailedSignIns+2 {
		t.Fatalf("%d failed or refused sign-ins audited", failed)
	}
}
