package app

import (
	"spoke/store"
	"spoke/store/contact"
)

// shopByID returns a shop from the cached list.
func (a *App) shopByID(id string) (store.Shop, bool) {
	for _, s := range a.shops {
		if s.ID == id {
			return s, true
		}
	}
	return store.Shop{}, false
}

// phone shows a stored E.164 number the way people write it in the customer's shop's country
// (the user's shop when it is not known); E.164 stays underneath, in the store.
func (a *App) phone(e164, shopID string) string {
	region := a.userShop().Region
	if s, ok := a.shopByID(shopID); ok {
		region = s.Region
	}
	return contact.FormatPhone(e164, region)
}

// userShop is the signed-in user's shop, or the first shop for org-wide users.
func (a *App) userShop() store.Shop {
	if s, ok := a.shopByID(a.user.ShopID); ok {
		return s
	}
	if len(a.shops) > 0 {
		return a.shops[0]
	}
	return store.Shop{Region: "US", Currency: "USD"}
}

// mechanics lists the active mechanics of a shop ("" = every shop).
func (a *App) mechanics(shopID string) []store.Staff {
	var out []store.Staff
	for _, s := range a.staff {
		for _, r := range s.Roles {
			if r == store.RoleMechanic && (shopID == "" || s.ShopID == shopID) {
				out = append(out, s)
			}
		}
	}
	return out
}
