package app

import "spoke/store"

// can reports whether the signed-in user may perform op at all: the store's answer
// (Session.May); the store still decides per row when the operation runs.
func (a *App) can(op store.Op) bool { return a.ss != nil && a.ss.May(op) }

func (a *App) has(r store.Role) bool { return a.user.Has(r) }

func (a *App) canCreateJobs() bool {
	return a.has(store.RoleOwner) || a.has(store.RoleManager) || a.has(store.RoleSales)
}

// canRestore reports whether the user may restore (the owner; a manager may only back up).
func (a *App) canRestore() bool { return a.can(store.OpRestore) }
