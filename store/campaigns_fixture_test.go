package store

import (
	"context"
	"testing"
)

// useCampaignTables writes a kept audience and a campaign row (the owner's, for every shop) with a recorded send,
// for the fixtures that must use every table.
func useCampaignTables(t *testing.T, owner *Session) {
	t.Helper()
	ctx := context.Background()
	// An audience marketing was answered, kept by the differencing guard (ids only: the
	// guard keeps their keyed hashes).
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "mona", Password: staffPW, Roles: []Role{RoleMarketing}}))
	mkt := signIn(t, owner.s, "mona", staffPW)
	sp := emailSpec()
	if err := sp.normalise(); err != nil {
		t.Fatal(err)
	}
	shops := must[[]Shop](t)(owner.Shops(ctx))
	a := &audience{spec: sp, members: []string{"c1", "c2", "c3", "c4", "c5"}, counts: suppressCounts(sp, shops, map[string]int64{shops[0].ID: 5})}
	if _, err := mkt.checkAudience(ctx, a); err != nil {
		t.Fatal(err)
	}
	id := must[string](t)(owner.CreateCampaign(ctx, CampaignInput{Name: "Fixture", Spec: emailSpec(), SubjectEN: "Hi {first_name}", BodyEN: "From {shop}"}))
	if err := owner.RecordCampaignSend(ctx, id, shops[0].ID, 0, 0); err != nil {
		t.Fatal(err)
	}
}
