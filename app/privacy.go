package app

import "spoke/store"

// tabPrivacy is the privacy desk: data-subject requests, records of processing and the
// privacy notice, incidents, assessments and retention, one pane each.
const tabPrivacy = "privacy"

// privacyPane is one pane of the privacy desk: it lives in its own file and registers itself
// from an init function.
type privacyPane = deskPane

var privacyPanes []privacyPane

func registerPrivacyPane(p privacyPane) { privacyPanes = addPane(privacyPanes, p) }

// PrivacyScreen holds the privacy desk's panes as sub-tabs.
type PrivacyScreen struct{ *desk }

// mayPrivacy: the desk is for those who answer data subjects (DESIGN.md: owner, manager of
// their shop).
func (a *App) mayPrivacy() bool { return a.can(store.OpDataSubject) }

func newPrivacyScreen(a *App) *PrivacyScreen { return &PrivacyScreen{newDesk(a, privacyPanes)} }
