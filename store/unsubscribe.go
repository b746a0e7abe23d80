package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// One-click unsubscribe (RFC 8058). Every consented message carries an opaque token per
// customer and purpose: HMAC-SHA-256, under a key of the shop derived from its erasure-ledger
// key, of the customer id and the purpose, in base64url (43 characters). It names nobody to
// anyone without the shop's key. The shop keeps SHA-256(token) in unsubscribe_tokens (synced,
// so every device of the shop resolves it) and registers the same hash at the hub, which
// holds nothing else: the recipient's one-click POST to https://HUB/u/TOKEN is recorded there
// as a click on a hash, and the shop's devices pull the clicks and record each as a withdrawal
// of that purpose by e-mail (source unsubscribe_link, by the system principal). A shop without
// a hub gets the mailto: fallback: the reply's subject carries the token, and the counter
// records it with UnsubscribeByToken (source email_reply).
//
// A lying hub can relay a click nobody made, for a hash it was given: it can withdraw a
// consent (stop messages), never grant one, and it cannot tell whose consent it withdrew.

// errBadToken means a token row is not one this shop's key makes: it decides nothing.
var errBadToken = errors.New("unsubscribe token row does not match the shop's key")

// unsubscribeActor is the principal that records a relayed click.
var unsubscribeActor, _ = System("unsubscribe").auditActor()

// UnsubscribeClick is a click the hub relayed: the token's hash and when it was made.
type UnsubscribeClick struct {
	Seq  int64
	Hash string
	At   time.Time
}

// unsubscribeToken derives the token of a customer and purpose.
func (s *Store) unsubscribeToken(ctx context.Context, shopID, customerID string, p Purpose) (string, error) {
	k, err := s.shopSubKey(ctx, s.db, shopID, purposeUnsubscribe)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte(customerID + "\x00" + string(p)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// TokenHash is the hex SHA-256 of a token: what the shop and the hub keep.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func unsubscribeRowID(hash string) string {
	h := sha256.Sum256([]byte("spoke/unsubscribe-token/v1\x00" + hash))
	u, _ := uuid.FromBytes(h[:16])
	u[6] = (u[6] & 0x0f) | 0x80
	u[8] = (u[8] & 0x3f) | 0x80
	return u.String()
}

// putUnsubscribeToken records a token's hash for a customer and purpose, once.
func (w *wtx) putUnsubscribeToken(shopID, customerID string, p Purpose, token string) (bool, error) {
	hash := TokenHash(token)
	id := unsubscribeRowID(hash)
	var have int
	if err := w.tx.QueryRowContext(w.ctx, "SELECT count(*) FROM unsubscribe_tokens WHERE id = ?", id).Scan(&have); err != nil {
		return false, err
	}
	if have > 0 {
		return false, nil
	}
	return true, w.insert("unsubscribe_tokens", shopID, id, []col{plain("shop_id", shopID), plain("customer_id", customerID),
		plain("purpose", string(p)), plain("token_hash", hash), plain("created_at", w.now)})
}

const (
	metaUnsubRegistered = "unsubscribe.registered." // + scope: the newest created_at registered
	metaUnsubCursor     = "unsubscribe.cursor."     // + scope: the newest click seq applied
)

// UnsubscribeHashes returns the token hashes of a shop to register at the hub: every one made
// since the last registration (less a day, for rows that arrived late by sync; the hub takes a
// hash twice without harm), and the mark to pass to MarkUnsubscribeRegistered once the hub
// holds them all. The caller sends them in requests of the hub's size.
func (s *Store) UnsubscribeHashes(ctx context.Context, shopID string) ([]string, int64, error) {
	since, err := s.metaInt(ctx, metaUnsubRegistered+shopID)
	if err != nil {
		return nil, 0, err
	}
	from := since - int64(24*time.Hour/time.Millisecond)
	rows, err := s.db.QueryContext(ctx, "SELECT id, token_hash, created_at FROM unsubscribe_tokens WHERE shop_id = ? AND created_at >= ? ORDER BY created_at, id", shopID, from)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []string
	mark := since
	for rows.Next() {
		var id, h string
		var at int64
		if err := rows.Scan(&id, &h, &at); err != nil {
			return nil, 0, err
		}
		if id != unsubscribeRowID(h) {
			continue // not a row this scheme wrote: never registered
		}
		out = append(out, h)
		mark = max(mark, at)
	}
	return out, mark, rows.Err()
}

// MarkUnsubscribeRegistered records that the hub holds a shop's hashes up to mark.
func (s *Store) MarkUnsubscribeRegistered(ctx context.Context, shopID string, mark int64) error {
	return s.putMeta(ctx, s.db, metaUnsubRegistered+shopID, []byte(strconv.FormatInt(mark, 10)))
}

// UnsubscribeCursor is the newest click of a shop this device applied.
func (s *Store) UnsubscribeCursor(ctx context.Context, shopID string) (int64, error) {
	return s.metaInt(ctx, metaUnsubCursor+shopID)
}

func (s *Store) metaInt(ctx context.Context, key string) (int64, error) {
	v, err := s.metaChecked(ctx, s.db, key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}

// ApplyUnsubscribes records the clicks the hub relayed for a shop: each click on a hash of
// the shop's becomes a withdrawal of the token's purpose by e-mail, unless the customer's
// current decision is a withdrawal already; a hash the shop does not know (or of another
// shop) is skipped and counted. The cursor moves past every click given. One transaction,
// audited with counts as the system principal "system:unsubscribe". It returns how many
// withdrawals it recorded.
func (s *Store) ApplyUnsubscribes(ctx context.Context, shopID string, clicks []UnsubscribeClick) (int, error) {
	if len(clicks) == 0 {
		return 0, nil
	}
	cursor, err := s.UnsubscribeCursor(ctx, shopID)
	if err != nil {
		return 0, err
	}
	n, unknown, bad := 0, 0, 0
	err = s.write(ctx, unsubscribeActor, "consent.unsubscribe", func(w *wtx) error {
		w.audit.Target = shopID
		top := cursor
		for _, c := range clicks {
			if c.Seq <= cursor {
				continue
			}
			top = max(top, c.Seq)
			added, err := w.withdrawByHash(shopID, c.Hash, c.At, unsubscribeActor.userID, SourceUnsubscribe)
			var te *TamperError
			switch {
			case errors.Is(err, ErrNotFound):
				unknown++
				continue
			case errors.As(err, &te) || errors.Is(err, errBadToken):
				// A token row that fails its check (edited, or forged by another device)
				// decides nothing: counted, and the clicks after it still count.
				bad++
				continue
			case err != nil:
				return err
			}
			if added {
				n++
			}
		}
		w.audit.Detail = fmt.Sprintf("clicks=%d withdrawn=%d unknown=%d bad=%d", len(clicks), n, unknown, bad)
		return s.putMeta(ctx, w.tx, metaUnsubCursor+shopID, []byte(strconv.FormatInt(top, 10)))
	})
	return n, err
}

// withdrawByHash records the withdrawal a token's hash stands for. The click's time is
// bounded to [the token's creation, now]: a relayed time cannot put a withdrawal before the
// grant it answers or in the future.
func (w *wtx) withdrawByHash(shopID, hash string, at time.Time, by string, src ConsentSource) (bool, error) {
	var cust, purpose string
	var created int64
	id := unsubscribeRowID(hash)
	err := w.tx.QueryRowContext(w.ctx, "SELECT customer_id, purpose, created_at FROM unsubscribe_tokens WHERE id = ? AND token_hash = ? AND shop_id = ?", id, hash, shopID).
		Scan(&cust, &purpose, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	if err := w.s.checkRow(w.ctx, w.tx, tables["unsubscribe_tokens"], id); err != nil {
		return false, err
	}
	// The row must be the one this shop's key makes for its customer and purpose: a row
	// another device forged to point a real hash at someone else decides nothing.
	p := Purpose(purpose)
	if !slices.Contains(Purposes, p) {
		return false, errBadToken
	}
	if tok, err := w.s.unsubscribeToken(w.ctx, shopID, cust, p); err != nil {
		return false, err
	} else if TokenHash(tok) != hash {
		return false, errBadToken
	}
	c, err := w.s.loadCust(w.ctx, w.tx, cust)
	if errors.Is(err, ErrNotFound) {
		return false, ErrNotFound // erased since
	}
	if err != nil {
		return false, err
	}
	if c.shopID != shopID {
		return false, ErrNotFound
	}
	ms := at.UnixMilli()
	ms = max(ms, created)
	ms = min(ms, w.now)
	cur, err := sendDecision(w.ctx, w.tx, cust, p, ChannelEmail)
	if err != nil {
		return false, err
	}
	if cur != nil && !cur.Granted {
		return false, nil
	}
	if cur != nil && cur.At.UnixMilli() >= ms {
		// A grant recorded after the click (or with a clock ahead): the withdrawal, made
		// by the person, must still be the current decision.
		ms = cur.At.UnixMilli() + 1
	}
	notice := "unsubscribe"
	if cur != nil && cur.Notice != "" {
		notice = cur.Notice
	}
	if err := w.insert("consents", shopID, newID(), []col{
		plain("customer_id", cust), plain("shop_id", shopID), plain("purpose", purpose), plain("channel", string(ChannelEmail)),
		plain("granted", int64(0)), plain("lawful_basis", string(BasisConsent)), plain("source", string(src)),
		plain("notice_version", notice), plain("recorded_by", by), plain("at", ms),
		plain("parental", int64(0)), plain("subject_under_age", int64(0)),
	}); err != nil {
		return false, err
	}
	return true, nil
}

// UnsubscribeByToken records an unsubscribe that came by reply (the mailto: fallback): the
// counter pastes the token from the reply's subject. Whoever may edit the shop's customers may
// do it; the customer is not named back, only whether a withdrawal was recorded.
func (ss *Session) UnsubscribeByToken(ctx context.Context, shopID, token string) (bool, error) {
	shopID, err := ss.reminderShop(shopID)
	if err != nil {
		return false, err
	}
	if len(token) != 43 {
		return false, &FieldError{"token", "an unsubscribe token is 43 characters (from the reply's subject)"}
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return false, &FieldError{"token", "an unsubscribe token is 43 characters (from the reply's subject)"}
	}
	var added bool
	err = ss.write(ctx, "consent.unsubscribe", func(w *wtx) error {
		w.audit.Target = shopID
		var cust string
		hash := TokenHash(token)
		if err := w.tx.QueryRowContext(ctx, "SELECT customer_id FROM unsubscribe_tokens WHERE id = ? AND shop_id = ?", unsubscribeRowID(hash), shopID).Scan(&cust); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("unsubscribe token: %w in this shop", ErrNotFound)
			}
			return err
		}
		c, err := ss.s.loadCust(ctx, w.tx, cust)
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpCustomerWrite, target{shopID: c.shopID, ownerID: c.ownerID}); err != nil {
			return err
		}
		added, err = w.withdrawByHash(shopID, hash, ss.s.opts.Now(), ss.user.ID, SourceEmailReply)
		w.audit.Detail = fmt.Sprintf("withdrawn=%t source=%s", added, SourceEmailReply)
		return err
	})
	return added, err
}
