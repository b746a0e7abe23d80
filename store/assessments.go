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

// Personal-information impact assessments (PIPL Art. 55/56, issue 11 part 7's record). A shop
// that processes sensitive personal information, transfers data abroad, decides automatically,
// or entrusts processing to another party assesses it beforehand and keeps the report and the
// record of processing for at least three years. The record here holds codes only (topic,
// outcome, measures), who assessed it and when; the report itself lives on paper or in the
// owner's files. Assessments are org data (written on owner devices); the owner records them for
// any shop or for every shop, a manager for their own shop (the data-subject grant).

// AssessmentKeep is how long an assessment is kept at the least (Art. 56: three years).
const AssessmentKeep = 3 // years

// The codes an assessment holds.
var (
	AssessmentTopics   = []string{"sensitive_data", "cross_border_transfer", "automated_decision", "entrusting_processing", "other"}
	AssessmentOutcomes = []string{"proceed", "proceed_with_measures", "do_not_proceed"}
	AssessmentMeasures = []string{"separate_consent", "encryption", "access_restricted", "data_minimisation", "local_storage",
		"recipient_contract", "standard_contract_filed", "staff_training", "other"}
)

// AssessmentInput is a new assessment. ShopID "" means every shop (owner only); AssessedAt
// zero means now.
type AssessmentInput struct {
	Topic      string
	ShopID     string
	AssessedAt time.Time
	Outcome    string
	Measures   []string
}

// Assessment is one recorded impact assessment.
type Assessment struct {
	ID         string    `json:"id"`
	Topic      string    `json:"topic"`
	ShopID     string    `json:"shop_id,omitempty"` // "": every shop
	AssessedAt time.Time `json:"assessed_at"`
	AssessedBy string    `json:"assessed_by"`
	Outcome    string    `json:"outcome"`
	Measures   []string  `json:"measures,omitempty"`
	ReviewDue  time.Time `json:"review_due"`
}

// KeptUntil is the earliest time the assessment may be deleted under a keeping period of years
// (never less than AssessmentKeep).
func (a Assessment) KeptUntil(years int) time.Time {
	return a.AssessedAt.AddDate(max(years, AssessmentKeep), 0, 0)
}

// AddAssessment records an assessment and returns its id.
func (ss *Session) AddAssessment(ctx context.Context, in AssessmentInput) (string, error) {
	var id string
	err := ss.write(ctx, "assessment.add", func(w *wtx) error {
		if _, err := w.allow(ss, OpDataSubject, target{shopID: in.ShopID}); err != nil {
			return err // a manager: their own shop only, never "every shop"
		}
		now := time.UnixMilli(w.now)
		at := in.AssessedAt
		if at.IsZero() {
			at = now
		}
		var ve ValidationError
		if !slices.Contains(AssessmentTopics, in.Topic) {
			ve.add("topic", "must be one of "+strings.Join(AssessmentTopics, ", "))
		}
		if !slices.Contains(AssessmentOutcomes, in.Outcome) {
			ve.add("outcome", "must be one of "+strings.Join(AssessmentOutcomes, ", "))
		}
		ms := slices.Clone(in.Measures)
		slices.Sort(ms)
		ms = slices.Compact(ms)
		for _, m := range ms {
			if !slices.Contains(AssessmentMeasures, m) {
				ve.add("measures", "each must be one of "+strings.Join(AssessmentMeasures, ", "))
				break
			}
		}
		if in.Outcome == "proceed_with_measures" && len(ms) == 0 {
			ve.add("measures", "name the measures the outcome depends on")
		}
		if at.After(now.Add(time.Minute)) {
			ve.add("assessed", "is in the future")
		}
		if in.ShopID != "" {
			var known bool
			if err := w.tx.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM shops WHERE id = ?)", in.ShopID).Scan(&known); err != nil {
				return err
			}
			if !known {
				ve.add("shop", "no such shop")
			}
		}
		if err := ve.orNil(); err != nil {
			return err
		}
		id = newID()
		review := at.AddDate(AssessmentKeep, 0, 0)
		w.audit.Target = id
		w.audit.Detail = fmt.Sprintf("topic=%s shop=%s outcome=%s measures=%s", in.Topic, orAll(in.ShopID), in.Outcome, strings.Join(ms, "+"))
		return w.insert("assessments", OrgScope, id, []col{
			plain("topic", in.Topic), plain("shop_id", in.ShopID), plain("assessed_at", at.UnixMilli()), plain("assessed_by", ss.user.ID),
			plain("outcome", in.Outcome), plain("measures", strings.Join(ms, ",")), plain("review_due", review.UnixMilli()),
			plain("created_at", w.now),
		})
	})
	return id, err
}

func orAll(shop string) string {
	if shop == "" {
		return "all"
	}
	return shop
}

// Assessments lists the kept assessments, newest first: every one for the owner, a manager's
// shop's and those for every shop for a manager.
func (ss *Session) Assessments(ctx context.Context) ([]Assessment, error) {
	g, err := ss.require(ctx, OpDataSubject, target{any: true}, "assessment.list", "")
	if err != nil {
		return nil, err
	}
	q := "SELECT id FROM assessments WHERE deleted_at = 0"
	var args []any
	if g != All {
		q += " AND (shop_id = '' OR shop_id = ?)"
		args = append(args, ss.user.ShopID)
	}
	ids, err := queryStrings(ctx, ss.s.db, q+" ORDER BY assessed_at DESC, id DESC", args...)
	if err != nil {
		return nil, err
	}
	out := make([]Assessment, 0, len(ids))
	for _, id := range ids {
		a, _, err := ss.s.loadAssessment(ctx, ss.s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	if err := ss.s.auditRead(ctx, ss.actor(), auditEntry{Action: "assessment.list", Detail: fmt.Sprintf("assessments=%d", len(out))}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// ErrKeptAssessment means an assessment is younger than its keeping period.
var ErrKeptAssessment = errors.New("an impact assessment is kept at least 3 years (PIPL Art. 56) and as long as the retention policy says")

// DeleteAssessment deletes an assessment past its keeping period: three years, or longer where
// the retention policy says so. A younger one is refused.
func (ss *Session) DeleteAssessment(ctx context.Context, id string) error {
	return ss.write(ctx, "assessment.delete", func(w *wtx) error {
		w.audit.Target = id
		a, deleted, err := ss.s.loadAssessment(ctx, w.tx, id)
		if err != nil {
			return err
		}
		if _, err := w.allow(ss, OpDataSubject, target{shopID: a.ShopID}); err != nil {
			return err
		}
		if deleted {
			return fmt.Errorf("assessment %s: %w", id, ErrNotFound)
		}
		years := AssessmentKeep
		if p, err := ss.s.retentionPolicy(ctx, w.tx); err == nil && p != nil {
			years = p.AssessmentYears
		} else if err != nil {
			return err
		}
		if until := a.KeptUntil(years); time.UnixMilli(w.now).Before(until) {
			return fmt.Errorf("assessment %s is kept until %s: %w", id, until.UTC().Format("2006-01-02"), ErrKeptAssessment)
		}
		w.audit.Detail = fmt.Sprintf("topic=%s assessed=%d", a.Topic, a.AssessedAt.UnixMilli())
		return w.update("assessments", OrgScope, id, []col{plain("deleted_at", w.now)})
	})
}

func (s *Store) loadAssessment(ctx context.Context, q querier, id string) (*Assessment, bool, error) {
	var a Assessment
	var at, review, deletedAt int64
	var measures string
	err := q.QueryRowContext(ctx, "SELECT id, topic, shop_id, assessed_at, assessed_by, outcome, measures, review_due, deleted_at FROM assessments WHERE id = ?", id).
		Scan(&a.ID, &a.Topic, &a.ShopID, &at, &a.AssessedBy, &a.Outcome, &measures, &review, &deletedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("assessment %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, false, err
	}
	if err := s.checkRow(ctx, q, tables["assessments"], id); err != nil {
		return nil, false, err
	}
	a.AssessedAt, a.ReviewDue = time.UnixMilli(at), time.UnixMilli(review)
	if measures != "" {
		a.Measures = strings.Split(measures, ",")
	}
	return &a, deletedAt > 0, nil
}
