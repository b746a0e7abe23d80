package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Shop is a shop of the chain.
type Shop struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
}

// Shops lists the chain's shops (business data: every signed-in user may list them).
func (ss *Session) Shops(ctx context.Context) ([]Shop, error) {
	rows, err := ss.s.db.QueryContext(ctx, "SELECT id, name, region, currency FROM shops ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Shop
	for rows.Next() {
		var s Shop
		if err := rows.Scan(&s.ID, &s.Name, &s.Region, &s.Currency); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ShopByName finds a shop by its exact name.
func (ss *Session) ShopByName(ctx context.Context, name string) (Shop, error) {
	shops, err := ss.Shops(ctx)
	if err != nil {
		return Shop{}, err
	}
	for _, s := range shops {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Shop{}, fmt.Errorf("shop: %w", ErrNotFound)
}

// AddShop adds a shop with its own scope key (owner only).
func (ss *Session) AddShop(ctx context.Context, name, region, currency string) (string, error) {
	var id string
	err := ss.write(ctx, "shop.create", func(w *wtx) error {
		if _, err := ss.allow(OpUsers, target{any: true}); err != nil {
			return err
		}
		var err error
		id, err = w.addShop(strings.TrimSpace(name), region, currency)
		return err
	})
	return id, err
}

// AddUser adds a staff account (owner only).
func (ss *Session) AddUser(ctx context.Context, n NewUser) (string, error) {
	var id string
	err := ss.write(ctx, "user.create", func(w *wtx) error {
		if _, err := ss.allow(OpUsers, target{any: true}); err != nil {
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
	return ss.write(ctx, "user.update", func(w *wtx) error {
		w.audit.Target = id
		if _, err := ss.allow(OpUsers, target{any: true}); err != nil {
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
		if roles != nil {
			names := make([]string, 0, len(roles))
			for _, r := range roles {
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
			if needsShop(roles) && !u.shopID.Valid {
				return &FieldError{"shop", "a manager, sales or mechanic account needs a shop"}
			}
			w.audit.Fields = append(w.audit.Fields, "roles")
			w.audit.Detail = "roles=" + u.roles
		}
		if active != nil {
			if id == ss.user.ID && !*active {
				return &FieldError{"active", "you cannot deactivate yourself"}
			}
			u.active = *active
			w.audit.Fields = append(w.audit.Fields, "active")
		}
		if password != nil {
			if err := checkPassword(*password); err != nil {
				return err
			}
			u.passwordHash = hashPassword(*password, ss.s.opts.KDF)
			u.failed, u.lockedUntil = 0, 0
			w.audit.Fields = append(w.audit.Fields, "password_hash")
		}
		return w.writeUser(u, false)
	})
}

// AuditFilter narrows the audit trail.
type AuditFilter struct {
	UserID string
	Action string // prefix, e.g. "customer."
	Since  time.Time
	Limit  int
}

// AuditLog returns audit entries, newest first: all (owner), their shop's staff (manager),
// or all without break-glass reasons (auditor, who sees no personal data).
func (ss *Session) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	g, err := ss.require(ctx, OpAudit, target{any: true}, "audit.read", "")
	if err != nil {
		return nil, err
	}
	q := "SELECT a.seq, a.at, a.user_id, COALESCE(u.username, ''), a.device_id, a.action, a.target, a.fields, a.outcome, a.detail, a.reason FROM audit a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1"
	var args []any
	if g == ShopOnly {
		q += " AND u.shop_id = ?"
		args = append(args, ss.user.ShopID)
	}
	if f.UserID != "" {
		q += " AND a.user_id = ?"
		args = append(args, f.UserID)
	}
	if f.Action != "" {
		q += " AND a.action LIKE ? ESCAPE '\\'"
		args = append(args, strings.NewReplacer("%", "\\%", "_", "\\_").Replace(f.Action)+"%")
	}
	if !f.Since.IsZero() {
		q += " AND a.at >= ?"
		args = append(args, f.Since.UnixMilli())
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY a.seq DESC LIMIT %d", f.Limit)
	rows, err := ss.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		var fields string
		var reason []byte
		if err := rows.Scan(&r.Seq, &at, &r.UserID, &r.Username, &r.DeviceID, &r.Action, &r.Target, &fields, &r.Outcome, &r.Detail, &reason); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at)
		if fields != "" {
			r.Fields = strings.Split(fields, ",")
		}
		if reason != nil && g != NoPII {
			if r.Reason, err = ss.s.openReason(ctx, r.Seq, reason); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: "audit.read", Detail: fmt.Sprintf("entries=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
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
// them if any record's MAC fails: a role edited in the file is never shown or used.
func (s *Store) verifiedUsers(ctx context.Context, where string, args ...any) ([]*userRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE "+where+" ORDER BY username", args...)
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
	for _, u := range out {
		if err := s.trusted(ctx, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}
