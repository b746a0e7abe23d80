package store

import (
	"context"
	"fmt"
)

// PrivacyDoc is a document about the processing itself, built from the shops' settings: it
// holds no customer data, but it speaks for the shops, so it takes the data-subject grant.
type PrivacyDoc string

// The privacy documents.
const (
	DocRecord PrivacyDoc = "records.export" // the GDPR Art. 30 record of processing activities
	DocNotice PrivacyDoc = "records.notice" // the privacy notice for the counter
)

// PrivacyShops returns the shops a record of processing or a privacy notice may speak for:
// every shop for the owner, their own shop for a manager (OpDataSubject). shopID narrows it to
// one shop ("" = every shop in reach); a shop out of reach is refused. It is audited under the
// document's action with the number of shops.
func (ss *Session) PrivacyShops(ctx context.Context, doc PrivacyDoc, shopID string) ([]Shop, error) {
	if doc != DocRecord && doc != DocNotice {
		return nil, fmt.Errorf("unknown privacy document %q", doc)
	}
	action := string(doc)
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, action, shopID)
	if err != nil {
		return nil, err
	}
	all, err := ss.Shops(ctx)
	if err != nil {
		return nil, err
	}
	var out []Shop
	found := shopID == ""
	for _, s := range all {
		if shopID != "" && s.ID != shopID {
			continue
		}
		found = true
		if _, ok := ss.permits(OpDataSubject, target{shopID: s.ID}); ok && (g == All || s.ID == ss.user.ShopID) {
			out = append(out, s)
		}
	}
	if !found {
		return nil, fmt.Errorf("shop %s: %w", shopID, ErrNotFound)
	}
	if len(out) == 0 {
		ss.s.auditAlone(ctx, ss.actor(), auditEntry{Action: action, Target: shopID, Outcome: "denied"})
		return nil, ErrForbidden
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: action, Target: shopID, Detail: fmt.Sprintf("shops=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
