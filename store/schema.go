package store

import (
	"context"
	"fmt"

	"spoke/store/contact"
)

// Class is what a column holds, and so how every part of the store treats it: sync, the change
// log, verify, backups (the content hash) and erasure all read it from the registry below
// instead of keeping lists of their own.
type Class uint8

// The column classes.
const (
	// Business data: plain text in the file, logged and synced as it is.
	Business Class = iota + 1
	// Personal data, sealed (AES-GCM bound to table, row and column) under the row's key: the
	// customer's data key, or the org key for staff. Logged and synced as ciphertext only;
	// every receiver and Verify authenticate it; erasing the key erases it.
	Personal
	// Derived from other columns on this device (blind indexes, totals): written, never logged
	// or synced, recomputed after every local write and merge so it cannot disagree.
	Derived
)

// column is one column of a content table.
type column struct {
	name  string
	class Class
	// index names the Derived column holding this Personal column's blind index, and how a
	// value is normalised before it is indexed and when it is looked up.
	index *blindIndex
	// late columns were added by a migration after backups existed: at their default they
	// are left out of the content hash, so an older backup still verifies once restored.
	late bool
}

// blindIndex is the exact-lookup index of one personal column.
type blindIndex struct {
	column    string                                     // the Derived column holding it
	normalise func(value, region string) (string, error) // "" in, "" out: no index
}

// sealedBy says which key seals a table's personal columns.
type sealedBy uint8

const (
	sealedByNone     sealedBy = iota // no personal columns
	sealedByOwnKey                   // the row is a customer: its own data key
	sealedByCustomer                 // the row hangs from a customer (customer_id): that data key
	sealedByOrg                      // the org scope key (staff records)
)

// table is one content table of the registry.
type table struct {
	name   string
	order  string // the content hash reads rows in this order (primary key)
	synced bool   // rows travel in change-sets and carry clocks and MACs
	key    sealedBy
	cols   []column // synced tables only: every column but id
	// late tables were added by a migration after backups existed: absent or empty, they are
	// left out of a database's table-by-table content hash (legacyContent), so an older
	// backup still hashes as it did.
	late bool
}

func biz(name string) column      { return column{name: name, class: Business} }
func personal(name string) column { return column{name: name, class: Personal} }
func derivedCol(name string) column {
	return column{name: name, class: Derived}
}
func indexed(name, index string, normalise func(v, region string) (string, error)) column {
	return column{name: name, class: Personal, index: &blindIndex{column: index, normalise: normalise}}
}
func late(c column) column { c.late = true; return c }

func normEmail(v, _ string) (string, error)  { return contact.NormalizeEmail(v) }
func normSerial(v, _ string) (string, error) { return contact.NormalizeSerial(v) }
func normSource(v, _ string) (string, error) { return NormalizeSource(v) }

// schema is the registry: every content table in content-hash order, and for the synced ones
// every column with its class. Adding a sealed field is a line here and the domain code that
// reads and writes it (plus its migration).
var schema = []table{
	{name: "meta", order: "key"},
	{name: "scope_keys", order: "scope, version"},
	{name: "shops", order: "id", synced: true, cols: []column{
		biz("name"), biz("region"), biz("currency"), biz("created_at"),
	}},
	{name: "users", order: "id", synced: true, key: sealedByOrg, cols: []column{
		biz("username"), personal("display_name"), biz("password_hash"), biz("roles"), biz("shop_id"), biz("active"),
		biz("failed_attempts"), biz("locked_until"), biz("last_sign_in"), biz("created_at"),
		late(biz("version")), biz("mac"), late(biz("signer")), late(biz("sig")), late(biz("leaves_at")),
	}},
	{name: "customers", order: "id", synced: true, key: sealedByOwnKey, cols: []column{
		biz("shop_id"), biz("owner_id"), biz("dek"), biz("dek_version"),
		personal("name"), indexed("email", "email_bidx", normEmail), indexed("phone", "phone_bidx", contact.NormalizePhone),
		personal("address"), personal("birthday"), personal("notes"),
		derivedCol("email_bidx"), derivedCol("phone_bidx"),
		biz("created_at"), biz("updated_at"), biz("deleted_at"),
		// A second number and the id in the system the customer was imported from (0023).
		late(personal("phone_alt")), late(indexed("source", "source_bidx", normSource)), late(derivedCol("source_bidx")),
	}},
	{name: "bikes", order: "id", synced: true, key: sealedByCustomer, cols: []column{
		biz("customer_id"), biz("shop_id"), biz("make"), biz("model"), biz("year"), biz("type"), biz("frame_size"), biz("colour"),
		indexed("serial", "serial_bidx", normSerial), derivedCol("serial_bidx"),
		biz("created_at"), biz("updated_at"), biz("deleted_at"), late(personal("notes")), late(biz("sold_at")),
	}},
	{name: "work_orders", order: "id", synced: true, key: sealedByCustomer, cols: []column{
		biz("shop_id"), biz("customer_id"), biz("bike_id"), biz("status"), biz("mechanic_id"), biz("promised_at"),
		personal("complaint"), personal("notes"),
		derivedCol("labour_total"), derivedCol("parts_total"), derivedCol("total"),
		biz("created_at"), biz("updated_at"), biz("closed_at"),
	}},
	{name: "work_order_lines", order: "id", synced: true, cols: []column{
		biz("work_order_id"), biz("kind"), biz("sku"), biz("description"), biz("qty"), biz("unit_price"), biz("created_at"),
	}},
	{name: "sales", order: "id", synced: true, cols: []column{
		biz("shop_id"), biz("customer_id"), biz("seller_id"), biz("payment_method"), derivedCol("total"), biz("sold_at"), biz("created_at"),
	}},
	{name: "sale_lines", order: "id", synced: true, cols: []column{
		biz("sale_id"), biz("sku"), biz("description"), biz("qty"), biz("unit_price"),
	}},
	{name: "audit", order: "seq"},
	// Tables added after audit go at the end (a table's code is its place here), late.
	// The erasure ledger and a shop's keys derived from its first key version (erasure.go,
	// indexkeys.go).
	{name: "erasures", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("erased_at"), biz("erased_by"), biz("sales_kept"), late(biz("source_tag")),
	}},
	{name: "index_keys", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("purpose"), biz("wrapped"), biz("key_version"),
	}},
	// Data-subject requests (requests.go): codes, dates and ids only. subject_id is the
	// customer's id and nothing else, so the row outlives the customer's erasure.
	{name: "privacy_requests", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("subject_id"), biz("type"), biz("channel"), biz("received_at"), biz("jurisdiction"),
		biz("confirm_due_at"), biz("due_at"), biz("status"), biz("verify_method"), biz("verified_by"), biz("verified_at"),
		biz("extended_at"), biz("extension_notice_at"), biz("confirmed_at"), biz("closed_at"), biz("outcome"),
		biz("refusal_reason"), biz("created_by"), biz("created_at"), biz("deleted_at"),
	}},
	// A shop's holiday calendar, which business-day deadlines skip.
	{name: "shop_holidays", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("day"), biz("label"), biz("created_at"), biz("deleted_at"),
	}},
	// Issue 11: the breach register, impact assessments and the retention policy (org scope,
	// written on owner devices), and managers' approvals of a policy (their shop's scope).
	// Business columns only: codes, ids, counts and times.
	{name: "incidents", order: "id", synced: true, late: true, cols: []column{
		biz("kind"), biz("device_id"), biz("opened_by"), biz("opened_at"), biz("discovered_at"), biz("notify_due_at"),
		biz("customer_counts"), biz("protection"), biz("decision"), biz("decision_reason"), biz("decided_by"),
		biz("decided_at"), biz("closed_at"),
	}},
	{name: "assessments", order: "id", synced: true, late: true, cols: []column{
		biz("topic"), biz("shop_id"), biz("assessed_at"), biz("assessed_by"), biz("outcome"), biz("measures"),
		biz("review_due"), biz("created_at"), biz("deleted_at"),
	}},
	{name: "retention_policies", order: "id", synced: true, late: true, cols: []column{
		biz("inactive_years"), biz("deleted_days"), biz("reason_months"), biz("audit_years"), biz("request_log_months"),
		biz("assessment_years"), biz("set_by"), biz("set_at"), biz("needs_owner"), biz("needs_shops"), biz("approved_by"),
		biz("approved_at"),
	}},
	{name: "retention_approvals", order: "id", synced: true, late: true, cols: []column{
		biz("policy_id"), biz("shop_id"), biz("approved_by"), biz("approved_at"),
	}},
	// Consent events (consent.go): insert-only, business columns only.
	{name: "consents", order: "id", synced: true, late: true, cols: []column{
		biz("customer_id"), biz("shop_id"), biz("purpose"), biz("channel"), biz("granted"), biz("lawful_basis"), biz("source"),
		biz("notice_version"), biz("recorded_by"), biz("at"), biz("parental"), biz("subject_under_age"),
	}},
	// Org-wide settings (org scope), e.g. where the hub and the owner's laptops are (transfer.go).
	{name: "org_settings", order: "id", synced: true, late: true, cols: []column{
		biz("name"), biz("value"), biz("set_by"), biz("set_at"),
	}},
	// Issue 12 (review.go, leavers.go): permission reviews and their decisions (org scope), and
	// a shop manager's proposals for their staff (the shop's scope). Codes, ids and times.
	{name: "permission_reviews", order: "id", synced: true, late: true, cols: []column{
		biz("period_from"), biz("period_to"), biz("started_by"), biz("started_at"), biz("completed_by"),
		biz("completed_at"), biz("accounts"),
	}},
	{name: "review_decisions", order: "id", synced: true, late: true, cols: []column{
		biz("review_id"), biz("user_id"), biz("decision"), biz("roles_before"), biz("roles_after"), biz("flags"),
		biz("decided_by"), biz("decided_at"),
	}},
	{name: "staff_proposals", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("user_id"), biz("kind"), biz("roles"), biz("leaves_at"), biz("proposed_by"), biz("proposed_at"),
		biz("status"), biz("decided_by"), biz("decided_at"),
	}},
	// Issue 12: security training results (training.go), insert-only, business columns only.
	// A row lives in its trainee's shop's scope, or the org's for org-wide staff (shop_id '').
	{name: "training_results", order: "id", synced: true, late: true, cols: []column{
		biz("user_id"), biz("shop_id"), biz("lesson"), biz("lang"), biz("passed"), biz("correct"), biz("total"), biz("taken_at"),
	}},
	// The security check-up (checkup.go): its runs with their findings (codes, ids, dates and
	// counts) and the owner's decisions on findings (org scope, owner devices). A decision's
	// note is the sealed reason of its audit entry, not a column.
	{name: "checkup_runs", order: "id", synced: true, late: true, cols: []column{
		biz("at"), biz("since"), biz("run_by"), biz("device_id"), biz("trigger"), biz("version"), biz("findings"),
	}},
	{name: "checkup_decisions", order: "id", synced: true, late: true, cols: []column{
		biz("run_id"), biz("finding"), biz("decision"), biz("decided_by"), biz("decided_at"), biz("device_id"), biz("note_seq"),
	}},
	// Issue 13 (holds.go): bulk exports and deletions held for a second approver. Codes, ids,
	// counts and times.
	{name: "bulk_holds", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("kind"), biz("selection"), biz("count"), biz("format"), biz("requested_by"),
		biz("asked_at"), biz("runnable_at"), biz("expires_at"), biz("status"), biz("decided_by"), biz("decided_at"),
	}},
	// Issue 13 (alerts.go): the detector's alerts, in the alerted user's shop's scope (or the
	// org's). Codes, ids, counts and times; the reviewer's note is sealed under the org key.
	{name: "alerts", order: "id", synced: true, late: true, key: sealedByOrg, cols: []column{
		biz("scope"), biz("user_id"), biz("kind"), biz("score"), biz("first_at"), biz("raised_at"), biz("reasons"),
		biz("status"), biz("decided_by"), biz("decided_at"), biz("suspend"), personal("note"),
	}},
	// Issue 14 (reminders.go, mailer.go, unsubscribe.go): reminder rules and what became of
	// each reminder, the shop's mail server (its secret sealed by the store under a key derived
	// from the shop's key: a blob to the registry), one-click unsubscribe token hashes. Codes,
	// ids, dates and counts.
	{name: "reminder_rules", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("kind"), biz("bike_type"), biz("every"), biz("unit"), biz("enabled"), biz("set_by"), biz("set_at"),
	}},
	{name: "reminder_sends", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("customer_id"), biz("bike_id"), biz("work_order_id"), biz("kind"), biz("due_at"), biz("channel"),
		biz("outcome"), biz("sent_by"), biz("at"),
	}},
	{name: "shop_mail", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("host"), biz("port"), biz("implicit_tls"), biz("from_addr"), biz("from_name"), biz("reply_to"),
		biz("ca_pem"), biz("secret"), biz("lang"), biz("booking"), biz("unsubscribe_base"), biz("set_by"), biz("set_at"),
	}},
	{name: "unsubscribe_tokens", order: "id", synced: true, late: true, cols: []column{
		biz("shop_id"), biz("customer_id"), biz("purpose"), biz("token_hash"), biz("created_at"),
	}},
	// Issue 14 (campaigns.go): a campaign, one row per shop it goes to, in that shop's scope.
	// Codes, ids, the audience spec (business attributes), marketing text and counts.
	{name: "campaigns", order: "id", synced: true, late: true, cols: []column{
		biz("campaign_id"), biz("shop_id"), biz("name"), biz("purpose"), biz("channel"), biz("spec"),
		biz("subject_en"), biz("body_en"), biz("subject_zh"), biz("body_zh"), biz("audience"),
		biz("created_by"), biz("created_at"), biz("status"), biz("sent"), biz("skipped"), biz("sent_by"), biz("sent_at"),
	}},
	// Issue 14 (recalls.go): brand recalls (a shop's scope, or the org's for a chain-wide one),
	// their serial lists as each shop's blind-index sums (the shop's scope), and the notices
	// (the bike's shop's scope). Codes, ids, counts, times and the brand's business text.
	{name: "recalls", order: "id", synced: true, late: true, cols: []column{
		biz("scope"), biz("make"), biz("models"), biz("year_from"), biz("year_to"), biz("reference"), biz("title"),
		biz("issued_on"), biz("serials"), biz("created_by"), biz("created_at"),
	}},
	{name: "recall_serials", order: "id", synced: true, late: true, cols: []column{
		biz("recall_id"), biz("shop_id"), biz("part"), biz("sums"),
	}},
	{name: "recall_notices", order: "id", synced: true, late: true, cols: []column{
		biz("recall_id"), biz("bike_id"), biz("customer_id"), biz("shop_id"), biz("channel"), biz("outcome"),
		biz("lawful_basis"), biz("noticed_by"), biz("noticed_at"),
	}},
}

// The registry's views, built once from schema.
var (
	tables      = map[string]*table{}
	columns     = map[string]*column{} // "table.column"
	syncColumns = map[string][]string{}
)

func init() {
	for i := range schema {
		t := &schema[i]
		tables[t.name] = t
		for j := range t.cols {
			c := &t.cols[j]
			columns[t.name+"."+c.name] = c
			if c.class != Derived {
				syncColumns[t.name] = append(syncColumns[t.name], c.name)
			}
			if c.class == Personal && t.key == sealedByNone {
				panic(fmt.Sprintf("schema: %s.%s is personal but %s has no sealing key", t.name, c.name, t.name))
			}
			if c.index != nil && !t.has(c.index.column, Derived) {
				panic(fmt.Sprintf("schema: %s.%s's blind index %s must be a Derived column of %s", t.name, c.name, c.index.column, t.name))
			}
		}
	}
}

// has reports whether the table declares the column with that class.
func (t *table) has(name string, class Class) bool {
	for _, c := range t.cols {
		if c.name == name {
			return c.class == class
		}
	}
	return false
}

// personalCols returns the table's Personal columns in declaration order.
func (t *table) personalCols() []*column {
	var out []*column
	for i := range t.cols {
		if t.cols[i].class == Personal {
			out = append(out, &t.cols[i])
		}
	}
	return out
}

// PersonalField is one Personal column of the registry, as the records of processing name it.
type PersonalField struct {
	Table   string // e.g. "customers"
	Column  string // e.g. "email"
	Subject string // whose data it is: "customer" (sealed under a customer's key) or "staff" (the org key)
	Indexed bool   // a blind index answers exact lookups of it
}

// Key is "table.column".
func (f PersonalField) Key() string { return f.Table + "." + f.Column }

// PersonalFields lists every Personal column of the registry in registry order, so a record of
// processing built from it cannot forget a sealed field added later.
func PersonalFields() []PersonalField {
	var out []PersonalField
	for i := range schema {
		t := &schema[i]
		subject := "customer"
		if t.key == sealedByOrg {
			subject = "staff"
		}
		for _, c := range t.personalCols() {
			out = append(out, PersonalField{Table: t.name, Column: c.name, Subject: subject, Indexed: c.index != nil})
		}
	}
	return out
}

// classOf returns a column's class, or 0 when the registry does not know it.
func classOf(table, col string) Class {
	if c := columns[table+"."+col]; c != nil {
		return c.class
	}
	return 0
}

// isSealed reports whether a column holds sealed personal data.
func isSealed(table, col string) bool { return classOf(table, col) == Personal }

// isLate reports whether a column was added after backups existed (see column.late).
func isLate(table, col string) bool {
	if table == "audit" && (col == "role" || col == "shop_id" || col == "grant_used") {
		return true // an entry's context, recorded since migration 18
	}
	c := columns[table+"."+col]
	return c != nil && c.late
}

// replayable reports whether a table's rows travel in change-sets (and legacy deltas).
func replayable(name string) bool {
	t := tables[name]
	return t != nil && t.synced
}

// indexedCols returns the table's Personal columns that carry a blind index.
func (t *table) indexedCols() []*column {
	var out []*column
	for _, c := range t.personalCols() {
		if c.index != nil {
			out = append(out, c)
		}
	}
	return out
}

// lookupColumn maps an exact-lookup field to the personal column whose blind index answers it.
func lookupColumn(field LookupField) (*table, *column, error) {
	tbl := "customers"
	if field == BySerial {
		tbl = "bikes"
	}
	c := columns[tbl+"."+string(field)]
	if c == nil || c.index == nil {
		return nil, nil, fmt.Errorf("unknown lookup field %q", field)
	}
	return tables[tbl], c, nil
}

// missing reports whether t is a late table that the database db ("main", or an attached one)
// of q does not have: a file written by a Spoke from before the table (an older backup or
// delta) is read as if the table were empty.
func (t *table) missing(ctx context.Context, q querier, db string) (bool, error) {
	if !t.late {
		return false, nil
	}
	var ok bool
	err := q.QueryRowContext(ctx, "SELECT EXISTS(SELECT 1 FROM "+db+".sqlite_master WHERE type = 'table' AND name = ?)", t.name).Scan(&ok)
	return !ok, err
}
