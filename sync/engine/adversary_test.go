package engine

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"spoke/crypto/device"
	"spoke/crypto/keys"
	"spoke/crypto/roster"
	"spoke/protocol"
	"spoke/store"
	"spoke/store/backup"
	"spoke/sync/hub"
	"spoke/sync/hubclient"
	"spoke/sync/wire"
)

// The hub as an attacker: these tests edit the real hub's database behind its back (it is
// the hub operator's file) or put a lying wrapper between a spoke and the real hub, then check
// that the spokes refuse or report what the hub did, and that honest traffic still converges.

// exec runs SQL on the hub's own database file.
func (h *testHub) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(h.dir.Path, hub.SQLiteFile)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("edit hub database: %v", err)
	}
}

func converged(t *testing.T, devs ...*spoke) {
	t.Helper()
	ctx := context.Background()
	for range 2 {
		for _, d := range devs {
			d.sync(t)
		}
	}
	want, _ := devs[0].st.DataHash(ctx)
	for _, d := range devs[1:] {
		if got, _ := d.st.DataHash(ctx); got != want {
			t.Fatal("honest traffic did not converge")
		}
	}
}

// TestHubCannotPlantKeys: the hub seals a shop key of its own choosing to a device's public
// key (HPKE base mode needs no sender key), unsigned, signed by a key of its own under the
// owner's id, or signed by a device it enrolled itself. None is imported, the refusal is
// audited, the next customer's data is sealed under the real key, and the hub's key opens
// nothing it relays.
func TestHubCannotPlantKeys(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	laptop := join(t, a, owner, "")
	evil, err := device.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.storage.AddDevice(ctx, hub.Device{ID: "evil-owner", Role: protocol.RoleOwner, SigningKey: evil.SigningPublic(), HPKEKey: evil.KEMPublic(), CertSerial: "1", Status: protocol.StatusActive, EnrolledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	lp := must[hub.Device](t)(h.storage.Device(ctx, laptop.st.DeviceID()))
	planted := keys.New()
	_, cur, _ := laptop.st.Replica().ScopeKey(ctx, north, 0)
	v := cur + 1
	sealed, err := device.SealTo(lp.HPKEKey, envelopeInfo(laptop.st.DeviceID(), north, v), planted)
	if err != nil {
		t.Fatal(err)
	}
	to := laptop.st.DeviceID()
	forms := map[string][]byte{
		"unsigned":                     sealed,
		"signed by a key of the hub's": device.SignEnvelope(a.st.DeviceID(), evil.Signing, to, north, v, sealed),
		"signed by a hub-made owner":   device.SignEnvelope("evil-owner", evil.Signing, to, north, v, sealed),
	}
	for name, b := range forms {
		if err := h.storage.PutEnvelope(ctx, hub.Envelope{To: to, Scope: north, Version: v, From: a.st.DeviceID(), Sealed: b, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		r := laptop.sync(t)
		if r.KeysImported != 0 {
			t.Fatalf("%s: a planted key was imported", name)
		}
		if _, _, err := laptop.st.Replica().ScopeKey(ctx, north, v); err == nil {
			t.Fatalf("%s: the planted key version is held", name)
		}
	}
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	if recs, _ := lo.AuditLog(ctx, store.AuditFilter{Action: "sync.envelope"}); len(recs) < len(forms) {
		t.Fatalf("%d envelope refusals audited", len(recs))
	}
	// The laptop's next customer is sealed under the real key: the hub's key opens nothing.
	must[string](t)(lo.CreateCustomer(ctx, store.CustomerInput{Name: "After The Plant", ShopID: north}))
	laptop.sync(t)
	sets, err := h.storage.ChangeSets(ctx, hub.ChangeSetFilter{AllScopes: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	lpub := ed25519.PublicKey(must[*store.Peer](t)(a.st.Peer(ctx, laptop.st.DeviceID())).SigningKey)
	for _, cs := range sets {
		if cs.Device != laptop.st.DeviceID() {
			continue
		}
		if cs.KeyVersion >= v {
			t.Fatalf("a set was sealed under the planted key version %d", cs.KeyVersion)
		}
		if _, err := wire.Open(cs.Bytes, lpub, func(string, uint32) ([]byte, error) { return planted, nil }); err == nil {
			t.Fatal("the planted key opens a relayed set")
		}
	}
	converged(t, a, laptop)
}

// TestRevocationSealsOnlyToRosterKeys: the hub swaps the laptop's HPKE key in its device
// table for one it holds, then the owner revokes the counter. The rotated keys are sealed to
// the laptop's key from the roster: the hub's key opens none of them, the laptop opens all.
func TestRevocationSealsOnlyToRosterKeys(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	evil, _ := device.New()
	h.exec(t, "UPDATE devices SET hpke_key = ? WHERE id = ?", evil.KEMPublic(), laptop.st.DeviceID())
	rotated, err := RevokeDevice(ctx, owner, a.hc, shop.st.DeviceID())
	if err != nil || len(rotated) != 2 {
		t.Fatalf("revoke: %v %v", rotated, err)
	}
	envs, err := h.storage.Envelopes(ctx, laptop.st.DeviceID())
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for _, e := range envs {
		_, _, sealed, err := splitForTest(e.Sealed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evil.Open(envelopeInfo(laptop.st.DeviceID(), e.Scope, e.Version), sealed); err == nil {
			t.Fatalf("the hub opened the rotated %s key", e.Scope)
		}
		opened++
	}
	if opened < 2 {
		t.Fatalf("%d envelopes for the laptop", opened)
	}
	if r := laptop.sync(t); r.KeysImported < 2 {
		t.Fatalf("the laptop imported %d rotated keys", r.KeysImported)
	}
	_, orgV, _ := a.st.Replica().ScopeKey(ctx, store.OrgScope, 0)
	if _, _, err := laptop.st.Replica().ScopeKey(ctx, store.OrgScope, orgV); err != nil || orgV < 2 {
		t.Fatal("the org key was not rotated to the laptop")
	}
	// The revoked counter: refused by the hub, and by every device even if the hub let it in.
	if p, err := laptop.st.Peer(ctx, shop.st.DeviceID()); err != nil || p.Active {
		t.Fatalf("the laptop's roster still lists the counter as active: %v", err)
	}
}

// splitForTest returns the parts of a signed envelope.
func splitForTest(b []byte) (string, []byte, []byte, error) {
	signer, err := device.EnvelopeSigner(b)
	if err != nil {
		return "", nil, nil, err
	}
	n := 2 + len(signer) + ed25519.SignatureSize
	return signer, b[2+len(signer) : n], b[n:], nil
}

// TestHubCannotAddOrAlterDevices: the hub enrolls an "owner" device of its own, writes roster
// entries behind the server's back (a new device signed by a non-owner, a device's keys
// swapped, two entries swapped), and relays sets signed by its device. The spokes keep their
// roster, show the alert, list the hub's device as unconfirmed and apply nothing of it.
func TestHubCannotAddOrAlterDevices(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	laptop := join(t, a, owner, "")
	evil, _ := device.New()
	if err := h.storage.AddDevice(ctx, hub.Device{ID: "evil-owner", Role: protocol.RoleOwner, SigningKey: evil.SigningPublic(), HPKEKey: evil.KEMPublic(), CertSerial: "1", Status: protocol.StatusActive, EnrolledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A set from the hub's device, sealed under a key of its own.
	fake, err := wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: north, Device: "evil-owner", Seq: 1, KeyVersion: 1, ScopeSeq: 1},
		Changes: []wire.Change{{HLC: 1 << 40, Device: "evil-owner", Table: "customers", RowID: "x", Column: "deleted_at", Value: wire.Value{Kind: wire.KindInt, Int: 1}}}},
		keys.New(), evil.Signing)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.storage.PutChangeSet(ctx, hub.ChangeSet{Device: "evil-owner", Seq: 1, Scope: north, KeyVersion: 1, Bytes: fake, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	laptop.sync(t)
	before := must[*roster.State](t)(laptop.st.Roster(ctx))
	n := before.Len()
	entries := must[[][]byte](t)(laptop.st.RosterEntries(ctx, 0))
	// Entry n: the hub's device "added" with a signature of its own.
	add := &roster.Entry{Seq: n, Prev: before.Head(), At: time.Now().UnixMilli(), Op: roster.OpAdd,
		Member: roster.Member{ID: "evil-owner", Role: roster.RoleOwner, SigningKey: evil.SigningPublic(), KEMKey: evil.KEMPublic()}, Signer: "evil-owner"}
	add.Sig = ed25519.Sign(evil.Signing, mustBody(t, add))
	// Entry n as a copy of a genuine entry with the laptop's keys swapped for the hub's.
	last, _ := roster.Decode(entries[n-1])
	swapped := *last
	swapped.Member.KEMKey = evil.KEMPublic()
	attacks := []struct {
		name    string
		from    uint64
		planted [][]byte
	}{
		{"a device signed in by a non-owner", n, [][]byte{add.Encode()}},
		{"a genuine entry with its keys swapped", n - 1, [][]byte{swapped.Encode()}},
		{"two genuine entries swapped", n - 2, [][]byte{entries[n-1], entries[n-2]}},
	}
	for _, at := range attacks {
		t.Run(at.name, func(t *testing.T) {
			from, planted := at.from, at.planted
			// Replace the hub's tail from `from` with the planted entries, and make the laptop
			// fetch that tail again (as a device that has not seen it would).
			h.exec(t, "DELETE FROM roster WHERE seq >= ?", int64(from))
			for i, b := range planted {
				h.exec(t, "INSERT INTO roster(seq, entry, received_at) VALUES(?, ?, 0)", int64(from)+int64(i), b)
			}
			fresh := freshReplicaOf(t, a, owner)
			st, _ := fresh.st.SyncState(ctx)
			if st.RosterAlert == "" {
				t.Fatal("no alert for a tampered device list")
			}
			if p, err := fresh.st.Peer(ctx, "evil-owner"); err == nil {
				t.Fatalf("the hub's device is in the roster: %+v", p)
			}
			// Put the genuine tail back for the next case.
			h.exec(t, "DELETE FROM roster WHERE seq >= ?", int64(from))
			for i := from; i < n; i++ {
				h.exec(t, "INSERT INTO roster(seq, entry, received_at) VALUES(?, ?, 0)", int64(i), entries[i])
			}
		})
	}
	r := laptop.sync(t)
	if p, err := laptop.st.Peer(ctx, "evil-owner"); err == nil {
		t.Fatalf("the hub's device is pinned: %+v", p)
	}
	if r.Held == 0 {
		t.Fatal("the hub's set was not held back")
	}
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	devs := must[[]DeviceEntry](t)(Devices(ctx, lo, laptop.hc))
	found := false
	for _, d := range devs {
		if d.ID == "evil-owner" {
			found = d.Status == "unconfirmed"
		}
	}
	if !found {
		t.Fatalf("the hub's device is not shown as unconfirmed: %+v", devs)
	}
	converged(t, a, laptop)
}

func mustBody(t *testing.T, e *roster.Entry) []byte {
	t.Helper()
	// The signed part is the encoding without the two trailing signature fields (2+0 bytes
	// each while unsigned).
	b := e.Encode()
	return b[:len(b)-4]
}

// freshReplicaOf enrols a new owner device with a code from a, and syncs it once: it reads the
// roster from the hub from the genesis, as the hub serves it now.
func freshReplicaOf(t *testing.T, a *spoke, owner *store.Session) *spoke {
	t.Helper()
	s := newShopDevice(t, a, owner, "")
	if _, err := s.eng.SyncNow(context.Background()); err != nil && !strings.Contains(err.Error(), "device list") {
		t.Logf("sync: %v", err)
	}
	return s
}

// TestHubWithholdsRosterEntries: the owner revokes the counter; the hub hides that entry from
// the laptop but relays the owner's signed head. The laptop says entries are withheld. And a
// device that hears no confirmation for RosterStale says since when.
func TestHubWithholdsRosterEntries(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	laptop.sync(t)
	n := must[*roster.State](t)(a.st.Roster(ctx)).Len()
	if _, err := RevokeDevice(ctx, owner, a.hc, shop.st.DeviceID()); err != nil {
		t.Fatal(err)
	}
	a.sync(t) // signs the head that includes the revocation
	h.exec(t, "DELETE FROM roster WHERE seq >= ?", int64(n))
	laptop.sync(t)
	st, _ := laptop.st.SyncState(ctx)
	if !strings.Contains(st.RosterAlert, "withheld") {
		t.Fatalf("alert: %q", st.RosterAlert)
	}
	if w := RosterWarning(st, time.Now()); !strings.Contains(w, "withheld") {
		t.Fatalf("warning: %q", w)
	}
	// The owner relays the missing entry at its next sync; the laptop then agrees.
	a.sync(t)
	laptop.sync(t)
	st, _ = laptop.st.SyncState(ctx)
	if st.RosterAlert != "" {
		t.Fatalf("alert after the entry arrived: %q", st.RosterAlert)
	}
	if p, _ := laptop.st.Peer(ctx, shop.st.DeviceID()); p.Active {
		t.Fatal("the revocation did not arrive")
	}
	// Stale: no owner head newer than RosterStale.
	st.RosterConfirmed = time.Now().Add(-RosterStale - time.Hour)
	if w := RosterWarning(st, time.Now()); !strings.Contains(w, "not confirmed since") {
		t.Fatalf("stale warning: %q", w)
	}
}

// lyingHub sits between one spoke and the real hub: it can hide sets of one device, serve a
// page in reverse order, or serve an old set again.
type lyingHub struct {
	Hub
	hide    func(h wire.Header) bool
	reverse bool
	replay  [][]byte
}

func (l *lyingHub) Pull(ctx context.Context, after int64, limit int) (hubclient.Page, error) {
	p, err := l.Hub.Pull(ctx, after, limit)
	if err != nil {
		return p, err
	}
	var out []protocol.Frame
	for _, f := range p.Frames {
		h, _ := wire.ParseHeader(f.Bytes)
		if l.hide != nil && l.hide(h) {
			continue
		}
		out = append(out, f)
	}
	if l.reverse {
		slices.Reverse(out)
		for i := range out {
			out[i].Cursor = p.Next // cursors are the page's, in any order
		}
	}
	for _, b := range l.replay {
		out = append(out, protocol.Frame{Cursor: p.Next, Bytes: b})
	}
	l.replay = nil
	p.Frames = out
	return p, nil
}

// TestHubDropsReordersReplaysSets: a hub that silently drops the set carrying a salesperson's
// deactivation is caught by the gap it leaves (the owner's later sets of that scope are held
// and reported, the deactivation is not lost behind them); reordered sets apply in order;
// replayed sets change nothing. Once the hub relays honestly, everything converges.
func TestHubDropsReordersReplaysSets(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	laptop := join(t, a, owner, "")
	liar := &lyingHub{Hub: laptop.hc}
	laptop.eng = New(laptop.st.Replica(), liar)
	sam := must[store.User](t)(owner.UserByName(ctx, "sam"))
	st, _ := a.st.SyncState(ctx)
	dropped := st.ScopeSeqs[store.OrgScope] + 1 // the next org set: the deactivation
	off := false
	if err := owner.UpdateUser(ctx, sam.ID, nil, &off, nil); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Later Customer", ShopID: north}))
	a.sync(t) // later org sets (audit) and a north set
	var hidden [][]byte
	liar.hide = func(h wire.Header) bool {
		return h.Device == a.st.DeviceID() && h.Scope == store.OrgScope && h.ScopeSeq == dropped
	}
	laptop.sync(t)
	held := must[[]store.HeldSummary](t)(laptop.st.HeldSummaries(ctx))
	if len(held) == 0 || held[0].Missing != dropped || held[0].Scope != store.OrgScope {
		t.Fatalf("the gap is not reported: %+v", held)
	}
	if u := must[store.User](t)(must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1")).UserByName(ctx, "sam")); !u.Active {
		t.Fatal("test premise: the deactivation should not have arrived")
	}
	// The hub relays the dropped set after all (its cursor is behind the laptop's now):
	// replay it, with an old set of the same device again and the page reversed.
	liar.hide = nil
	sets, err := a.hc.Pull(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sets.Frames {
		h, _ := wire.ParseHeader(f.Bytes)
		if h.Device == a.st.DeviceID() && h.Scope == store.OrgScope && (h.ScopeSeq == dropped || h.ScopeSeq == 1) {
			hidden = append(hidden, f.Bytes)
		}
	}
	if len(hidden) != 2 {
		t.Fatalf("found %d sets to replay", len(hidden))
	}
	liar.replay, liar.reverse = hidden, true
	r := laptop.sync(t)
	if r.Held != 0 || r.Refused != 0 {
		t.Fatalf("held %d, refused %d after the missing set arrived", r.Held, r.Refused)
	}
	if _, err := laptop.st.SignIn(ctx, "sam", "sales-password-1"); err == nil {
		t.Fatal("the deactivated salesperson still signs in on the laptop")
	}
	liar.reverse = false
	converged(t, a, laptop)
}

// TestRecoverSoleOwnerDevice: the chain's only owner device is stolen. On a new machine the
// owner restores a backup with the recovery code (a new device identity), connects with an
// owner code printed by spoke-hub, and with the same code's offline owner key signs itself
// into the roster and revokes the stolen device. The counter follows: the stolen device's
// later sets are refused, and the rotated keys reach the counter, signed by the new machine.
// A wrong recovery code (the offline key of another chain) is refused.
func TestRecoverSoleOwnerDevice(t *testing.T) {
	ctx := context.Background()
	h := startHub(t)
	st, code, owner := newChainDB(t)
	shops, _ := owner.Shops(ctx)
	north := shops[0].ID
	a := connect(t, st, h.ownerCode())
	a.sync(t)
	shop := join(t, a, owner, north)
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Ada Lovelace", ShopID: north}))
	a.sync(t)
	shop.sync(t)

	// The laptop is stolen. A new machine: restore, then recover with the code.
	nst := restoreOnNewMachine(t, owner, code)
	if nst.DeviceID() == st.DeviceID() {
		t.Fatal("the restored database kept the stolen device's identity")
	}
	if err := Recover(ctx, nst.Replica(), h.ownerCode(), keys.NewRecoveryCode()); err == nil {
		t.Fatal("another chain's recovery code was accepted")
	}
	if ss, _ := nst.SyncState(ctx); ss.Connected() {
		t.Fatal("a refused recovery left the machine enrolled")
	}
	// The right code, with a fresh owner code from the hub.
	if err := Recover(ctx, nst.Replica(), h.ownerCode(), code); err != nil {
		t.Fatalf("recover: %v", err)
	}
	hc, err := Dial(ctx, nst.Replica())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Close)
	n := &spoke{st: nst, eng: New(nst.Replica(), hc), hc: hc}
	n.sync(t)
	nowner := must[*store.Session](t)(nst.SignIn(ctx, "olga", "owner-password-1"))
	if _, err := RevokeDevice(ctx, nowner, hc, st.DeviceID()); err != nil {
		t.Fatalf("revoke the stolen device from the new machine: %v", err)
	}
	n.sync(t)
	r := shop.sync(t)
	if r.KeysImported < 2 {
		t.Fatalf("the counter imported %d rotated keys from the new machine", r.KeysImported)
	}
	if p, err := shop.st.Peer(ctx, st.DeviceID()); err != nil || p.Active {
		t.Fatalf("the counter still trusts the stolen device: %v", err)
	}
	// The stolen device's data written afterwards: refused at the hub; and a set it had made
	// before and the hub relays late is refused by the counter too.
	must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "Written By The Thief", ShopID: north}))
	if _, err := a.eng.SyncNow(ctx); err == nil {
		t.Fatal("the stolen device still syncs")
	}
	converged(t, n, shop)
}

// TestHubCannotFillTheDisk: sets from a device no owner confirmed are held, but only up to
// store.MaxHeld; past it the oldest of them are dropped (and that is audited) to make room, so
// a flood of unauthenticated sets can neither fill the disk nor push out genuine ones.
func TestHubCannotFillTheDisk(t *testing.T) {
	ctx := context.Background()
	defer func(n int) { store.MaxHeld = n }(store.MaxHeld)
	store.MaxHeld = 3
	h, a, _, north := chain(t)
	evil, _ := device.New()
	for i := uint64(1); i <= 5; i++ {
		b, err := wire.Seal(&wire.ChangeSet{Header: wire.Header{Version: 2, Scope: north, Device: "evil", Seq: i, KeyVersion: 1, ScopeSeq: i}}, keys.New(), evil.Signing)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.storage.PutChangeSet(ctx, hub.ChangeSet{Device: "evil", Seq: i, Scope: north, KeyVersion: 1, Bytes: b, ReceivedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	r := a.sync(t)
	if r.Held != 3 || r.Refused != 0 {
		t.Fatalf("held %d, refused %d", r.Held, r.Refused)
	}
	o := must[*store.Session](t)(a.st.SignIn(ctx, "olga", "owner-password-1"))
	if recs, _ := o.AuditLog(ctx, store.AuditFilter{Action: "sync.held.dropped"}); len(recs) == 0 {
		t.Fatal("dropping held sets was not audited")
	}
}

// TestConcurrentRevocationsDoNotForkKeys: two owner devices revoke two counters without
// syncing in between. The roster takes one entry per position, so the second is told to sync
// and try again; the two rotations get different key versions, and every remaining device ends
// up with both, so no set becomes unreadable.
func TestConcurrentRevocationsDoNotForkKeys(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	shop1 := join(t, a, owner, north)
	shop2 := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	laptop.sync(t)
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	if _, err := RevokeDevice(ctx, owner, a.hc, shop1.st.DeviceID()); err != nil {
		t.Fatal(err)
	}
	if _, err := RevokeDevice(ctx, lo, laptop.hc, shop2.st.DeviceID()); err == nil || !strings.Contains(err.Error(), "sync and try again") {
		t.Fatalf("a stale owner device revoked at a taken position: %v", err)
	}
	laptop.sync(t)
	if _, err := RevokeDevice(ctx, lo, laptop.hc, shop2.st.DeviceID()); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	laptop.sync(t)
	_, va, _ := a.st.Replica().ScopeKey(ctx, north, 0)
	_, vl, _ := laptop.st.Replica().ScopeKey(ctx, north, 0)
	if va != vl || va < 3 {
		t.Fatalf("north key versions: owner %d, laptop %d", va, vl)
	}
	for v := uint32(1); v <= va; v++ {
		ka, _, errA := a.st.Replica().ScopeKey(ctx, north, v)
		kl, _, errL := laptop.st.Replica().ScopeKey(ctx, north, v)
		if (errA == nil) != (errL == nil) || (errA == nil && string(ka) != string(kl)) {
			t.Fatalf("north key version %d differs between the owner devices", v)
		}
	}
	converged(t, a, laptop)
}

// TestRestoredUnconnectedDatabaseConnects: a shop that never used a hub restores its backup on
// a new machine; the restored database (a new device) owns a new device list, with the
// recovery code's offline owner key, and connects as the chain's first device.
func TestRestoredUnconnectedDatabaseConnects(t *testing.T) {
	ctx := context.Background()
	h := startHub(t)
	st, code, owner := newChainDB(t)
	nst := restoreOnNewMachine(t, owner, code)
	r := must[*roster.State](t)(nst.Roster(ctx))
	if m := r.Member(nst.DeviceID()); m == nil || m.Role != roster.RoleOwner || r.Member(roster.RecoveryID) == nil || r.Member(st.DeviceID()) != nil {
		t.Fatal("the restored database does not own a device list of its own")
	}
	n := connect(t, nst, h.ownerCode())
	n.sync(t)
	if resp, err := n.hc.Roster(ctx, 0); err != nil || resp.Len != 1 {
		t.Fatalf("the hub's device list: %+v %v", resp, err)
	}
}

// TestDeviceConfirmedAfterRotationGetsNewKeys: a code made before a revocation carries the keys
// of that day; the owner device seals the newest ones to the new device when it confirms it.
func TestDeviceConfirmedAfterRotationGetsNewKeys(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	old := join(t, a, owner, north)
	code, err := AddDevice(ctx, owner, a.hc, north)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RevokeDevice(ctx, owner, a.hc, old.st.DeviceID()); err != nil {
		t.Fatal(err)
	}
	c, _ := protocol.DecodeEnrollCode(code)
	st, _, err := store.CreateReplica(ctx, t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	late := connect(t, st, c)
	late.sync(t)
	a.sync(t) // confirms it, and seals the newest keys to it
	id := must[string](t)(owner.CreateCustomer(ctx, store.CustomerInput{Name: "After The Rotation", ShopID: north}))
	a.sync(t)
	late.sync(t)
	o := must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
	if card, err := o.Customer(ctx, id, ""); err != nil || card.Name != "After The Rotation" {
		t.Fatalf("the late device cannot read data sealed under the rotated key: %v", err)
	}
}

// newChainDB creates a chain's first database (not connected) and returns it with its recovery
// code and the owner's session.
func newChainDB(t *testing.T) (*store.Store, string, *store.Session) {
	t.Helper()
	ctx := context.Background()
	st, code, err := store.Create(ctx, t.TempDir(), store.CreateOptions{ShopName: "North", OwnerUsername: "olga", OwnerPassword: "owner-password-1"}, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, code, must[*store.Session](t)(st.SignIn(ctx, "olga", "owner-password-1"))
}

// restoreOnNewMachine backs owner's database up and restores it into a new folder with the
// recovery code, as on a new machine, and opens it.
func restoreOnNewMachine(t *testing.T, owner *store.Session, code string) *store.Store {
	t.Helper()
	ctx := context.Background()
	bdir := t.TempDir()
	if _, err := backup.Backup(ctx, owner, bdir, backup.Options{NoDrill: true}); err != nil {
		t.Fatal(err)
	}
	ndir := filepath.Join(t.TempDir(), "new")
	if _, err := backup.Restore(ctx, bdir, ndir, backup.Credentials{RecoveryCode: code}, backup.RestoreOptions{Store: store.Options{KDF: fastKDF}}); err != nil {
		t.Fatal(err)
	}
	nst, err := store.Open(ctx, ndir, store.Options{RecoveryCode: code, KDF: fastKDF})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nst.Close() })
	return nst
}

// TestHubCannotEnrolItsOwnKeysUnderACode: the owner makes a code; the hub enrols keys of its
// own under that code's token before the real device does (it knows the token, not the code's
// secret), with a made-up proof and with the real device's proof replayed over other keys. The
// owner device confirms neither; the real device, when it comes, is confirmed.
func TestHubCannotEnrolItsOwnKeysUnderACode(t *testing.T) {
	ctx := context.Background()
	h, a, owner, north := chain(t)
	code, err := AddDevice(ctx, owner, a.hc, north)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := protocol.DecodeEnrollCode(code)
	evil, _ := device.New()
	for i, label := range [][]byte{make([]byte, 33), device.EnrollProof(make([]byte, 32), c.TokenID, "evil-1", evil.SigningPublic(), evil.KEMPublic())} {
		id := fmt.Sprintf("evil-%d", i)
		if err := h.storage.AddDevice(ctx, hub.Device{ID: id, Label: label, Role: protocol.RoleShop, Scopes: []string{north}, SigningKey: evil.SigningPublic(), HPKEKey: evil.KEMPublic(), CertSerial: id, Status: protocol.StatusActive, EnrolledAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	st, _, err := store.CreateReplica(ctx, t.TempDir(), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	real := connect(t, st, c)
	real.sync(t)
	// The real device's proof, replayed by the hub over its own keys.
	dev := must[hub.Device](t)(h.storage.Device(ctx, st.DeviceID()))
	if err := h.storage.AddDevice(ctx, hub.Device{ID: "evil-replay", Label: dev.Label, Role: protocol.RoleShop, Scopes: []string{north}, SigningKey: evil.SigningPublic(), HPKEKey: evil.KEMPublic(), CertSerial: "r", Status: protocol.StatusActive, EnrolledAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	for _, id := range []string{"evil-0", "evil-1", "evil-replay"} {
		if _, err := a.st.Peer(ctx, id); err == nil {
			t.Fatalf("the owner device confirmed the hub's %s", id)
		}
	}
	if p, err := a.st.Peer(ctx, st.DeviceID()); err != nil || !p.Active || p.Role != "shop" || len(p.Scopes) != 1 || p.Scopes[0] != north {
		t.Fatalf("the real device is not confirmed with the role the owner chose: %+v %v", p, err)
	}
}

// TestRevokedOwnersStaffRecordsSignedAgain: staff records are signed by the owner device that
// wrote them. When that device is revoked, the revoking owner signs them again, so the counter
// keeps letting the staff in; and nobody can sign records with the revoked device's key any more.
func TestRevokedOwnersStaffRecordsSignedAgain(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	shop := join(t, a, owner, north)
	laptop := join(t, a, owner, "")
	laptop.sync(t)
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	sam := must[store.User](t)(lo.UserByName(ctx, "sam"))
	pw := "sales-password-2"
	if err := lo.UpdateUser(ctx, sam.ID, nil, nil, &pw); err != nil { // now signed by the laptop
		t.Fatal(err)
	}
	laptop.sync(t)
	shop.sync(t)
	if _, err := shop.st.SignIn(ctx, "sam", pw); err != nil {
		t.Fatalf("sam on the counter after the laptop's change: %v", err)
	}
	a.sync(t) // as the CLI and the app do before revoking
	if _, err := RevokeDevice(ctx, owner, a.hc, laptop.st.DeviceID()); err != nil {
		t.Fatal(err)
	}
	a.sync(t)
	shop.sync(t)
	if _, err := shop.st.SignIn(ctx, "sam", pw); err != nil {
		t.Fatalf("sam on the counter after the laptop was revoked: %v", err)
	}
	if r, err := shop.st.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify on the counter: %v %v", err, r.Problems)
	}
}

// TestConcurrentStaffEditsConverge: two owner devices change the same staff account without
// syncing in between. The record merges as a whole (the later write wins every column), so it
// stays MAC'd and owner-signed, nothing is refused, and both devices agree.
func TestConcurrentStaffEditsConverge(t *testing.T) {
	ctx := context.Background()
	_, a, owner, north := chain(t)
	laptop := join(t, a, owner, "")
	laptop.sync(t)
	lo := must[*store.Session](t)(laptop.st.SignIn(ctx, "olga", "owner-password-1"))
	sam := must[store.User](t)(owner.UserByName(ctx, "sam"))
	if err := owner.UpdateUser(ctx, sam.ID, []store.Role{store.RoleManager}, nil, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // the laptop's write is the later one
	off := false
	if err := lo.UpdateUser(ctx, sam.ID, nil, &off, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ra := a.sync(t)
		rl := laptop.sync(t)
		if ra.Refused+rl.Refused != 0 {
			t.Fatalf("refused: owner %d, laptop %d", ra.Refused, rl.Refused)
		}
	}
	for _, d := range []*spoke{a, laptop} {
		if r, err := d.st.Verify(ctx); err != nil || !r.OK() {
			t.Fatalf("verify: %v %v", err, r.Problems)
		}
		if _, err := d.st.SignIn(ctx, "sam", "sales-password-1"); !errors.Is(err, store.ErrInactive) {
			t.Fatalf("the later write (deactivation) did not win everywhere: %v", err)
		}
	}
	_ = north
	converged(t, a, laptop)
}
