package store

import (
	"strconv"
	"strings"

	"spoke/compliance/checkup"
)

// The people sources of the security check-up: the permission review (due, in progress,
// accounts still active after their leaving date, dormant accounts) and staff training
// (accounts overdue). Findings name accounts by username and dates, never a personal value.

func init() {
	registerCheckupSource("review", checkupReview)
	registerCheckupSource("training", checkupTraining)
	checkup.Describe("review_overdue", checkup.T("Permission review overdue", "权限审查已逾期"),
		checkup.T("The permission review was due on {due}: look at every account's access again (Administration, Permission review).",
			"权限审查应于 {due} 完成：请重新审视每个账户的权限（管理 → 权限审查）。"))
	checkup.Describe("review_open", checkup.T("Permission review not completed", "权限审查未完成"),
		checkup.T("A review started on {started} still has {undecided} account(s) undecided.", "于 {started} 开始的审查仍有 {undecided} 个账户未决定。"))
	checkup.Describe("account_left_active", checkup.T("Account active after its leaving date", "离职日期后账户仍在用"),
		checkup.T("{user} left on {leaves} but the account is still active: deactivate it.", "{user} 已于 {leaves} 离职，但账户仍在用：请停用。"))
	checkup.Describe("account_dormant", checkup.T("Dormant account", "长期未用的账户"),
		checkup.T("{user} has not signed in since {last}: deactivate the account if it is not needed.", "{user} 自 {last} 起未登录：如不再需要请停用该账户。"))
	checkup.Describe("training_overdue", checkup.T("Security training overdue", "安全培训逾期"),
		checkup.T("{user}'s security training was due on {due} ({state}).", "{user} 的安全培训应于 {due} 完成（{state}）。"))
}

// checkupReview reports the review's state and the accounts it would flag most urgently.
func checkupReview(e *checkupEnv) ([]checkup.Finding, error) {
	st, err := e.s.reviewStatus(e.ctx, e.s.db)
	if err != nil {
		return nil, err
	}
	var out []checkup.Finding
	if st.Overdue {
		out = append(out, checkup.F("review", "review_overdue", checkup.High, "review", "due", checkupTime(st.DueAt)))
	}
	r, err := e.s.review(e.ctx, e.s.db, "", "")
	if err != nil {
		return nil, err
	}
	if r.ID != "" {
		out = append(out, checkup.F("review", "review_open", checkup.Medium, r.ID, "started", checkupTime(r.StartedAt),
			"undecided", strconv.Itoa(len(r.Undecided()))))
	}
	for _, a := range r.Accounts {
		if !a.Active {
			continue
		}
		for _, f := range a.Flags {
			switch f {
			case FlagLeftActive:
				out = append(out, checkup.F("review", "account_left_active", checkup.Critical, a.UserID, "user", a.Username, "leaves", checkupTime(a.LeavesAt)))
			case FlagDormant:
				last := "never"
				if !a.LastSignIn.IsZero() {
					last = checkupTime(a.LastSignIn)
				}
				out = append(out, checkup.F("review", "account_dormant", checkup.Low, a.UserID, "user", a.Username, "last", last))
			}
		}
	}
	return out, nil
}

// checkupTraining reports every account whose training is overdue (blocked when enforced).
func checkupTraining(e *checkupEnv) ([]checkup.Finding, error) {
	sts, err := e.ss.TrainingStatus(e.ctx)
	if err != nil {
		return nil, err
	}
	var out []checkup.Finding
	for _, s := range sts {
		switch s.State {
		case TrainingOverdue, TrainingBlocked:
			sev := checkup.Medium
			if s.State == TrainingBlocked {
				sev = checkup.Low // blocked: the gate already keeps them from customer data
			}
			out = append(out, checkup.F("training", "training_overdue", sev, s.UserID, "user", s.Username, "due", checkupTime(s.DueAt),
				"state", strings.ToLower(s.State)))
		}
	}
	return out, nil
}
