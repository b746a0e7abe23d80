package app

import (
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"spoke/store"
)

// tabPrivacy is the privacy desk: data-subject requests, records of processing and the
// privacy notice, incidents, assessments and retention, one pane each.
const tabPrivacy = "privacy"

// privacyPane is one pane of the privacy desk. Each lives in its own file and registers itself
// from an init function; order sorts them.
type privacyPane struct {
	order int
	name  string // stable, for tests: PrivacyScreen.Panes[name]
	label string // translated at build time
	// may says whether the signed-in user sees the pane at all (the operation itself checks
	// again in the store).
	may   func(a *App) bool
	build func(a *App) (content fyne.CanvasObject, refresh func())
}

var privacyPanes []privacyPane

func registerPrivacyPane(p privacyPane) {
	privacyPanes = append(privacyPanes, p)
	sort.SliceStable(privacyPanes, func(i, j int) bool { return privacyPanes[i].order < privacyPanes[j].order })
}

// PrivacyScreen holds the privacy desk's panes as sub-tabs.
type PrivacyScreen struct {
	a     *App
	root  fyne.CanvasObject
	Tabs  *container.AppTabs
	Panes map[string]*container.TabItem

	refreshers map[*container.TabItem]func()
}

// mayPrivacy: the desk is for those who answer data subjects (DESIGN.md: owner, manager of
// their shop).
func (a *App) mayPrivacy() bool { return a.can(store.OpDataSubject) }

func newPrivacyScreen(a *App) *PrivacyScreen {
	s := &PrivacyScreen{a: a, Tabs: container.NewAppTabs(), Panes: map[string]*container.TabItem{}, refreshers: map[*container.TabItem]func(){}}
	for _, p := range privacyPanes {
		if p.may != nil && !p.may(a) {
			continue
		}
		content, refresh := p.build(a)
		it := container.NewTabItem(a.T(p.label), content)
		s.Panes[p.name] = it
		if refresh == nil {
			refresh = func() {}
		}
		s.refreshers[it] = refresh
		s.Tabs.Append(it)
	}
	s.Tabs.OnSelected = func(it *container.TabItem) {
		a.touch()
		s.refreshers[it]()
	}
	s.root = s.Tabs
	return s
}

// Refresh reloads the pane in view.
func (s *PrivacyScreen) Refresh() {
	if it := s.Tabs.Selected(); it != nil {
		s.refreshers[it]()
	}
}
