package store

import (
	"context"
	"testing"
	"time"
)

// usePeopleTables writes a row of every table issue 12's permission review adds (a review
// started with one decision, a manager's proposal of a leaving date), for the fixtures that
// must use every table. It expects the manager "mgr" useRetentionTables adds.
func usePeopleTables(t *testing.T, st *Store, owner *Session) {
	t.Helper()
	ctx := context.Background()
	shops := must[[]Shop](t)(owner.Shops(ctx))
	leaver := must[string](t)(owner.AddUser(ctx, NewUser{Username: "leaver", Password: staffPW, Roles: []Role{RoleSales}, ShopID: shops[0].ID}))
	mgr := signIn(t, st, "mgr", staffPW)
	must[string](t)(mgr.ProposeStaffChange(ctx, leaver, ProposeLeave, nil, st.opts.Now().Add(14*24*time.Hour)))
	must[string](t)(owner.StartReview(ctx))
	if err := owner.DecideAccount(ctx, owner.User().ID, DecisionCertify, nil); err != nil {
		t.Fatal(err)
	}
	useAlertTables(t, st, owner)
}
