package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
	tabSettings  = "settings"
)

// Shell is the signed-in window: a header (who, shop, language, theme, lock, switch user) and
// one tab per area the user's roles open. Screens a role cannot use are not built at all.
type Shell struct {
	a    *App
	root fyne.CanvasObject
	Tabs *container.AppTabs

	Who        *widget.Label
	LockBtn    *widget.Button
	SwitchBtn  *widget.Button
	Language   *widget.Select
	ThemeBtn   *widget.Button
	Customers  *CustomersScreen
	Board      *BoardScreen
	Sales      *SalesScreen
	Dashboard  *DashboardScreen
	Import     *ImportScreen
	Users      *UsersScreen
	Audit      *AuditScreen
	Settings   *SettingsScreen
	current    string
	items      map[string]*container.TabItem
	refreshers map[string]func()
}

func (a *App) showShell() {
	s := &Shell{a: a, items: map[string]*container.TabItem{}, refreshers: map[string]func(){}}
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

	s.Tabs = container.NewAppTabs()
	s.Tabs.SetTabLocation(container.TabLocationLeading)
	add := func(name, label string, icon fyne.Resource, content fyne.CanvasObject, refresh func()) {
		it := container.NewTabItemWithIcon(label, icon, content)
		s.items[name] = it
		s.refreshers[name] = refresh
		s.Tabs.Append(it)
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
	if a.can(store.OpSales) {
		s.Sales = newSalesScreen(a)
		add(tabSales, a.T("Sales"), theme.ContentAddIcon(), s.Sales.root, s.Sales.Refresh)
	}
	if a.can(store.OpStats) {
		s.Dashboard = newDashboardScreen(a)
		add(tabDashboard, a.T("Dashboard"), theme.GridIcon(), s.Dashboard.root, s.Dashboard.Refresh)
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
	s.Settings = newSettingsScreen(a)
	add(tabSettings, a.T("Settings"), theme.SettingsIcon(), s.Settings.root, func() {})
	s.Tabs.OnSelected = func(it *container.TabItem) {
		a.touch()
		for name, t := range s.items {
			if t == it && name != s.current {
				s.current = name
				s.refreshers[name]()
			}
		}
	}
	s.root = container.NewBorder(container.NewVBox(container.NewPadded(header), widget.NewSeparator()), nil, nil, nil, s.Tabs)
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
	s.refreshers[name]()
}

// Current is the selected tab's name.
func (s *Shell) Current() string { return s.current }

// HasTab reports whether the user's roles gave them a tab.
func (s *Shell) HasTab(name string) bool { return s.items[name] != nil }
