package store

import (
	"context"
	"testing"
)

// TestSubjectExportHoldsTheirRequests: a person's own requests are in their access export, and
// another customer's are not.
func TestSubjectExportHoldsTheirRequests(t *testing.T) {
	f := newSubjectFixture(t)
	ctx := context.Background()
	owner := f.users["mia"] // the shop's manager answers for it
	mine := must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: f.a, Type: "access", Channel: "email"}))
	must[string](t)(owner.NewRequest(ctx, RequestInput{SubjectID: f.b, Type: "erasure", Channel: "counter"}))
	d := must[*SubjectData](t)(owner.SubjectExport(ctx, f.a))
	var got *SubjectSection
	for i := range d.Sections {
		if d.Sections[i].Name == "privacy_requests" {
			got = &d.Sections[i]
		}
	}
	if got == nil || len(got.Rows) != 1 || got.Rows[0][0] != "access" || got.Rows[0][1] != "email" {
		t.Fatalf("requests section %+v (request %s)", got, mine)
	}
}
