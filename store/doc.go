// Package store is Spoke's local, encrypted database and the one service surface every screen,
// CLI command, import, backup and incoming sync goes through.
//
// It owns: the SQLite schema, its migrations and the registry that classifies every column;
// the unlocked key hierarchy of one database (master key, scope keys, customer data keys,
// derived keys), which never leaves it; domain records (shops, staff, customers, bikes, work
// orders, sales); access control (Session, bound to a signed-in user, enforces DESIGN.md's
// matrix inside every operation); the audit hash chain and its one entry point; the
// row and cell clocks and the merge of other devices' changes; a MAC on every row; the in-memory search index;
// and Verify, which re-authenticates every stored byte.
//
// What it never does: write a personal value in clear to disk, put one into an error string or
// a log, let a caller reach rows or keys without a Session (sync gets the narrow Replica port),
// or import sync, the importer, the demo loader or a front end. Writes happen in immediate
// transactions that also stamp clocks, MAC the rows and append an audit entry; if either fails, the write
// fails.
//
// Files, by concept:
//
//	store.go      the Store: create, open, unlock, close
//	protect.go    how the master key is kept (keychain, passphrase)
//	db.go         the SQLite connection and migrations
//	schema.go     the column registry (business, personal, derived; blind indexes)
//	keys.go       scope keys, derived keys, blind-index keys
//	seal.go       sealing and opening one field
//	derived.go    blind indexes and totals, the one definition
//	write.go      the write transaction and row writes
//	clocks.go     row and cell clocks: what each value's write is, rows written since N
//	integrity.go  row MACs, their LtHash sum, the integrity state
//	syncmac.go    MACs on the sync state, the applied sequences and kept conflicts
//	book.go       the book: a MAC for every header (meta) value without one of its own
//	schemacheck.go the schema must be what the migrations make
//	session.go    Session: sign-out and the checks
//	policy.go     the access matrix and May
//	principal.go  who audit entries name; the one audit entry point
//	audit.go      the hash chain and AuditLog
//	readaudit.go  read-audit entries at synchronous=NORMAL, durable before any head leaves
//	anchor.go     the trail's head kept outside the file
//	auditsync.go  other devices' audit copies
//	watch.go      the unusual-behaviour detector on the device, over every trail it holds
//	alerts.go     its alerts as synced rows, their review, effectiveness; suspensions here
//	reasons.go    break-glass reasons under keys of their own, outside the chain, so they expire
//	users.go      staff records: MAC, signatures, sign-in
//	password.go   the password policy, checked for new passwords and at every sign-in
//	staff.go      staff administration
//	activity.go   what staff did, from every device's trail: sign-ins, role powers used
//	review.go     the periodic permission review; a shop manager's proposals
//	reauth.go     the password asked again before a sensitive action
//	export.go     the bulk customer export (CSV) and the bulk delete
//	holds.go      bulk exports and deletions held for a second approver, or a 24-hour delay
//	audience.go   campaign audiences from business attributes: counts, suppression, the differencing guard
//	campaigns.go  campaigns: one row per shop, resolved and sent on the shop's device, counts only
//	recalls.go    brand recalls: the affected bikes (serials by blind index), notices under the legal obligation
//	reports.go    money per currency; the owner's exchange rates and the converted chain-wide view
//	leavers.go    the departing employee: leaving date, reassignment, the leaver report
//	checkup_people.go the check-up's review and training sources
//	shops.go      shops
//	customers.go  customers
//	erasure.go    erasure by crypto-shredding; the erasure ledger; the shop key rotated after
//	indexkeys.go  keys derived from a shop key's first version, kept so it can be forgotten
//	lookup.go     exact lookups through the blind indexes
//	search.go     the type-ahead index glue
//	bikes.go workorders.go sales.go stats.go
//	              the shop's records and aggregates
//	reminders.go  service-reminder rules, the counter's due list, what became of each reminder
//	mailer.go     the shop's mail server (its secret sealed) and sending reminders
//	unsubscribe.go one-click unsubscribe tokens; clicks the hub relays become withdrawals
//	subject.go    the data-subject access export: everything held on one customer
//	records.go    which shops a record of processing or a privacy notice speaks for
//	printing.go   what the counter prints (ticket, tag, receipt, notice), assembled per grant;
//	              the shops' paper settings (address, phone, terms)
//	requests.go   data-subject requests and their legal clocks (compliance/deadline); holidays
//	incidents.go  the breach register (lost or stolen devices, the 72-hour clock)
//	assessments.go personal-information impact assessments (PIPL Art. 55/56)
//	retention.go  the retention policy, its approval, preview and runs
//	consent.go    consent per purpose: insert-only events, the children's rules, the send gate
//	transfer.go   PIPL cross-border: the transfer declaration, what stays on this device
//	training.go   staff security training: quizzes drawn and graded here, results, the
//	              settings, and the gate that closes customer data to the overdue
//	settings.go   configuration changes: each audited with its old and new value
//	checkup.go    the periodic security check-up: runs, findings, the owner's decisions
//	checkup_sources.go
//	              the check-up's sources (versions, devices, backups, passwords...)
//	batch.go      the batch write unit (imports, the demo loader)
//	imports.go    imports from other systems: source ids, matching by blind index, the preview
//	merge.go      the merge rule, a pure function
//	apply.go      applying another device's change-set
//	conflicts.go  values that lost a merge
//	held.go       change-sets held until they can apply
//	scopesnap.go  a scope read for a compaction snapshot; which key versions rows need
//	syncstate.go  enrolment and sync state
//	roster.go     the verified device list
//	hubview.go    the hub's last list of devices, their versions and last syncs
//	replica.go    the narrow port sync reaches the store through
//	snapshot.go   what a backup records and a restore reproduces
//	backups.go    the store's side of backups
//	deltacheck.go proving an incremental from its own file (the drill's O(change) check)
//	verify.go     re-authenticating every stored byte
//	datadir.go    the default data folder
//	errors.go     typed errors
package store
