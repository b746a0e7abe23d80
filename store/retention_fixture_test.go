package store

import (
	"context"
	"testing"
)

// useRetentionTables writes a row of every table issue 11's retention, incidents and
// assessments add (a manager approves a policy the owner set, an incident, an assessment, and a
// break-glass reason with its own key), for the fixtures that must use every table.
func useRetentionTables(t *testing.T, st *Store, owner *Session) {
	t.Helper()
	ctx := context.Background()
	shops := must[[]Shop](t)(owner.Shops(ctx))
	must[string](t)(owner.AddUser(ctx, NewUser{Username: "mgr", Password: staffPW, Roles: []Role{RoleManager}, ShopID: shops[0].ID}))
	must[string](t)(owner.SetRetentionPolicy(ctx, DefaultRetention))
	if err := signIn(t, st, "mgr", staffPW).ApproveRetention(ctx); err != nil {
		t.Fatal(err)
	}
	must[string](t)(owner.OpenIncident(ctx, IncidentInput{Kind: IncidentDeviceLost, DeviceID: "dev-lost", AllShops: true, HubRevoked: true, RotatedTo: 2}))
	must[string](t)(owner.AddAssessment(ctx, AssessmentInput{Topic: "cross_border_transfer", ShopID: shops[0].ID, Outcome: "proceed_with_measures", Measures: []string{"separate_consent", "encryption"}}))
	if err := st.write(ctx, storeActor, "test.break_glass", func(w *wtx) error {
		w.audit.Reason = "a break-glass reason"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
