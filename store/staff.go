package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Usernames lists the active accounts' usernames for the sign-in picker of a shared counter
// machine. Usernames are business data; display names (personal) are not returned, and
// deactivated accounts are left out.
func (s *Store) Usernames(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, s.db, "SELECT username FROM users WHERE active = 1 ORDER BY username")
}

// Staff lists the active staff directory (usernames, roles, shop), which every signed-in user
// may see to pick a mechanic or a customer's salesperson, like StaffByUsername. Each record's
// MAC is checked, so a role edited in the file is refused rather than shown.
func (ss *Session) Staff(ctx context.Context) ([]Staff, error) {
	raw, err := ss.s.verifiedUsers(ctx, "active = 1")
	if err != nil {
		return nil, err
	}
	out := make([]Staff, 0, len(raw))
	for _, u := range raw {
		out = append(out, u.staff())
	}
	return out, nil
}

// AddUser adds a staff account (owner only).
func (ss *Session) AddUser(ctx context.Context, n NewUser) (string, error) {
	var id string
	err := ss.write(ctx, "user.create", func(w *wtx) error {
		if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
			return err
		}
		if n.ShopID == "" && needsShop(n.Roles) {
			return &FieldError{"shop", "a manager, sales or mechanic account needs a shop"}
		}
		var err error
		id, err = w.addUser(n, "")
		return err
	})
	return id, err
}

func needsShop(roles []Role) bool {
	return slices.ContainsFunc(roles, func(r Role) bool { return r == RoleManager || r == RoleSales || r == RoleMechanic })
}

// Users lists staff accounts (owner only), verifying each record's MAC.
func (ss *Session) Users(ctx context.Context) ([]User, error) {
	if _, err := ss.require(ctx, OpUsers, target{any: true}, "user.list", ""); err != nil {
		return nil, err
	}
	raw, err := ss.s.verifiedUsers(ctx, "1 = 1")
	if err != nil {
		return nil, err
	}
	var out []User
	for _, r := range raw {
		u, err := ss.s.toUser(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

// UserByName returns one account by username (owner only).
func (ss *Session) UserByName(ctx context.Context, username string) (User, error) {
	users, err := ss.Users(ctx)
	if err != nil {
		return User{}, err
	}
	for _, u := range users {
		if u.Username == username {
			return u, nil
		}
	}
	return User{}, fmt.Errorf("user: %w", ErrNotFound)
}

// UpdateUser changes a staff account's roles, active flag or password (owner only). Nil
// arguments leave a value unchanged. Resetting the password also clears a lock-out.
func (ss *Session) UpdateUser(ctx context.Context, id string, roles []Role, active *bool, password *string) error {
	if roles != nil {
		if err := ss.fresh(ctx, "user.update", id); err != nil {
			return err
		}
	}
	return ss.write(ctx, "user.update", func(w *wtx) error {
		return w.changeUser(ss, id, staffChange{roles: roles, active: active, password: password})
	})
}

// staffChange is what changeUser changes of a staff record; nil fields stay as they are.
type staffChange struct {
	roles    []Role
	active   *bool
	password *string
	leavesAt *int64 // unix ms; 0 clears the leaving date
}

// changeUser changes a staff record inside w (owner only: the record is signed by this owner
// device) and names the changed fields in w's audit entry.
func (w *wtx) changeUser(ss *Session, id string, c staffChange) error {
	ctx := w.ctx
	w.audit.Target = id
	if _, err := w.allow(ss, OpUsers, target{any: true}); err != nil {
		return err
	}
	u, err := scanUser(w.tx.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := ss.s.trusted(ctx, u); err != nil {
		return err
	}
	if c.roles != nil {
		names := make([]string, 0, len(c.roles))
		for _, r := range c.roles {
			if _, err := ParseRole(string(r)); err != nil {
				return err
			}
			names = append(names, string(r))
		}
		if len(names) == 0 {
			return &FieldError{"role", "at least one role is required"}
		}
		slices.Sort(names)
		u.roles = strings.Join(slices.Compact(names), ",")
		if needsShop(c.roles) && !u.shopID.Valid {
			return &FieldError{"shop", "a manager, sales or mechanic account needs a shop"}
		}
		if id == ss.user.ID && !strings.Contains(u.roles, string(RoleOwner)) {
			return &FieldError{"role", "you cannot take the owner role from yourself"}
		}
		w.audit.Fields = append(w.audit.Fields, "roles")
		w.audit.Detail = "roles=" + u.roles
	}
	if c.active != nil {
		if id == ss.user.ID && !*c.active {
			return &FieldError{"active", "you cannot deactivate yourself"}
		}
		u.active = *c.active
		w.audit.Fields = append(w.audit.Fields, "active")
	}
	if c.password != nil {
		if err := ss.s.opts.checkPassword(u.username, *c.password); err != nil {
			return err
		}
		u.passwordHash = hashPassword(*c.password, ss.s.opts.KDF)
		u.failed, u.lockedUntil = 0, 0
		w.audit.Fields = append(w.audit.Fields, "password_hash")
	}
	if c.leavesAt != nil {
		if id == ss.user.ID && *c.leavesAt != 0 {
			return &FieldError{"leaving", "you cannot set your own leaving date"}
		}
		if *c.leavesAt < 0 {
			return &FieldError{"leaving", "is not a date"}
		}
		u.leavesAt = *c.leavesAt
		w.audit.Fields = append(w.audit.Fields, "leaves_at")
	}
	return w.writeUser(u, false)
}

// Staff is the staff directory entry every signed-in user may see (to pick an owner or a
// mechanic): no password data, no lock-out state.
type Staff struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Roles    []Role `json:"roles"`
	ShopID   string `json:"shop_id,omitempty"`
	Active   bool   `json:"active"`
}

// StaffByUsername looks a colleague up by username. What they may then be assigned is
// checked by the operation that uses them.
func (ss *Session) StaffByUsername(ctx context.Context, username string) (Staff, error) {
	us, err := ss.s.verifiedUsers(ctx, "username = ?", username)
	if err != nil {
		return Staff{}, err
	}
	if len(us) == 0 {
		return Staff{}, fmt.Errorf("user: %w", ErrNotFound)
	}
	return us[0].staff(), nil
}

// staff is the directory entry of a user row.
func (u *userRow) staff() Staff {
	out := Staff{ID: u.id, Username: u.username, ShopID: u.shopID.String, Active: u.active}
	for _, r := range strings.Split(u.roles, ",") {
		if r != "" {
			out.Roles = append(out.Roles, Role(r))
		}
	}
	return out
}

// verifiedUsers loads the user rows matching where (ordered by username), refusing all of
// them if any record's MAC, owner signature or version fails: a role edited in the file is
// never shown or used.
func (s *Store) verifiedUsers(ctx context.Context, where string, args ...any) ([]*userRow, error) {
	return s.verifiedUsersVia(ctx, s.db, where, args...)
}

// verifiedUsersVia is verifiedUsers read through q (a write's transaction, say).
func (s *Store) verifiedUsersVia(ctx context.Context, q querier, where string, args ...any) ([]*userRow, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE "+where+" ORDER BY username", args...)
	if err != nil {
		return nil, err
	}
	var out []*userRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	uv, err := loadUserVersions(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, u := range out {
		if err := s.authentic(ctx, u); err != nil {
			return nil, err
		}
		if err := s.ownerSigned(ctx, q, u); err != nil {
			return nil, err
		}
		if err := uv.check(u); err != nil {
			return nil, err
		}
	}
	return out, nil
}
