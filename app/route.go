package app

import "spoke/store"

// A route is a place in the signed-in window. A screen that wants another screen shown asks
// a.navigate(route); the shell, which alone holds the screens, takes the window there. So no
// screen reaches into another's fields, and a screen the user's roles do not have is simply
// not a destination (navigate reports false).
type route interface{ isRoute() }

// routeFindCustomer is the customer search, with the cursor in the search field.
type routeFindCustomer struct{}

// routeNewCustomer is the new-customer form.
type routeNewCustomer struct{}

// routeNewWorkOrder is the new-work-order form, for Card (and its bike BikeID) if set. With
// OpenCustomer the form is for the customer whose card is on show in the customers tab, if
// that tab is the current one.
type routeNewWorkOrder struct {
	Card         *store.CustomerCard
	BikeID       string
	OpenCustomer bool
}

// routeJob is one work order of a customer.
type routeJob struct{ CustomerID, WorkOrderID string }

// routeNewSale is the sales desk with a customer preset (all "" for a walk-in).
type routeNewSale struct{ CustomerID, Name, ShopID string }

func (routeFindCustomer) isRoute() {}
func (routeNewCustomer) isRoute()  {}
func (routeNewWorkOrder) isRoute() {}
func (routeJob) isRoute()          {}
func (routeNewSale) isRoute()      {}

// navigate takes the window to r; false when nobody is signed in or the user's roles have no
// screen for it.
func (a *App) navigate(r route) bool {
	if a.Shell == nil {
		return false
	}
	return a.Shell.navigate(r)
}

func (s *Shell) navigate(r route) bool {
	switch r := r.(type) {
	case routeFindCustomer:
		if s.Customers == nil {
			return false
		}
		s.Show(tabCustomers)
		s.Customers.showList()
		s.a.W.Canvas().Focus(s.Customers.Search)
	case routeNewCustomer:
		if s.Customers == nil {
			return false
		}
		s.Show(tabCustomers)
		s.Customers.NewCustomer()
	case routeNewWorkOrder:
		if s.Board == nil {
			return false
		}
		card := r.Card
		if r.OpenCustomer && card == nil {
			card = s.openCustomer()
		}
		s.Show(tabBoard)
		s.Board.NewWorkOrder(card, r.BikeID)
	case routeJob:
		if s.Board == nil {
			return false
		}
		s.Show(tabBoard)
		s.Board.OpenJob(r.CustomerID, r.WorkOrderID)
	case routeNewSale:
		if s.Sales == nil {
			return false
		}
		s.Show(tabSales)
		s.Sales.SetCustomer(r.CustomerID, r.Name, r.ShopID)
	default:
		return false
	}
	return true
}

// openCustomer is the customer whose card is on show, while the customers tab is current.
func (s *Shell) openCustomer() *store.CustomerCard {
	if cs := s.Customers; cs != nil && cs.Card != nil && s.current == tabCustomers {
		return cs.Card.card
	}
	return nil
}

// customersChanged tells the customer search that customers were added (an import), so the
// list it shows is run again.
func (a *App) customersChanged() {
	if a.Shell != nil && a.Shell.Customers != nil {
		a.Shell.Customers.runSearch()
	}
}

// refreshShown reloads a tab's screen if it is the one on show.
func (s *Shell) refreshShown(tab string) {
	if s.current == tab && s.items[tab] != nil {
		s.refreshers[tab]()
	}
}
