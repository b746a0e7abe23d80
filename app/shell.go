package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"spoke/store"
)

// Tab names.
const (
	tabCustomers = "customers"
	tabBoard     = "board"
	tabSales     = "sales"
	tabDashboard = "dashboard"
	tabImport    = "import"
	tabUsers     = "users"
	tabAudit     = "audit"
	tabBackups   = "backups"
	tabSync      = "sync"
	tabSettings  = "settings"
)

// Shell is the signed-in window: a header (who, shop, language, theme, lock, switch user) and
// one tab per area the user's roles open. Screens a role cannot use are not built at all.
type Shell struct {
	a    *App
	root fyne.CanvasObject
	Tabs *container.AppTabs

	Who       *widget.Label
	LockBtn   *widget.Button
	SwitchBtn *widget.Button
	Language  *widget.Select
	ThemeBtn  *widget.Button
	Customers *CustomersScreen
	Board     *BoardScreen
	Sales     *SalesScreen
	Dashboard *DashboardScreen
	Campaigns *CampaignsScreen
	Import    *ImportScreen
	Users     *UsersScreen
	Audit     *AuditScreen
	Backups   *BackupsScreen
	Privacy   *PrivacyScreen
	Admin     *AdminScreen
	// Notices: the notice banner's lines by key (administration.go).
	Notices    map[string]*Notice
	noticeBox  *fyne.Container
	Sync       *SyncScreen
	Reminders  *RemindersScreen
	Settings   *SettingsScreen
	current    string
	items      map[string]*container.TabItem
	screens    map[*container.TabItem]fyne.CanvasObject
	refreshers map[string]func()
	body       *screenStack

	// BackupWarning is the banner under the header for owners and managers while backups
	// are not configured, overdue, or their last drill failed.
	BackupWarning *widget.Label
	BackupOpen    *widget.Button
	banner        fyne.CanvasObject
	// RequestsWarning is the second banner, for owners and managers while privacy requests are
	// overdue or due within 3 days (requests.go).
	RequestsWarning *widget.Label
	RequestsOpen    *widget.Button
	requestsBanner  fyne.CanvasObject
}

func (a *App) showShell() {
	s := &Shell{a: a, items: map[string]*container.TabItem{}, screens: map[*container.TabItem]fyne.CanvasObject{}, refreshers: map[string]func(){}}
	shopName := a.T("All shops")
	if sh, ok := a.shopByID(a.user.ShopID); ok {
		shopName = sh.Name
	}
	roles := ""
	for i, r := range a.user.Roles {
		if i > 0 {
			roles += ", "
		}
		roles += a.T(roleLabel(r))
	}
	s.Who = widget.NewLabelWithStyle(a.user.Username+" · "+roles+" · "+shopName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.LockBtn = a.button(a.T("Lock"), theme.VisibilityOffIcon(), func() { a.Lock("") })
	s.SwitchBtn = a.button(a.T("Switch user"), theme.AccountIcon(), a.SwitchUser)
	s.Language = widget.NewSelect([]string{languageNames[langEN], languageNames[langZH]}, nil)
	s.Language.Selected = languageNames[a.lang]
	s.Language.OnChanged = func(v string) {
		for k, n := range languageNames {
			if n == v {
				a.touch()
				a.SetLanguage(k)
			}
		}
	}
	s.ThemeBtn = a.button("", theme.ColorPaletteIcon(), func() { a.SetDark(!a.dark) })
	logo := widget.NewLabelWithStyle("Spoke", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	logo.Importance = widget.HighImportance
	header := container.NewHBox(logo, widget.NewSeparator(), s.Who, layoutSpacer(), s.Language, s.ThemeBtn, s.SwitchBtn, s.LockBtn)

	// The tabs are the navigation only: each item holds an empty placeholder and the screen
	// shows in body beside them. So the tighter navigation theme (which makes an owner's ten
	// tabs fit the window) overrides a handful of buttons, not every widget of every screen.
	s.Tabs = container.NewAppTabs()
	s.Tabs.SetTabLocation(container.TabLocationLeading)
	s.body = newScreenStack()
	add := func(name, label string, icon fyne.Resource, content fyne.CanvasObject, refresh func()) {
		it := container.NewTabItemWithIcon(label, icon, layout.NewSpacer())
		s.items[name] = it
		s.screens[it] = content
		s.refreshers[name] = refresh
		s.Tabs.Append(it)
		content.Hide()
		s.body.objs = append(s.body.objs, content)
	}
	canCustomers := a.can(store.OpCustomerPIIOwn) || a.has(store.RoleMechanic)
	if canCustomers {
		s.Customers = newCustomersScreen(a)
		add(tabCustomers, a.T("Customers"), theme.AccountIcon(), s.Customers.root, s.Customers.refresh)
	}
	if a.can(store.OpWorkOrders) {
		s.Board = newBoardScreen(a)
		add(tabBoard, a.T("Work orders"), theme.ListIcon(), s.Board.root, s.Board.Refresh)
	}
	if a.can(store.OpCustomerPIIOwn) {
		s.Reminders = newRemindersScreen(a)
		add(tabReminders, a.T("Reminders"), theme.MailComposeIcon(), s.Reminders.root, s.Reminders.Refresh)
	}
	if a.can(store.OpSales) {
		s.Sales = newSalesScreen(a)
		add(tabSales, a.T("Sales"), theme.ContentAddIcon(), s.Sales.root, s.Sales.Refresh)
	}
	if a.can(store.OpStats) {
		s.Dashboard = newDashboardScreen(a)
		add(tabDashboard, a.T("Dashboard"), theme.GridIcon(), s.Dashboard.root, s.Dashboard.Refresh)
	}
	if a.mayCampaigns() {
		s.Campaigns = newCampaignsScreen(a)
		add(tabCampaigns, a.T("Campaigns"), theme.MailSendIcon(), s.Campaigns.root, s.Campaigns.Refresh)
	}
	if a.can(store.OpCustomerWrite) {
		s.Import = newImportScreen(a)
		add(tabImport, a.T("Import"), theme.UploadIcon(), s.Import.root, func() {})
	}
	if a.can(store.OpUsers) {
		s.Users = newUsersScreen(a)
		add(tabUsers, a.T("Users"), theme.AccountIcon(), s.Users.root, s.Users.Refresh)
	}
	if a.can(store.OpAudit) {
		s.Audit = newAuditScreen(a)
		add(tabAudit, a.T("Audit trail"), theme.HistoryIcon(), s.Audit.root, s.Audit.Refresh)
	}
	if a.can(store.OpBackup) {
		s.Backups = newBackupsScreen(a)
		add(tabBackups, a.T("Backups"), theme.StorageIcon(), s.Backups.root, s.Backups.Refresh)
	}
	if a.mayPrivacy() && len(privacyPanes) > 0 {
		s.Privacy = newPrivacyScreen(a)
		add(tabPrivacy, a.T("Privacy"), theme.VisibilityIcon(), s.Privacy.root, s.Privacy.Refresh)
	}
	if a.mayAdmin() {
		s.Admin = newAdminScreen(a)
		add(tabAdmin, a.T("Administration"), theme.SettingsIcon(), s.Admin.root, s.Admin.Refresh)
	}
	if a.has(store.RoleOwner) || a.has(store.RoleManager) {
		s.Sync = newSyncScreen(a)
		add(tabSync, a.T("Sync"), theme.ViewRefreshIcon(), s.Sync.root, s.Sync.Refresh)
	}
	s.Settings = newSettingsScreen(a)
	add(tabSettings, a.T("Settings"), theme.SettingsIcon(), s.Settings.root, func() {})
	s.Tabs.OnSelected = func(it *container.TabItem) {
		a.touch()
		s.display(it)
		for name, t := range s.items {
			if t == it && name != s.current {
				s.current = name
				s.refreshers[name]()
			}
		}
	}
	s.BackupWarning = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.BackupWarning.Wrapping = fyne.TextWrapWord
	s.BackupOpen = a.button(a.T("Open Backups"), theme.StorageIcon(), func() { s.Show(tabBackups) })
	s.banner = container.NewStack(canvasRect(theme.ColorNameWarning, 0x40), container.NewPadded(
		container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), s.BackupOpen, s.BackupWarning)))
	if a.backupWarning == "" {
		s.banner.Hide()
	} else {
		s.BackupWarning.SetText(a.backupWarning)
	}
	s.requestsBanner = s.newRequestsBanner()
	notices := s.newNoticeBox()
	nav := container.NewThemeOverride(s.Tabs, navTheme{screenTheme{a.FyneApp}})
	s.root = container.NewBorder(container.NewVBox(container.NewPadded(header), widget.NewSeparator(), s.banner, s.requestsBanner, notices), nil, nav, nil, s.body)
	a.Shell = s
	a.setContent(s.root)
	// The first tab: customers for the counter, the board for mechanics, the dashboard for
	// marketing, the trail for auditors.
	first := ""
	for _, name := range []string{tabCustomers, tabBoard, tabDashboard, tabAudit, tabSettings} {
		if s.items[name] != nil {
			first = name
			break
		}
	}
	if a.has(store.RoleMechanic) && s.items[tabBoard] != nil {
		first = tabBoard
	}
	s.Show(first)
	if s.Customers != nil {
		s.Customers.buildIndex()
	}
	a.checkBackups()
	a.checkRequests()
	a.checkNotices()
}

// setBackupWarning shows the backup banner with text, or hides it when text is empty. The
// app keeps the text, so a rebuilt shell (another language) starts with the banner as it was.
func (s *Shell) setBackupWarning(text string) {
	s.a.backupWarning = text
	if text == s.BackupWarning.Text && s.banner.Visible() == (text != "") {
		return
	}
	s.BackupWarning.SetText(text)
	if text == "" {
		s.banner.Hide()
	} else {
		s.banner.Show()
	}
	s.a.relayout()
}

// Show selects a tab by name (a no-op for a tab the role does not have).
func (s *Shell) Show(name string) {
	it := s.items[name]
	if it == nil {
		return
	}
	if s.Tabs.Selected() == it && s.current == name {
		return
	}
	s.current = name
	s.Tabs.Select(it)
	s.display(it)
	s.refreshers[name]()
}

// display shows a tab's screen in the body and hides the others (as AppTabs does with its
// own content: every screen stays in the tree, so its widgets keep their renderers).
func (s *Shell) display(it *container.TabItem) {
	show := s.screens[it]
	if show == nil || show.Visible() {
		return
	}
	for _, o := range s.body.objs {
		if o != show {
			o.Hide()
		}
	}
	show.Show()
	s.body.Refresh()
}

// screenStack holds every screen of the shell and shows one, as AppTabs does with its
// content: every screen stays in the tree, but a refresh reaches only the one on show (the
// window is refreshed after each message, and the hidden screens need not be).
type screenStack struct {
	widget.BaseWidget
	objs []fyne.CanvasObject
}

func newScreenStack() *screenStack {
	s := &screenStack{}
	s.ExtendBaseWidget(s)
	return s
}

// CreateRenderer refreshes every screen once, hidden ones too, so each widget has its renderer
// before a screen first shows (a list scrolled while it never had one panics in Fyne).
func (s *screenStack) CreateRenderer() fyne.WidgetRenderer {
	for _, o := range s.objs {
		o.Refresh()
	}
	return &screenStackRenderer{s: s}
}

type screenStackRenderer struct{ s *screenStack }

func (r *screenStackRenderer) Layout(size fyne.Size) {
	for _, o := range r.s.objs {
		if o.Visible() {
			o.Move(fyne.NewPos(0, 0))
			o.Resize(size)
		}
	}
}

func (r *screenStackRenderer) MinSize() fyne.Size {
	var m fyne.Size
	for _, o := range r.s.objs {
		if o.Visible() {
			m = m.Max(o.MinSize())
		}
	}
	return m
}

// Refresh sizes the screen on show first, then refreshes it: wrapped labels measure their
// height at the width they get.
func (r *screenStackRenderer) Refresh() {
	r.Layout(r.s.Size())
	for _, o := range r.s.objs {
		if o.Visible() {
			o.Refresh()
		}
	}
}

func (r *screenStackRenderer) Objects() []fyne.CanvasObject { return r.s.objs }

func (r *screenStackRenderer) Destroy() {}

// Current is the selected tab's name.
func (s *Shell) Current() string { return s.current }

// HasTab reports whether the user's roles gave them a tab.
func (s *Shell) HasTab(name string) bool { return s.items[name] != nil }
