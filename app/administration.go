package app

import (
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tabAdmin is the Administration desk: the people and routine of a shop's data protection
// (permission reviews, security training, leavers, the security check-up), one pane each.
const tabAdmin = "admin"

// adminPane is one pane of the Administration desk: it lives in its own file and registers
// itself from an init function.
type adminPane = deskPane

var adminPanes []adminPane

func registerAdminPane(p adminPane) { adminPanes = addPane(adminPanes, p) }

// mayAdmin reports whether the user sees any pane of the desk.
func (a *App) mayAdmin() bool {
	for _, p := range adminPanes {
		if p.may == nil || p.may(a) {
			return true
		}
	}
	return false
}

// AdminScreen holds the Administration desk's panes as sub-tabs.
type AdminScreen struct{ *desk }

func newAdminScreen(a *App) *AdminScreen { return &AdminScreen{newDesk(a, adminPanes)} }

// deskPane is one pane of a desk (the privacy desk, the Administration desk); order sorts them.
type deskPane struct {
	order int
	name  string // stable, for tests: Panes[name]
	label string // translated at build time
	// may says whether the signed-in user sees the pane at all (the store checks again).
	may   func(a *App) bool
	build func(a *App) (content fyne.CanvasObject, refresh func())
}

// addPane adds p to a desk's panes, kept in order.
func addPane(panes []deskPane, p deskPane) []deskPane {
	panes = append(panes, p)
	sort.SliceStable(panes, func(i, j int) bool { return panes[i].order < panes[j].order })
	return panes
}

// desk is a screen of sub-tabs, one per pane the user may see.
type desk struct {
	a     *App
	root  fyne.CanvasObject
	Tabs  *container.AppTabs
	Panes map[string]*container.TabItem

	refreshers map[*container.TabItem]func()
}

func newDesk(a *App, panes []deskPane) *desk {
	s := &desk{a: a, Tabs: container.NewAppTabs(), Panes: map[string]*container.TabItem{}, refreshers: map[*container.TabItem]func(){}}
	for _, p := range panes {
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
func (s *desk) Refresh() {
	if it := s.Tabs.Selected(); it != nil {
		s.refreshers[it]()
	}
}

// ShowAdminPane opens the Administration desk on one pane.
func (s *Shell) ShowAdminPane(name string) {
	s.Show(tabAdmin)
	if s.Admin != nil {
		if it := s.Admin.Panes[name]; it != nil {
			s.Admin.Tabs.Select(it)
		}
	}
}

// Notice is one line of the shell's notice banner: an overdue permission review, training
// due, a held request. Key names it so a check can replace or clear its own line.
type Notice struct {
	Text   *widget.Label
	Open   *widget.Button
	holder fyne.CanvasObject
}

// newNoticeBox builds the shell's notice area below the other banners; empty, it takes no room.
func (s *Shell) newNoticeBox() fyne.CanvasObject {
	s.Notices = map[string]*Notice{}
	s.noticeBox = container.NewVBox()
	return s.noticeBox
}

// SetNotice shows text under key, with a button labelled open that calls action (none when
// action is nil), or removes the notice when text is empty.
func (s *Shell) SetNotice(key, text, open string, action func()) {
	if s.noticeBox == nil {
		return
	}
	if n := s.Notices[key]; n != nil {
		if text != "" && n.Text.Text == text {
			return
		}
		s.noticeBox.Remove(n.holder)
		delete(s.Notices, key)
	}
	if text == "" {
		s.a.relayout()
		return
	}
	a := s.a
	n := &Notice{Text: widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})}
	n.Text.Wrapping = fyne.TextWrapWord
	var right fyne.CanvasObject
	if action != nil {
		n.Open = a.button(open, theme.NavigateNextIcon(), action)
		right = n.Open
	}
	n.holder = container.NewStack(canvasRect(theme.ColorNameWarning, 0x30), container.NewPadded(
		container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), right, n.Text)))
	s.Notices[key] = n
	s.noticeBox.Add(n.holder)
	s.a.relayout()
}

// noticeChecks run after the shell is shown (and when a pane changes what they report): each
// sets or clears its own notice. Panes register theirs from init functions.
var noticeChecks []func(a *App)

func registerNoticeCheck(fn func(a *App)) { noticeChecks = append(noticeChecks, fn) }

// checkNotices runs every registered notice check.
func (a *App) checkNotices() {
	for _, fn := range noticeChecks {
		fn(a)
	}
}
