package app

import "spoke/store"

// can reports whether the signed-in user's roles grant op at all (the store decides per row).
func (a *App) can(op store.Op) bool {
	for _, r := range a.user.Roles {
		if store.Matrix[op][r] != store.Deny && store.Matrix[op][r] != store.Request {
			return true
		}
	}
	return false
}

func (a *App) has(r store.Role) bool { return a.user.Has(r) }

func (a *App) canCreateJobs() bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) || a.has(store.RoleSales)
}

// canRestore reports whether a role grants backups in full (restore included): the owner.
// A manager's grant is backup only.
func (a *App) canRestore() bool {
	for _, r := range a.user.Roles {
		if store.Matrix[store.OpBackup][r] == store.All {
			return true
		}
	}
	return false
}
