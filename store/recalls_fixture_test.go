package store

import (
	"context"
	"testing"
)

// useRecallTables writes a row of every table issue 14's recalls add: a recall of the first
// shop with a serial list, and a notice of its one affected bike.
func useRecallTables(t *testing.T, owner *Session) {
	t.Helper()
	ctx := context.Background()
	shops := must[[]Shop](t)(owner.Shops(ctx))
	c := must[string](t)(owner.CreateCustomer(ctx, CustomerInput{Name: "Recall Fixture", ShopID: shops[0].ID}))
	bike := must[string](t)(owner.AddBike(ctx, c, Bike{Make: "Trek", Model: "Fuel", Year: 2022, Serial: "WTU000RECALL1"}))
	id := must[string](t)(owner.CreateRecall(ctx, RecallInput{ShopID: shops[0].ID, Make: "Trek", Models: []string{"Fuel"}, YearFrom: 2021, YearTo: 2023,
		Reference: "TRK-1", Title: "Fork steerer", IssuedOn: "2026-11-30", Serials: []string{"WTU000RECALL1"}}))
	must[string](t)(owner.RecordRecallNotice(ctx, RecallNoticeInput{RecallID: id, BikeID: bike, Channel: NoticePhone, Outcome: NoticeReached}))
}
