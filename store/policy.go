package store

// Op is one row of DESIGN.md's access matrix.
type Op string

// The operations of the access matrix.
const (
	OpCustomerPIIOwn   Op = "customer PII, own customers"
	OpCustomerPIIOther Op = "customer PII, others"
	OpCustomerWrite    Op = "create / edit customer"
	OpCustomerDelete   Op = "delete customer"
	OpWorkOrders       Op = "work orders"
	OpSales            Op = "sales"
	OpStats            Op = "aggregate statistics"
	OpCampaigns        Op = "campaigns"
	OpBulk             Op = "bulk export / bulk delete"
	OpDataSubject      Op = "data-subject export / erasure"
	OpAudit            Op = "audit log, alerts"
	OpUsers            Op = "users, roles, permission review"
	OpBackup           Op = "backup"
	OpRestore          Op = "restore"
	OpDevices          Op = "devices, keys, enrollment"
)

// Ops lists the matrix rows in DESIGN.md's order (plus sales, which follows work orders).
var Ops = []Op{OpCustomerPIIOwn, OpCustomerPIIOther, OpCustomerWrite, OpCustomerDelete, OpWorkOrders, OpSales,
	OpStats, OpCampaigns, OpBulk, OpDataSubject, OpAudit, OpUsers, OpBackup, OpRestore, OpDevices}

// Grant is how far a role may perform an operation.
type Grant string

// The grants. Deny is the zero value, so a missing matrix cell denies.
const (
	Deny           Grant = ""
	All            Grant = "all"             // every shop
	ShopOnly       Grant = "shop"            // rows of the user's own shop
	Own            Grant = "own"             // rows the user owns (sales: their customers)
	BreakGlass     Grant = "break-glass"     // with a reason, audited, minimal fields
	Assigned       Grant = "assigned"        // mechanic: jobs assigned to them, name and phone only
	AllShopsAggr   Grant = "all shops"       // marketing: aggregates over all shops
	SecondApprover Grant = "second approver" // allowed, but held for a second approver
	Request        Grant = "request"         // may ask someone who holds the grant
	NoPII          Grant = "no PII"          // auditor: the trail without reasons or values
)

// matrix is DESIGN.md's access matrix. Every check in the store reads it; the tests compare it
// cell by cell with the design and exercise it through the Session. It is unexported data:
// callers outside the store ask Session.May, and every operation checks it itself.
var matrix = map[Op]map[Role]Grant{
	OpCustomerPIIOwn:   {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Own},
	OpCustomerPIIOther: {RoleOwner: All, RoleManager: ShopOnly, RoleSales: BreakGlass, RoleMechanic: Assigned},
	OpCustomerWrite:    {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Own},
	OpCustomerDelete:   {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Request},
	OpWorkOrders:       {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Own, RoleMechanic: Assigned},
	OpSales:            {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Own},
	OpStats:            {RoleOwner: All, RoleManager: ShopOnly, RoleSales: Own, RoleMarketing: AllShopsAggr},
	OpCampaigns:        {RoleOwner: All, RoleManager: ShopOnly, RoleMarketing: All},
	OpBulk:             {RoleOwner: SecondApprover, RoleManager: SecondApprover},
	OpDataSubject:      {RoleOwner: All, RoleManager: ShopOnly},
	OpAudit:            {RoleOwner: All, RoleManager: ShopOnly, RoleAuditor: NoPII},
	OpUsers:            {RoleOwner: All},
	OpBackup:           {RoleOwner: All, RoleManager: All},
	OpRestore:          {RoleOwner: All},
	OpDevices:          {RoleOwner: All},
}

// target describes the row an operation touches.
type target struct {
	shopID   string
	ownerID  string
	assigned bool // the user is the mechanic of an open job of this customer
	any      bool // no particular row (lists, aggregates): ask "may the user do this at all"
}

// grants returns the user's grants for op across all their roles.
func (u *User) grants(op Op) []Grant {
	var out []Grant
	for _, r := range u.Roles {
		if g := matrix[op][r]; g != Deny {
			out = append(out, g)
		}
	}
	return out
}

// permits reports which grant, if any, lets u perform op on t. It prefers the widest grant.
func (u *User) permits(op Op, t target) (Grant, bool) {
	best, ok := Deny, false
	for _, g := range u.grants(op) {
		var fits bool
		switch g {
		case All, AllShopsAggr, NoPII:
			fits = true
		case ShopOnly:
			fits = t.any || (u.ShopID != "" && t.shopID == u.ShopID)
		case Own:
			// Owning a customer is not enough: sales are scoped to their shop like every
			// shop role, so a row (or a new customer, sale, job or import) in another shop
			// is refused even when the salesperson is named as its owner.
			fits = t.any || (t.ownerID == u.ID && t.shopID == u.ShopID)
		case BreakGlass:
			fits = t.any || (u.ShopID != "" && t.shopID == u.ShopID)
		case Assigned:
			fits = t.any || t.assigned
		case SecondApprover, Request:
			fits = true
		}
		if fits && (!ok || rank(g) > rank(best)) {
			best, ok = g, true
		}
	}
	return best, ok
}

func rank(g Grant) int {
	switch g {
	case All, AllShopsAggr:
		return 9
	case ShopOnly, NoPII:
		return 8
	case Own:
		return 7
	case SecondApprover:
		return 6
	case Assigned:
		return 5
	case BreakGlass:
		return 4
	case Request:
		return 1
	}
	return 0
}

// May reports whether the user's roles grant op at all (on some row): what the GUI asks to
// show or hide a screen or a button. It audits nothing and decides nothing: every operation
// checks its own grant, per row, and audits a denial.
func (ss *Session) May(op Op) bool {
	g, ok := ss.permits(op, target{any: true})
	return ok && g != Request
}
