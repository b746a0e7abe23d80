// Package demo generates a realistic, deterministic synthetic bike-shop chain for demos, tests
// and benchmarks (Generate), and loads it into a database (Load, CreateShop).
//
// Generation is pure: everything is derived from Options through one seeded PCG stream, so
// the same Options give identical values on every machine and Go release that keeps
// math/rand/v2's PCG stable, and the result is plain Go values. Loading sits above the store:
// it writes only through the store's batch write unit (store.Session.Batch), so a demo shop
// is validated, sealed, indexed, change-logged and audited like any other data, and the store
// never imports this package. Neither part touches the network.
package demo

import "time"

// Shop is one store of the chain.
type Shop struct {
	Key      string // short stable handle, "shop1"
	Name     string
	Region   string // ISO 3166-1 alpha-2
	Currency string // ISO 4217; all prices of the shop are in its minor units
}

// Staff is a user account. Password is generated from the seed so demo sign-in is repeatable;
// it is not a secret and must never be reused outside demos.
type Staff struct {
	Username    string // lowercase ASCII, unique
	DisplayName string
	Role        string // owner, manager, sales, mechanic, marketing or auditor
	ShopKey     string // "" for the org-wide roles owner, marketing and auditor
	Password    string // three words and two digits, at least 16 characters
}

// Customer is a person on a shop's books, with the bikes the shop knows about.
type Customer struct {
	Key           string // "c000001"; numbered in order of CreatedAt
	ShopKey       string
	OwnerUsername string // a sales user of the shop, or its manager
	Name          string
	Email         string // "" when the customer gave none; otherwise unique, on a reserved example domain
	Phone         string // E.164 for the shop's region; unique
	Address       string // postal address as written in the shop's country
	Birthday      string // "YYYY-MM-DD" or ""
	Notes         string
	CreatedAt     time.Time // before any of the customer's sales and work orders
	Bikes         []Bike
}

// Bike is a customer's bicycle.
type Bike struct {
	Key       string // "b000001"
	Make      string
	Model     string
	Year      int
	Type      string // road, gravel, mtb, hybrid, e-bike, kids, cargo or bmx
	FrameSize string // in the make's convention: "54", "M", "17.5in", "20in"
	Colour    string
	Serial    string // frame number in the make's format; unique across the chain
}

// Line is one line of a work order or sale.
type Line struct {
	Kind        string // "labour" or "part"
	SKU         string
	Description string
	Qty         int   // at least 1
	UnitPrice   int64 // minor units of the shop's currency, never negative
}

// WorkOrder is a repair ticket for one bike.
type WorkOrder struct {
	Key              string // "w000001"; numbered in order of CreatedAt
	CustomerKey      string
	BikeKey          string // always one of the customer's bikes
	ShopKey          string
	Status           string // intake, estimate, approved, in_progress, waiting_parts, ready, collected or cancelled
	MechanicUsername string // a mechanic of the shop; "" only for some intake tickets
	Complaint        string
	Notes            string
	Lines            []Line // empty for intake and some cancelled tickets
	CreatedAt        time.Time
	PromisedAt       time.Time // after CreatedAt; may be past for late jobs
	ClosedAt         time.Time // zero unless collected or cancelled
}

// Sale is a till receipt.
type Sale struct {
	Key            string // "s000001"; numbered in order of At
	CustomerKey    string
	ShopKey        string
	SellerUsername string // a sales user of the shop
	PaymentMethod  string // card, cash, bank_transfer or gift_card
	At             time.Time
	Lines          []Line
}

// Chain is a whole generated dataset.
type Chain struct {
	Shops      []Shop
	Staff      []Staff
	Customers  []Customer
	WorkOrders []WorkOrder
	Sales      []Sale
}

// Options selects the dataset. Generation is a pure function of it.
type Options struct {
	Customers int    // number of customers; below 1000 the chain has 2 shops, otherwise 3
	Seed      uint64 // different seeds give different but equally shaped chains
	// Now anchors all timestamps (whole seconds, UTC): sales span the two years before it.
	// Zero means 2026-11-01T12:00:00Z, so that tests do not depend on the clock.
	Now time.Time
}

// defaultNow is used when Options.Now is zero.
var defaultNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// statuses lists work order statuses in the order a ticket moves through them.
var statuses = []string{"intake", "estimate", "approved", "in_progress", "waiting_parts", "ready", "collected", "cancelled"}

// Generate builds a chain. Every shop has at least one work order in every status as long
// as every shop has a customer, i.e. when Options.Customers is at least the number of shops.
func Generate(opts Options) *Chain {
	g := newGen(opts)
	g.genShops()
	g.genStaff()
	g.genCustomers()
	g.ensureStatuses()
	g.finish()
	return g.c
}

// Counts sizes the chain, for tests and printing. Keys: shops, staff, customers, bikes,
// work_orders, sales, sale_lines, work_order_lines.
func (c *Chain) Counts() map[string]int {
	m := map[string]int{
		"shops":            len(c.Shops),
		"staff":            len(c.Staff),
		"customers":        len(c.Customers),
		"work_orders":      len(c.WorkOrders),
		"sales":            len(c.Sales),
		"bikes":            0,
		"work_order_lines": 0,
		"sale_lines":       0,
	}
	for i := range c.Customers {
		m["bikes"] += len(c.Customers[i].Bikes)
	}
	for i := range c.WorkOrders {
		m["work_order_lines"] += len(c.WorkOrders[i].Lines)
	}
	for i := range c.Sales {
		m["sale_lines"] += len(c.Sales[i].Lines)
	}
	return m
}
